/**
 * The server side of an agent-to-agent port (serf LAN, server RPC): HTTP/1.1 served by Node's
 * parser, over plain TCP or, with the cluster's `-encrypt` key, TLS 1.2 with that key as PSK.
 *
 * Bad input never reaches the handler and never takes the process down: failed handshakes (another
 * key, a plaintext client on a keyed port), garbage, truncated or oversized requests and clients
 * too slow to send their headers are answered or closed, and logged at most once per remote
 * address per 10 s, e.g. `cluster (serf_lan): rejected a connection from 127.0.0.5:41234: TLS
 * handshake failed; wrong or missing -encrypt key?`.
 */
import { STATUS_CODES, createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConfdError, ErrorCode, abortError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { formatHostPort } from './address.js';
import { LOG_INTERVAL_MS, PeerLogLimiter, suppressedNote } from './log-limiter.js';
import { ENCRYPT_REQUIRED, describeBadRequest, describeTlsFailure } from './rejections.js';
import type { Rejection } from './rejections.js';
import { pskServerOptions } from './tls-psk.js';

/** ClusterHandler answers one request; a throw or rejection answers 500 (and is logged). */
export type ClusterHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** ClusterServerOptions configures {@link createClusterServer}. */
export interface ClusterServerOptions {
  readonly handler: ClusterHandler;
  /** The cluster key (see `parseEncryptKey`): TLS-PSK when given, plain HTTP otherwise. */
  readonly key?: Buffer | undefined;
  readonly logger: Logger;
  /** The port's name in log lines, e.g. `serf_lan` or `server`. */
  readonly name: string;
  /** Largest request header block, in bytes (answered 431 beyond). Default 16 KiB. */
  readonly maxHeaderBytes?: number | undefined;
  /** Open connections at most; more are closed at once. Default 1024. */
  readonly maxConnections?: number | undefined;
  /** Time to receive a whole request, body included (answered 408 beyond). Default 30 s. */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Time to receive a request's headers (answered 408 beyond), and to finish the TLS handshake.
   * Default 10 s; at most `requestTimeoutMs`.
   */
  readonly headersTimeoutMs?: number | undefined;
  /** How long `close()` lets requests in progress finish before cutting them. Default 1 s. */
  readonly drainMs?: number | undefined;
  /** Aborting it closes the server. */
  readonly signal?: AbortSignal | undefined;
  /** The clock of the log rate limit; tests pass a fake one. Default Date.now. */
  readonly now?: (() => number) | undefined;
}

/** ClusterServer is a cluster port's server. */
export interface ClusterServer {
  /** listen binds the port (0: any free one); rejects with `CFD_ERR_CLUSTER_LISTEN`. */
  listen(port: number, host: string): Promise<{ address: string; port: number }>;
  /**
   * close stops listening, closes idle connections at once and the others when their answer is
   * sent, or after `drainMs`. Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
}

/** Defaults of {@link ClusterServerOptions}. */
export const SERVER_DEFAULTS = {
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  drainMs: 1_000,
} as const;

/** A remote end, as logged and as keyed. */
interface Peer {
  /** The remote IP: the rate limit's key. */
  readonly ip: string;
  /** `ip:port`: names the connection in log lines and keys it in the server's tables. */
  readonly label: string;
}

function peerOf(socket: {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}): Peer {
  const ip = socket.remoteAddress ?? 'unknown';
  return { ip, label: formatHostPort(ip, socket.remotePort ?? 0) };
}

/** createClusterServer builds a cluster port's server; call `listen` to start it. */
export function createClusterServer(options: ClusterServerOptions): ClusterServer {
  const { logger, key } = options;
  const prefix = `cluster (${options.name})`;
  const requestTimeoutMs = options.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs;
  const limits = {
    maxHeaderBytes: options.maxHeaderBytes ?? SERVER_DEFAULTS.maxHeaderBytes,
    requestTimeoutMs,
    headersTimeoutMs: Math.min(
      options.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs,
      requestTimeoutMs,
    ),
  };
  const maxConnections = options.maxConnections ?? SERVER_DEFAULTS.maxConnections;
  const drainMs = options.drainMs ?? SERVER_DEFAULTS.drainMs;
  const limiter = new PeerLogLimiter(LOG_INTERVAL_MS, options.now);

  const httpOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    // How often Node looks for connections past those timeouts.
    connectionsCheckingInterval: Math.max(
      10,
      Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)),
    ),
  };
  const server: HttpServer = key
    ? createHttpsServer({ ...httpOptions, ...pskServerOptions(key, limits.headersTimeoutMs) })
    : createHttpServer(httpOptions);
  server.maxConnections = maxConnections;

  /** Every open TCP connection, by peer label (under TLS: the socket beneath the TLS one). */
  const sockets = new Map<string, Socket>();
  /** Requests in progress, by peer label. */
  const busy = new Map<string, number>();
  /** Answers in progress: told `Connection: close` when the server closes. */
  const answering = new Set<ServerResponse>();
  /** TLS sockets whose handshake succeeded: their errors are HTTP errors. */
  const secured = new WeakSet<Duplex>();
  let pendingListen: ((err: Error) => void) | undefined;
  let closing: Promise<void> | undefined;
  let socketsGone: (() => void) | undefined;

  /** refuse logs a rejection, at most once per address per interval. */
  const refuse = (peer: Peer, rejection: Rejection) => {
    const what =
      rejection.kind === 'connection'
        ? `rejected a connection from ${peer.label}`
        : `bad request from ${peer.label}`;
    if (rejection.quiet) {
      if (logger.enabled('debug')) logger.debug(`${prefix}: ${what}: ${rejection.reason}`);
      return;
    }
    const suppressed = limiter.take(peer.ip);
    if (suppressed === undefined) return;
    logger.warn(`${prefix}: ${what}: ${rejection.reason}${suppressedNote(suppressed, peer.ip)}`);
  };

  server.on('connection', (socket: Socket) => {
    const peer = peerOf(socket);
    if (closing || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    // Errors are reported through clientError; this keeps a late one (e.g. EPIPE while the
    // plaintext answer below is written) from being unhandled.
    socket.on('error', () => {});
    sockets.set(peer.label, socket);
    socket.once('close', () => {
      if (sockets.get(peer.label) === socket) sockets.delete(peer.label);
      if (sockets.size === 0) socketsGone?.();
    });
  });

  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    refuse(peerOf(data ?? {}), {
      kind: 'connection',
      reason: `too many connections (at most ${maxConnections})`,
    });
  });

  server.on('secureConnection', (socket: Duplex) => secured.add(socket));

  server.on('clientError', (err: Error, socket: Duplex) => {
    const peer = peerOf(socket as Socket);
    if (key && !secured.has(socket)) {
      const rejection = describeTlsFailure(err, limits.headersTimeoutMs);
      const raw = sockets.get(peer.label);
      if (rejection.answerPlaintext && raw?.writable) {
        // Answer in plaintext beneath the failed TLS layer, as Go's "Client sent an HTTP request
        // to an HTTPS server": a plaintext HTTP client learns why.
        const body = 'Client sent an HTTP request to a port that requires -encrypt.\n';
        raw.end(
          `HTTP/1.1 400 Bad Request\r\n${ENCRYPT_REQUIRED}: encrypt-required\r\n` +
            `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
            `Connection: close\r\n\r\n${body}`,
        );
        setTimeout(() => raw.destroy(), drainMs).unref();
      } else {
        socket.destroy();
      }
      refuse(peer, rejection);
      return;
    }
    const rejection = describeBadRequest(err, limits);
    const writable = socket.writable && !busy.has(peer.label);
    if (rejection.status !== undefined && writable) {
      const status = rejection.status;
      const body = `${rejection.reason}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), drainMs).unref();
    } else {
      socket.destroy();
    }
    refuse(peer, rejection);
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = peerOf(req.socket);
    busy.set(peer.label, (busy.get(peer.label) ?? 0) + 1);
    answering.add(res);
    res.once('close', () => {
      answering.delete(res);
      const left = (busy.get(peer.label) ?? 1) - 1;
      if (left > 0) busy.set(peer.label, left);
      else busy.delete(peer.label);
      // Closing: this connection's answer is out; end it rather than keep it alive.
      if (closing && left <= 0 && !req.socket.destroyed) req.socket.end();
    });
    if (closing) res.setHeader('Connection', 'close');
    const failed = (err: unknown) => {
      logger.error(
        `${prefix}: handler failed on ${req.method ?? '?'} ${req.url ?? '?'} from ${peer.label}: ${errorMessage(err)}`,
      );
      if (res.headersSent) {
        res.destroy();
      } else {
        res.statusCode = 500;
        res.setHeader('Connection', 'close');
        res.end();
      }
    };
    try {
      const result = options.handler(req, res);
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  });

  server.on('error', (err: Error) => {
    if (pendingListen) pendingListen(err);
    else logger.error(`${prefix}: ${errorMessage(err)}`);
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const gone = new Promise<void>((resolve) => {
        socketsGone = resolve;
      });
      for (const res of answering) {
        if (!res.headersSent) res.setHeader('Connection', 'close');
      }
      for (const [label, socket] of sockets) {
        if (!busy.has(label)) socket.destroy();
      }
      if (sockets.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          gone,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, drainMs);
          }),
        ]);
        clearTimeout(timer);
        for (const socket of sockets.values()) socket.destroy();
      }
      await stopped;
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    listen(port, host) {
      if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
      if (closing) {
        return Promise.reject(
          new ConfdError(
            ErrorCode.CLUSTER_LISTEN,
            `${prefix}: cannot listen: the server is closed`,
          ),
        );
      }
      return new Promise((resolve, reject) => {
        pendingListen = (err) => {
          pendingListen = undefined;
          reject(
            new ConfdError(
              ErrorCode.CLUSTER_LISTEN,
              `${prefix}: cannot listen on ${formatHostPort(host, port)}: ${errorMessage(err)}`,
              { cause: err },
            ),
          );
        };
        server.listen(port, host, () => {
          pendingListen = undefined;
          const address = server.address() as AddressInfo;
          logger.debug(
            `${prefix}: listening on ${formatHostPort(address.address, address.port)}` +
              (key ? ' (TLS-PSK, -encrypt)' : ' (plaintext)'),
          );
          resolve({ address: address.address, port: address.port });
        });
      });
    },
    close,
  };
}
