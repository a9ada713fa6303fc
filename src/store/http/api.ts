/**
 * The Consul-compatible HTTP API over a {@link Store}: plain `node:http`, one small router, no
 * framework, so that a single-key GET stays cheap. `confd agent` serves it, and the daemon reuses it
 * to expose its embedded store on `-store-addr`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { ConfdError, ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import type { Store } from '../types.js';
import type { ApiConfig, ClusterPort, ConsensusPort } from './context.js';
import type { ServiceDiscovery } from './catalog-routes.js';
import { routeRequest } from './router.js';
import { ParkedQueries } from './parked-queries.js';

/** HttpApiOptions configures {@link createHttpApi}. */
export interface HttpApiOptions {
  readonly store: Store;
  readonly logger?: Logger;
  /** Default `dc1`. */
  readonly datacenter?: string;
  readonly nodeName: string;
  /** Default a random UUID. */
  readonly nodeId?: string;
  /** Pretty-print every JSON answer, as `consul agent -dev` does. Default false. */
  readonly pretty?: boolean;
  /** Reported in /v1/agent/self. Default false. */
  readonly dev?: boolean;
  readonly bootstrap?: boolean;
  /** limits.kv_max_value_size. Default 524288. */
  readonly kvMaxValueSize?: number;
  /** limits.txn_max_req_len. Default the KV value size. */
  readonly txnMaxReqLen?: number;
  /** Default 128 (Consul >= 1.14). */
  readonly txnMaxOps?: number;
  readonly disableKvKeyValidation?: boolean;
  /** default_query_time. Default 300 s. */
  readonly defaultQueryTimeMs?: number;
  /** max_query_time. Default 600 s. */
  readonly maxQueryTimeMs?: number;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** The address /v1/status/leader answers. Default `127.0.0.1:8300`. */
  readonly serverAddr?: string;
  /** Consul version this API claims in /v1/agent/self. */
  readonly version?: string;
  /** Extra entries for /v1/agent/self's DebugConfig. */
  readonly debugConfig?: Readonly<Record<string, unknown>>;
  /**
   * Enables `PUT /v1/agent/leave`: answered with 200 and an empty body, then this is called (the
   * agent shuts down, as `consul leave` expects). Without it the path is 404.
   */
  readonly onLeave?: () => void;
  /** Serves /v1/catalog, /v1/health, the agent's service/check endpoints and /v1/event. */
  readonly services?: ServiceDiscovery;
  /** The agent's cluster membership: members, join, force-leave, leave (absent: a lone server). */
  readonly cluster?: ClusterPort;
  /** A replicated server's log: leader, peers, read consistency (absent: a lone server). */
  readonly consensus?: ConsensusPort;
  /** A client agent: requests outside `/v1/agent/` go to this (src/forwarding) instead. */
  readonly forward?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * The most bytes of request line and headers a request may send (Consul's
   * `http_config.max_header_bytes`); more is answered 431. Default (and when <= 0) Go's
   * `http.DefaultMaxHeaderBytes`, 1 MiB.
   */
  readonly maxHeaderBytes?: number;
  /** Closes the API when aborted. */
  readonly signal?: AbortSignal;
}

/** HttpApi is a ready-to-listen Consul-compatible HTTP API. */
export interface HttpApi {
  /** Binds the server (port 0 = any free port); resolves to the bound port and address. */
  listen(port: number, host?: string): Promise<{ port: number; address: string }>;
  /**
   * Stops accepting, ends parked blocking queries, lets in-flight requests finish briefly, then
   * closes every connection. Idempotent. Does not close the store.
   */
  close(): Promise<void>;
  /** The request handler, for mounting on another server. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The number of parked blocking KV and session reads (for stats and tests). */
  readonly parked: number;
}

/** consulVersion is the Consul release whose HTTP behaviour this API copies. */
export const consulVersion = '1.21.4';

const drainMs = 1000;
const idleTimeoutMs = 120_000;
/** Go's http.DefaultMaxHeaderBytes. */
const defaultMaxHeaderBytes = 1 << 20;
/** Go reads this much past MaxHeaderBytes before refusing the header block (initialReadLimitSize). */
const headerReadSlack = 4096;
/** How long a refused connection stays open after the answer (Go's rstAvoidanceDelay). */
const rstAvoidanceMs = 500;

// Go's net/http answers a request it cannot read itself, with a plain-text body naming the status.
const tooLargeAnswer = goErrorAnswer('431 Request Header Fields Too Large');
const badRequestAnswer = goErrorAnswer('400 Bad Request');

