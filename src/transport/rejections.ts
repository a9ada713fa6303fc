/**
 * What the cluster server says about input it refuses: the reason for the log line and the answer
 * (if any) for the peer, from Node's TLS and HTTP parser errors.
 */
import { errorMessage } from '../errors.js';

/** Rejection is how one refused connection or request is reported and answered. */
export interface Rejection {
  /** `connection`: logged as "rejected a connection", `request`: as "bad request". */
  readonly kind: 'connection' | 'request';
  /** The reason in the log line. */
  readonly reason: string;
  /** The HTTP status to answer with before closing; none: just close. */
  readonly status?: number;
  /** Normal network noise (a peer that hung up): logged at debug level only. */
  readonly quiet?: boolean;
  /** Plaintext on a keyed port: answered with a plaintext HTTP 400 and {@link ENCRYPT_REQUIRED}. */
  readonly answerPlaintext?: boolean;
}

/** The limits a server enforces, named in the reasons. */
export interface RejectionLimits {
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * ENCRYPT_REQUIRED is the header (value `encrypt-required`) of the plaintext 400 a keyed server
 * sends a plaintext HTTP client, so that the cluster client can name the cause.
 */
export const ENCRYPT_REQUIRED = 'x-confd-cluster-error';

/** The handshake errors of a peer with another key (OpenSSL cannot decrypt or authenticate). */
const WRONG_KEY_CODES = new Set([
  'ERR_SSL_CIPHER_OPERATION_FAILED',
  'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  'ERR_SSL_DECRYPTION_FAILED',
  'ERR_SSL_BAD_RECORD_MAC',
  'ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  'ERR_SSL_PSK_IDENTITY_NOT_FOUND',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY',
]);

/** A peer that went away; not worth a warning. */
const HANG_UP_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The first byte of a TLS record carrying a handshake (a ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** describeTlsFailure reports a failed TLS handshake on a keyed port. */
export function describeTlsFailure(err: Error, handshakeTimeoutMs: number): Rejection {
  const code = codeOf(err);
  // OpenSSL recognises GET, POST, PUT and HEAD requests; other plaintext is "wrong version number".
  if (code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    const what =
      code === 'ERR_SSL_HTTP_REQUEST' ? 'plaintext HTTP' : 'not TLS (wrong version number)';
    return {
      kind: 'connection',
      reason: `${what} on a port that requires -encrypt; the -encrypt key is probably missing on the other side`,
      answerPlaintext: true,
    };
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return {
      kind: 'connection',
      reason: `TLS handshake not completed within ${handshakeTimeoutMs} ms`,
    };
  }
  if (code !== undefined && HANG_UP_CODES.has(code)) {
    return { kind: 'connection', reason: 'closed during the TLS handshake', quiet: true };
  }
  if (code !== undefined && WRONG_KEY_CODES.has(code)) {
    return { kind: 'connection', reason: 'TLS handshake failed; wrong or missing -encrypt key?' };
  }
  const reason = (err as { reason?: unknown }).reason;
  const detail = typeof reason === 'string' ? reason : (code ?? errorMessage(err));
  return {
    kind: 'connection',
    reason: `TLS handshake failed (${detail}); wrong or missing -encrypt key?`,
  };
}

/** describeBadRequest reports an HTTP-level error (Node's `clientError`) on a connection. */
export function describeBadRequest(err: Error, limits: RejectionLimits): Rejection {
  const code = codeOf(err);
  const raw = (err as { rawPacket?: unknown }).rawPacket;
  if (Buffer.isBuffer(raw) && raw[0] === TLS_HANDSHAKE_RECORD && code === 'HPE_INVALID_METHOD') {
    return {
      kind: 'connection',
      reason: 'a TLS handshake on a port without -encrypt; is -encrypt set on the other side only?',
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      kind: 'request',
      reason: `header block larger than ${limits.maxHeaderBytes} bytes`,
      status: 431,
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      kind: 'request',
      reason:
        `request not received in time (headers within ${limits.headersTimeoutMs} ms,` +
        ` the whole request within ${limits.requestTimeoutMs} ms)`,
      status: 408,
    };
  }
  if (code === 'HPE_INVALID_EOF_STATE') {
    return { kind: 'request', reason: 'connection closed in the middle of a request' };
  }
  if (code !== undefined && HANG_UP_CODES.has(code)) {
    return { kind: 'request', reason: `connection lost (${code})`, quiet: true };
  }
  const reason = (err as { reason?: unknown }).reason;
  if (code?.startsWith('HPE_')) {
    return {
      kind: 'request',
      reason: `malformed HTTP (${typeof reason === 'string' ? reason : code})`,
      status: 400,
    };
  }
  return { kind: 'request', reason: errorMessage(err), status: 400 };
}
