/**
 * Request-body reading with a size limit: a declared Content-Length over the limit is refused
 * before reading, and a body that grows past it (chunked, or lying about its length) is refused
 * as soon as it does, without buffering more than the limit.
 */
import type { IncomingMessage } from 'node:http';

/** BodyResult is the body bytes, or how far it went over `limit`. */
export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly tooLarge: true; readonly size: number }
  | { readonly ok: false; readonly tooLarge: false };

/**
 * readBody collects the request body up to `limit` bytes. Over the limit it stops reading and
 * resolves `{ tooLarge: true, size }` with the declared length (or the bytes seen so far); when the
 * client goes away it resolves `{ tooLarge: false }`.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  if (length > limit) return Promise.resolve({ ok: false, tooLarge: true, size: length });
  if (length === 0 || (declared === undefined && req.headers['transfer-encoding'] === undefined)) {
    // Drain nothing: a request without a body.
    return Promise.resolve({ ok: true, body: Buffer.alloc(0) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyResult) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done({ ok: false, tooLarge: true, size: Math.max(size, length) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      done({ ok: true, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
    const onError = () => done({ ok: false, tooLarge: false });
    const onClose = () => {
      if (!req.complete) done({ ok: false, tooLarge: false });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
