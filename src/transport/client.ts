/**
 * The client side of agent-to-agent traffic: an undici Agent whose connections to
 * `http://host:port` cluster origins are TLS-PSK sockets when the cluster has an `-encrypt` key,
 * plain TCP otherwise, kept alive and reused; and `request`, which sends one request to a
 * `host:port` and reads the whole answer, turning every failure into a typed error that names the
 * address.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { ConfdError, ErrorCode, abortError, errorMessage, isConfdError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatHostPort, parseHostPort } from './address.js';
import { clusterConnector, unreachable } from './connector.js';
import { ENCRYPT_REQUIRED } from './rejections.js';

/** ClusterClientOptions configures {@link createClusterClient}. */
export interface ClusterClientOptions {
  /** The cluster key (see `parseEncryptKey`): TLS-PSK when given, plain HTTP otherwise. */
  readonly key?: Buffer | undefined;
  /**
   * The local address to connect from, e.g. the agent's bind address, so that other agents see
   * (and log) this agent's own address. Default any.
   */
  readonly localAddress?: string | undefined;
  /** Time for the TCP connection and TLS handshake. Default 1000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Largest answer body `request` reads, in bytes. Default 16 MiB. */
  readonly maxResponseBytes?: number | undefined;
  /** Default time `request` waits for a whole answer. Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Connection failures are logged here at debug level (callers get the typed error). */
  readonly logger?: Logger | undefined;
}

/** ClusterRequestOptions is one request. */
export interface ClusterRequestOptions {
  readonly method: string;
  /** Path and query, e.g. `/v1/internal/ping`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Uint8Array | undefined;
  /** Aborting it rejects with `CFD_ERR_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /** Time for the whole answer (long polls pass more). Default: the client's `timeoutMs`. */
  readonly timeoutMs?: number | undefined;
}

/** ClusterResponse is a whole answer; any status is an answer (only failures reject). */
export interface ClusterResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** ClusterClient sends requests to other agents' cluster ports. */
export interface ClusterClient {
  /**
   * The undici dispatcher, for callers that stream: `undici.request('http://10.0.0.2:8300/x',
   * { dispatcher })`. Connect failures reject with `CFD_ERR_CLUSTER_UNREACHABLE`.
   */
  readonly dispatcher: Dispatcher;
  /**
   * request sends one request to `addr` (`host:port`, IPv6 as `[::1]:port`) and reads the whole
   * answer. Rejects with `CFD_ERR_CLUSTER_UNREACHABLE` (refused, timed out, closed, TLS handshake
   * failed: `wrong or missing -encrypt key?`), `CFD_ERR_CLUSTER_RESPONSE` (answer too large),
   * `CFD_ERR_CONFIG_INVALID` (not a host:port) or `CFD_ERR_ABORTED`.
   */
  request(addr: string, options: ClusterRequestOptions): Promise<ClusterResponse>;
  /** close ends every connection and fails requests in progress. Idempotent. */
  close(): Promise<void>;
}

/** Defaults of {@link ClusterClientOptions}. */
export const CLIENT_DEFAULTS = {
  connectTimeoutMs: 1000,
  maxResponseBytes: 16 * 1024 * 1024,
  timeoutMs: 30_000,
} as const;

/** createClusterClient builds a client; `close()` it when done. */
export function createClusterClient(options: ClusterClientOptions = {}): ClusterClient {
  const keyed = options.key !== undefined;
  const maxResponseBytes = options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes;
  const agent = new Agent({
    connect: clusterConnector({
      key: options.key,
      localAddress: options.localAddress,
      connectTimeoutMs: options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs,
      logger: options.logger,
    }),
  });
  let closed: Promise<void> | undefined;

  const request = async (addr: string, req: ClusterRequestOptions): Promise<ClusterResponse> => {
    const { host, port } = parseHostPort(addr);
    const where = formatHostPort(host, port);
    if (closed) throw unreachable(where, 'the cluster client is closed');
    if (req.signal?.aborted) throw abortError(req.signal);
    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    try {
      const res = await agent.request({
        origin: `http://${where}`,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
        // The deadline above bounds the whole answer.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const body = await readAll(res.body, maxResponseBytes, where);
      // Let undici put the connection back in its pool before the caller's next request, so that
      // a request right after this one reuses it rather than opening another.
      await new Promise((resolve) => setImmediate(resolve));
      if (res.headers[ENCRYPT_REQUIRED] === 'encrypt-required') {
        throw unreachable(
          where,
          'the agent there requires -encrypt (TLS); is the -encrypt key missing here?',
        );
      }
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (isConfdError(err)) throw err;
      if (req.signal?.aborted) throw abortError(req.signal);
      if (deadline.aborted) throw unreachable(where, `no answer within ${timeoutMs} ms`, err);
      if (closed) throw unreachable(where, 'the cluster client is closed', err);
      throw unreachable(where, failureReason(err, keyed), err);
    }
  };

  return {
    dispatcher: agent,
    request,
    close() {
      closed ??= agent.destroy().catch(() => {});
      return closed;
    },
  };
}

/** readAll reads a body up to `max` bytes; beyond, it stops and rejects. */
async function readAll(
  body: Dispatcher.ResponseData['body'],
  max: number,
  where: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) {
      body.destroy();
      throw new ConfdError(
        ErrorCode.CLUSTER_RESPONSE,
        `answer from ${where} larger than ${max} bytes`,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

/** failureReason explains an undici failure after the connection was made. */
function failureReason(err: unknown, keyed: boolean): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
    const hint = keyed ? '' : '; does the agent there require -encrypt?';
    return `the connection closed before the answer (${errorMessage(err)})${hint}`;
  }
  return errorMessage(err);
}
