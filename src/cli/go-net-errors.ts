/**
 * Connection failures as Go's net, crypto/tls and crypto/x509 packages describe them, so the CLI
 * prints what `consul kv` prints (`dial tcp ...: connect: connection refused`,
 * `tls: failed to verify certificate: x509: certificate signed by unknown authority`).
 */
import { isIP } from 'node:net';

/** DialTarget is what a request connected to: a URL origin, or a unix socket path. */
export interface DialTarget {
  readonly origin: string;
  readonly socketPath?: string;
}

// OpenSSL verify results that Go reports as an unknown authority.
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);

// Go's names of the TLS alerts a server sends (crypto/tls alert.go), by OpenSSL's alert name.
const ALERTS: Record<string, string> = {
  BAD_CERTIFICATE: 'bad certificate',
  CERTIFICATE_REQUIRED: 'certificate required',
  UNKNOWN_CA: 'unknown certificate authority',
  CERTIFICATE_EXPIRED: 'expired certificate',
  CERTIFICATE_REVOKED: 'revoked certificate',
  CERTIFICATE_UNKNOWN: 'unknown certificate',
  UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  HANDSHAKE_FAILURE: 'handshake failure',
  PROTOCOL_VERSION: 'protocol version not supported',
  ACCESS_DENIED: 'access denied',
  DECRYPT_ERROR: 'error decrypting message',
  INTERNAL_ERROR: 'internal error',
  UNRECOGNIZED_NAME: 'unrecognized name',
};

/** sanList splits Node's `subjectaltname` ("DNS:a, IP Address:1.2.3.4") into DNS names and IPs. */
function sanList(altnames: string): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of altnames.split(', ')) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(part.slice(11));
  }
  return { dns, ips };
}

/** goHostnameError is Go's `x509.HostnameError` text for a certificate that does not match. */
function goHostnameError(host: string, altnames: string): string {
  const { dns, ips } = sanList(altnames);
  let valid: string;
  if (isIP(host) !== 0) {
    if (ips.length === 0) {
      return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    }
    valid = ips.join(', ');
  } else {
    valid = dns.join(', ');
  }
  if (valid === '')
    return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

/**
 * goTlsError renders a TLS failure as Go's HTTP client does, or returns undefined when `err` is
 * not one.
 */
export function goTlsError(err: unknown): string | undefined {
  const e = err as { code?: unknown; host?: unknown; cert?: { subjectaltname?: unknown } };
  const code = typeof e.code === 'string' ? e.code : '';
  const verify = 'tls: failed to verify certificate: ';
  if (UNKNOWN_AUTHORITY.has(code)) return `${verify}x509: certificate signed by unknown authority`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `${verify}x509: certificate has expired or is not yet valid`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = typeof e.host === 'string' ? e.host : '';
    const alt = typeof e.cert?.subjectaltname === 'string' ? e.cert.subjectaltname : '';
    return `${verify}${goHostnameError(host, alt)}`;
  }
  // A plain-HTTP server answering a TLS client: Go sniffs the reply and says so.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return 'http: server gave HTTP response to HTTPS client';
  }
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(code);
  if (alert) {
    const name = ALERTS[alert[1]] ?? alert[1].toLowerCase().replace(/_/g, ' ');
    return `remote error: tls: ${name}`;
  }
  return undefined;
}

/** goDialError renders a connection failure as Go's net/http client would describe it. */
export function goDialError(err: unknown, target: DialTarget): string {
  let e = err as { code?: unknown; address?: unknown; port?: unknown; message?: unknown };
  if (err instanceof AggregateError && err.errors.length > 0) {
    e = err.errors[err.errors.length - 1] as typeof e;
  }
  const tls = goTlsError(e);
  if (tls !== undefined) return tls;
  const code = typeof e.code === 'string' ? e.code : '';
  const url = target.socketPath === undefined ? new URL(target.origin) : undefined;
  const port = typeof e.port === 'number' ? String(e.port) : (url?.port ?? '');
  let dial = `dial tcp ${url?.host ?? ''}`;
  if (target.socketPath !== undefined) dial = `dial unix ${target.socketPath}`;
  else if (typeof e.address === 'string') {
    dial = `dial tcp ${e.address.includes(':') ? `[${e.address}]` : e.address}:${port}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `${dial}: connect: connection refused`;
    case 'ENOENT':
      return `${dial}: connect: no such file or directory`;
    case 'EHOSTUNREACH':
      return `${dial}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${dial}: connect: network is unreachable`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `${dial}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url?.hostname ?? ''}: no such host`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'EOF';
    default:
      return typeof e.message === 'string' ? e.message : String(err);
  }
}
