/** Join addresses as Consul takes them: `host`, `host:port`, `[v6]`, `[v6]:port`. */
import { ConfdError, ErrorCode } from '../errors.js';

/** JoinAddress is a parsed join target. */
export interface JoinAddress {
  readonly host: string;
  readonly port: number;
}

/** parseJoinAddress reads a join target; a missing port is `defaultPort` (8301, Serf LAN). */
export function parseJoinAddress(text: string, defaultPort = 8301): JoinAddress {
  const t = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  const plain = /^([^:[\]\s]+)(?::(\d+))?$/.exec(t);
  const m = bracket ?? plain;
  if (!m || m[1] === undefined || m[1] === '') {
    throw new ConfdError(
      ErrorCode.CONFIG_INVALID,
      `Failed to resolve ${text}: missing or bad address`,
    );
  }
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, `Failed to resolve ${text}: invalid port`);
  }
  return { host: m[1], port };
}

/** hostPort formats an address for a request or a log line (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
