/** `host:port` addresses of cluster ports, IPv6 in brackets (`[::1]:8301`), as Go's JoinHostPort. */
import { isIPv6 } from 'node:net';
import { ConfdError, ErrorCode } from '../errors.js';

/** HostPort is a parsed cluster address. */
export interface HostPort {
  /** The host without brackets: a name, an IPv4 or an IPv6 address. */
  readonly host: string;
  readonly port: number;
}

/** formatHostPort joins a host and a port, bracketing an IPv6 host. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * parseHostPort reads `host:port` or `[ipv6]:port` (port 1-65535). Throws `CFD_ERR_CONFIG_INVALID`
 * (`bad cluster address "x": want host:port, IPv6 as [::1]:port`) otherwise.
 */
export function parseHostPort(addr: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(addr) ?? /^([^:[\]\s/]+):(\d{1,5})$/.exec(addr);
  const host = m?.[1];
  const port = Number(m?.[2]);
  const bracketed = addr.startsWith('[');
  if (
    host === undefined ||
    (bracketed && !isIPv6(host)) ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535
  ) {
    throw new ConfdError(
      ErrorCode.CONFIG_INVALID,
      `bad cluster address ${JSON.stringify(addr)}: want host:port, IPv6 as [::1]:port`,
    );
  }
  return { host, port };
}
