/**
 * A client agent's HTTP API: every request outside `/v1/agent/` is sent, unchanged, to a server's
 * RPC port, where the server's own HTTP API answers it; the answer (status, headers, body, the
 * long wait of a blocking query) comes back as the server gave it. So KV, txn, sessions, catalog,
 * health, events and status behave on a client exactly as on the server (Consul's clients send
 * every such request to a server over RPC too).
 *
 * A session created without `Node` is this client's, as Consul's agent fills it in before its RPC.
 *
 * No known (or no answering) server: 500 `No known Consul servers`, Consul's text, at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** ForwardTarget is a server requests can be sent to. */
export interface ForwardTarget {
  readonly name: string;
  readonly addr: string;
  readonly rpcPort: number;
}

/** ForwarderOptions configure {@link createForwarder}. */
export interface ForwarderOptions {
  /** The servers to try, best first (empty: none known). */
  readonly servers: () => readonly ForwardTarget[];
  /** Connections to servers' RPC ports (TLS-PSK with an `-encrypt` key: src/transport). */
  readonly dispatcher: Dispatcher;
  /** This client's node name. */
  readonly nodeName: string;
  readonly logger: Logger;
  /** Told when a server could not be reached, and when it answered. */
  readonly onFailure?: (server: ForwardTarget) => void;
  readonly onSuccess?: (server: ForwardTarget) => void;
  /** The largest request body passed on. Default 64 MiB (the server applies Consul's limits). */
  readonly maxBodyBytes?: number;
}

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
]);

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  res.end(text);
}

/** readAll reads a request body of at most `max` bytes; undefined when larger. */
async function readAll(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * withClientNode fills in what Consul's agent fills in before its RPC: a new session's `Node`.
 * Anything that is not a JSON object is passed on as it is (the server answers its error).
 */
function withClientNode(path: string, body: Buffer, node: string): Buffer {
  if (!path.startsWith('/v1/session/create')) return body;
  const text = body.toString('utf8');
  if (text.trim() === '') return Buffer.from(JSON.stringify({ Node: node }));
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return body;
    const request = value as Record<string, unknown>;
    if (request.Node !== undefined && request.Node !== '') return body;
    return Buffer.from(JSON.stringify({ ...request, Node: node }));
  } catch {
    return body;
  }
}

/**
 * requestHeaders copies the end-to-end request headers as a flat `name, value, ...` list, from
 * the raw headers (building `req.headers` would cost an object per request).
 */
function requestHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** responseHeaders copies the end-to-end answer headers for `writeHead`. */
function responseHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'content-length')) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  return out;
}

/**
 * relay sends one request to `server` and streams its answer into `res` through undici's raw
 * dispatch hooks (no intermediate stream, no abort signal per request: the hot path of a
 * forwarded read). Resolves false when the server could not be reached before any answer.
 */
function relay(
  dispatcher: Dispatcher,
  server: ForwardTarget,
  request: {
    method: string;
    path: string;
    headers: string[];
    body: Buffer | undefined;
  },
  res: ServerResponse,
): Promise<{ reached: boolean; error?: unknown }> {
  return new Promise((resolve) => {
    let started = false;
    let control: Dispatcher.DispatchController | undefined;
    // The client going away (a blocking query given up) ends the request to the server too.
    const gone = () => {
      if (!res.writableFinished) control?.abort(new Error('the client went away'));
    };
    res.once('close', gone);
    const done = (result: { reached: boolean; error?: unknown }) => {
      res.off('close', gone);
      resolve(result);
    };
    const host = server.addr.includes(':') ? `[${server.addr}]` : server.addr;
    dispatcher.dispatch(
      {
        origin: `http://${host}:${server.rpcPort}`,
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        // Blocking queries wait up to max_query_time plus jitter: the server bounds them.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      {
        onRequestStart(controller) {
          control = controller;
          if (res.destroyed) controller.abort(new Error('the client went away'));
        },
        onResponseStart(_controller, statusCode, headers) {
          started = true;
          res.writeHead(statusCode, responseHeaders(headers));
        },
        onResponseData(controller, chunk) {
          // Backpressure: a slow client pauses the answer from the server until it drains.
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd() {
          res.end();
          done({ reached: true });
        },
        onResponseError(_controller, error) {
          if (started) res.destroy();
          done({ reached: started, error });
        },
      },
    );
  });
}

/** createForwarder builds the handler that sends a request to a server and relays its answer. */
export function createForwarder(
  options: ForwarderOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const max = options.maxBodyBytes ?? 64 << 20;
  const { logger } = options;

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      const raw = await readAll(req, max);
      if (raw === undefined)
        return plain(res, 413, `Request body too large, max size: ${max} bytes`);
      body = method === 'PUT' ? withClientNode(path, raw, options.nodeName) : raw;
    }
    const servers = options.servers();
    if (servers.length === 0) return plain(res, 500, 'No known Consul servers');
    const request = { method, path, headers: requestHeaders(req), body };
    let lastError: unknown;
    for (const server of servers) {
      if (res.destroyed) return;
      const { reached, error } = await relay(options.dispatcher, server, request, res);
      if (reached) {
        options.onSuccess?.(server);
        return;
      }
      // Aborted because the client went away: not the server's fault.
      if (res.destroyed) return;
      lastError = error;
      options.onFailure?.(server);
      logger.debug(`forwarding ${method} ${path} to ${server.name} failed: ${errorMessage(error)}`);
    }
    plain(res, 500, `rpc error making call: ${errorMessage(lastError)}`);
  };

  return (req, res) => {
    forward(req, res).catch((err: unknown) => {
      logger.error(`forwarding ${req.method} ${req.url} failed: ${errorMessage(err)}`);
      plain(res, 500, errorMessage(err));
    });
  };
}