function goErrorAnswer(status: string): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`;
}

/** failRequest answers a request whose route threw: 500 with the message, or drops it. */
function failRequest(logger: Logger, res: ServerResponse, err: unknown): void {
  // A bug must cost one request, never the server.
  const { req } = res;
  logger.error(`http: request ${req.method} ${req.url} failed: ${errorMessage(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = errorMessage(err);
  res.writeHead(500, [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  res.end(text);
}

/** createHttpApi builds the HTTP API over `options.store`. */
export function createHttpApi(options: HttpApiOptions): HttpApi {
  const clientAddr = { address: '127.0.0.1', port: 0 };
  const kvMaxValueSize = options.kvMaxValueSize ?? 524288;
  const config: ApiConfig = Object.freeze({
    store: options.store,
    logger: options.logger ?? silentLogger,
    datacenter: options.datacenter ?? 'dc1',
    nodeName: options.nodeName,
    nodeId: options.nodeId ?? randomUUID(),
    pretty: options.pretty ?? false,
    kvMaxValueSize,
    txnMaxReqLen: Math.max(options.txnMaxReqLen ?? kvMaxValueSize, kvMaxValueSize),
    txnMaxOps: options.txnMaxOps ?? 128,
    disableKvKeyValidation: options.disableKvKeyValidation ?? false,
    defaultQueryTimeMs: options.defaultQueryTimeMs ?? 300_000,
    maxQueryTimeMs: options.maxQueryTimeMs ?? 600_000,
    random: options.random ?? Math.random,
    serverAddr: options.serverAddr ?? '127.0.0.1:8300',
    clientAddr,
    version: options.version ?? consulVersion,
    revision: 'confd',
    bootstrap: options.bootstrap ?? true,
    dev: options.dev ?? false,
    debugConfig: options.debugConfig ?? {},
    onLeave: options.onLeave,
    services: options.services,
    cluster: options.cluster,
    consensus: options.consensus,
    forward: options.forward,
  });
  const { logger } = config;

  const parked = new Set<AbortController>();
  const parkedQueries = new ParkedQueries({
    store: config.store,
    fail: (res, err) => failRequest(logger, res, err),
  });
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const finish = () => {
    inFlight--;
    if (inFlight === 0 && drained) drained();
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.once('close', finish);
    if (logger.enabled('debug')) {
      const started = performance.now();
      res.once('finish', () => {
        const ms = (performance.now() - started).toFixed(3);
        logger.debug(
          `Request finished: method=${req.method} url=${req.url} from=${req.socket.remoteAddress}:${req.socket.remotePort} latency=${ms}ms`,
        );
      });
    }
    const park = (controller: AbortController) => {
      if (closing || res.destroyed || res.writableEnded) controller.abort();
      parked.add(controller);
      const onClose = () => controller.abort();
      res.once('close', onClose);
      return () => {
        parked.delete(controller);
        res.off('close', onClose);
      };
    };
    const fail = (err: unknown) => failRequest(logger, res, err);
    try {
      const pending = routeRequest(req, res, config, park, parkedQueries);
      // A route that ends without answering (client gone, server closing) drops the connection.
      if (pending) pending.then(() => void (res.writableEnded || res.destroy()), fail);
    } catch (err) {
      fail(err);
    }
  };

  const maxHeaderBytes =
    options.maxHeaderBytes !== undefined && options.maxHeaderBytes > 0
      ? options.maxHeaderBytes
      : defaultMaxHeaderBytes;
  const server: Server = createServer({ maxHeaderSize: maxHeaderBytes + headerReadSlack }, handler);
  // Consul (Go's http.Server) keeps idle connections open; Go clients drop theirs after 90 s. A
  // shorter server-side idle timeout races with a client reusing the connection for a PUT, which
  // Go does not retry. Keep idle connections longer than the client does; close() ends them.
  server.keepAliveTimeout = idleTimeoutMs;
  // Node keeps parsing (and failing) whatever else the client sends; answer once, drop the rest.
  const refused = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (refused.has(socket)) return;
    if (!socket.writable) {
      socket.destroy(err);
      return;
    }
    refused.add(socket);
    // A header block over the limit is 431, as Go's errTooLarge; anything else unreadable is 400.
    socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? tooLargeAnswer : badRequestAnswer);
    // Like Go's closeWriteAndWait: the client may still be sending; read on for a moment so that
    // closing does not reset the connection before it reads the answer.
    setTimeout(() => socket.destroy(), rstAvoidanceMs).unref();
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      parkedQueries.close();
      for (const controller of parked) controller.abort();
      const stopped = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', () => void close(), { once: true });

  const listen = (port: number, host = '127.0.0.1') =>
    new Promise<{ port: number; address: string }>((resolve, reject) => {
      if (closing) {
        reject(new ConfdError(ErrorCode.STORE_CLOSED, 'the HTTP API is closed'));
        return;
      }
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const info = server.address() as AddressInfo;
        clientAddr.address = info.address;
        clientAddr.port = info.port;
        resolve({ port: info.port, address: info.address });
      });
    });

  return {
    listen,
    close,
    handler,
    get parked() {
      return parkedQueries.size;
    },
  };
}
