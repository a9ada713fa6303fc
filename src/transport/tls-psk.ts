/**
 * TLS 1.2 with a pre-shared key (the `-encrypt` key), no certificates: the settings both ends of
 * an agent-to-agent connection use. A peer with another key, or none, fails the handshake.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls';

/** PSK_IDENTITY names the key in the handshake; the key itself is the secret. */
export const PSK_IDENTITY = 'confd';

/**
 * PSK_CIPHERS are the suites offered, best first: ECDHE-PSK (forward secrecy: a key leaked later
 * does not decrypt recorded traffic), then plain PSK with AES-256-GCM or ChaCha20-Poly1305.
 */
export const PSK_CIPHERS = [
  'ECDHE-PSK-CHACHA20-POLY1305',
  'PSK-AES256-GCM-SHA384',
  'PSK-CHACHA20-POLY1305',
].join(':');

/** pskServerOptions are a TLS server's options for `key`; a handshake must end within the timeout. */
export function pskServerOptions(key: Buffer, handshakeTimeoutMs: number): TlsOptions {
  return {
    ciphers: PSK_CIPHERS,
    honorCipherOrder: true,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    pskIdentityHint: PSK_IDENTITY,
    pskCallback: (_socket, identity) => (identity === PSK_IDENTITY ? key : null),
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/** pskClientOptions are `tls.connect` options for `key` (no certificate, so no identity check). */
export function pskClientOptions(key: Buffer): ConnectionOptions {
  return {
    ciphers: PSK_CIPHERS,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    checkServerIdentity: () => undefined,
    pskCallback: () => ({ psk: key, identity: PSK_IDENTITY }),
  };
}
