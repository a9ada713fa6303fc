/**
 * Go-style texts for HTTP transport failures, so a backend error reads like confd's, e.g.
 * `Get "http://127.0.0.1:1/v1/kv/key?recurse=": dial tcp 127.0.0.1:1: connect: connection refused`.
 */
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';

/** hostPortOf returns `host:port` of a URL, with the scheme's default port filled in as Go dials. */
export function hostPortOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${port}`;
}

/** describeTransportError renders a socket-level failure the way Go's net/http would word it. */
export function describeTransportError(err: unknown, url: URL): string {
  const code = (err as { code?: unknown } | null)?.code;
  const hostPort = hostPortOf(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: connection reset by peer`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'EOF';
    default:
      return errorMessage(err);
  }
}

/** unreachableError wraps a transport failure of `METHOD url` as a BACKEND_UNREACHABLE error. */
export function unreachableError(method: string, url: URL, err: unknown): ConfdError {
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  return new ConfdError(
    ErrorCode.BACKEND_UNREACHABLE,
    `${verb} "${url.href}": ${describeTransportError(err, url)}`,
    { cause: err },
  );
}
