/**
 * undici's `connect` for cluster ports: a plain TCP socket, or with the cluster key a TLS-PSK one
 * (undici then speaks HTTP/1.1 over it, as over any socket it did not negotiate h2 on). A failure
 * becomes a `CFD_ERR_CLUSTER_UNREACHABLE` naming the address, with the `-encrypt` hint when the
 * TCP connection was made but the TLS handshake failed.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { buildConnector } from 'undici';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { formatHostPort } from './address.js';
import { pskClientOptions } from './tls-psk.js';

/** The hint of every failed handshake: the two ends do not share a key. */
export const KEY_HINT = 'wrong or missing -encrypt key?';

/** ConnectorOptions configures {@link clusterConnector}. */
export interface ConnectorOptions {
  readonly key?: Buffer | undefined;
  /** The local address connections are made from (the agent's bind address); default any. */
  readonly localAddress?: string | undefined;
  /** Time for the TCP connection and the TLS handshake together. */
  readonly connectTimeoutMs: number;
  readonly logger?: Logger | undefined;
}

/** unreachable builds the typed error of a peer that cannot be reached. */
export function unreachable(addr: string, reason: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.CLUSTER_UNREACHABLE, `cannot reach ${addr}: ${reason}`, {
    cause,
  });
}

/** clusterConnector builds the `connect` function of the cluster client's undici Agent. */
export function clusterConnector(options: ConnectorOptions): buildConnector.connector {
  const { key, connectTimeoutMs } = options;
  return (target, callback) => {
    const host = target.hostname;
    const port = Number(target.port);
    const addr = formatHostPort(host, port);
    let tcpConnected = false;
    let settled = false;
    const socket: Socket = key
      ? // tls.connect hands localAddress to net.connect, though its option type leaves it out.
        tlsConnect({
          host,
          port,
          ...pskClientOptions(key),
          ...{ localAddress: options.localAddress },
        })
      : netConnect({ host, port, localAddress: options.localAddress });
    const fail = (reason: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      options.logger?.debug(`cluster client: ${addr}: ${reason}`);
      callback(unreachable(addr, reason, cause), null);
    };
    const timer = setTimeout(
      () =>
        fail(
          tcpConnected
            ? `TLS handshake not completed within ${connectTimeoutMs} ms; ${KEY_HINT}`
            : `connection not established within ${connectTimeoutMs} ms`,
        ),
      connectTimeoutMs,
    );
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('error', (err: Error) => {
      fail(
        key && tcpConnected
          ? `TLS handshake failed (${handshakeDetail(err)}); ${KEY_HINT}`
          : errorMessage(err),
        err,
      );
    });
    socket.once(key ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      callback(null, socket);
    });
  };
}

/** handshakeDetail is OpenSSL's short reason (e.g. `sslv3 alert bad record mac`), else the message. */
function handshakeDetail(err: Error): string {
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === 'string') return reason;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code !== 'ECONNRESET'
    ? code
    : errorMessage(err).replace(/\s+/g, ' ');
}
