/**
 * The cluster's shared secret: Consul's gossip encryption key format, `-encrypt KEY` (also
 * `encrypt` in agent config files): standard base64 of 32 random bytes, as `consul keygen` prints.
 * Like Consul (memberlist's `ValidateKey`) we also accept the older 16 and 24-byte keys, so a
 * cluster keeps its key when it moves over.
 */
import { randomBytes } from 'node:crypto';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import { decodeBase64Std } from '../go/base64.js';

/** KEY_BYTES is the size of the keys {@link generateKey} makes (AES-256's, as `consul keygen`). */
export const KEY_BYTES = 32;

/** The key sizes Consul accepts (AES-128, -192, -256). */
const ACCEPTED_SIZES: readonly number[] = [16, 24, 32];

/** generateKey makes a new key: base64 of {@link KEY_BYTES} bytes from the system's CSPRNG. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * parseEncryptKey decodes a key in Consul's format and returns its bytes. It throws
 * `CFD_ERR_CLUSTER_KEY_INVALID` with Consul's texts: `encrypt has invalid key: illegal base64 data
 * at input byte 4` (Go's decoder: padding required, CR/LF skipped) or `encrypt has invalid key: key
 * size must be 16, 24 or 32 bytes`. An empty or absent `encrypt` means "no encryption": callers
 * decide that before calling (an empty string here is a 0-byte key, and rejected).
 */
export function parseEncryptKey(text: string): Buffer {
  let key: Buffer;
  try {
    key = decodeBase64Std(text);
  } catch (err) {
    throw invalidKey(errorMessage(err), err);
  }
  if (!ACCEPTED_SIZES.includes(key.length)) {
    throw invalidKey('key size must be 16, 24 or 32 bytes');
  }
  return key;
}

function invalidKey(reason: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.CLUSTER_KEY_INVALID, `encrypt has invalid key: ${reason}`, {
    cause,
  });
}
