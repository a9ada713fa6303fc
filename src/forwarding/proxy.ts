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

/** requestHeaders copies the end-to-end request headers. */
function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
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
    const raw = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readAll(req, max);
    if (raw === undefined) return plain(res, 413, `Request body too large, max size: ${max} bytes`);
    const body = method === 'PUT' ? withClientNode(path, raw, options.nodeName) : raw;
    const headers = requestHeaders(req);
    const servers = options.servers();
    if (servers.length === 0) return plain(res, 500, 'No known Consul servers');
    // The client going away (a blocking query given up) ends the request to the server too.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    let lastError: unknown;
    for (const server of servers) {
      let answer: Dispatcher.ResponseData;
      try {
        answer = await options.dispatcher.request({
          origin: `http://${server.addr.includes(':') ? `[${server.addr}]` : server.addr}:${server.rpcPort}`,
          path,
          method: method,
          headers,
          body: body.length > 0 || method === 'PUT' || method === 'POST' ? body : undefined,
          signal: gone.signal,
          // Blocking queries wait up to max_query_time plus jitter: the server bounds them.
          headersTimeout: 0,
          bodyTimeout: 0,
        });
      } catch (err) {
        if (gone.signal.aborted) return;
        lastError = err;
        options.onFailure?.(server);
        logger.debug(`forwarding ${method} ${path} to ${server.name} failed: ${errorMessage(err)}`);
        continue;
      }
      options.onSuccess?.(server);
      const out: string[] = [];
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'content-length')) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.push(name, v);
      }
      res.writeHead(answer.statusCode, out);
      try {
        for await (const chunk of answer.body) res.write(chunk as Buffer);
        res.end();
      } catch {
        res.destroy();
      }
      return;
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
