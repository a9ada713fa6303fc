/**
 * Validation of what callers hand the store, turning requests into log commands. Bad input is a
 * typed error naming the field; nothing malformed ever reaches the log.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { TXN_VERBS, type Command, type KvSetCommand, type TxnOpRecord } from './commands.js';
import { ZERO_FLAGS } from './kv-tree.js';
import type { KvDeleteOptions, KvSetOptions, TxnKvOp } from './types.js';

/** MAX_VALUE_BYTES is Consul's default kv_max_value_size, 512 KiB. */
export const MAX_VALUE_BYTES = 524288;
/** MAX_TXN_OPS is Consul's transaction operation limit (128 since 1.14). */
export const MAX_TXN_OPS = 128;
const MAX_UINT64 = (1n << 64n) - 1n;

/** invalid builds the STORE_INVALID_COMMAND error for a bad request. */
export function invalid(message: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_INVALID_COMMAND, message);
}

/** encodeValue stores bytes as a latin1 string (one code unit per byte); empty becomes null. */
export function encodeValue(value: Uint8Array | null | undefined): string | null {
  if (value === null || value === undefined || value.byteLength === 0) return null;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

function checkIndexParam(name: string, n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
    throw invalid(`${name}: must be a non-negative integer, got ${String(n)}`);
  }
}

function checkFlags(flags: bigint | undefined): bigint {
  if (flags === undefined) return ZERO_FLAGS;
  if (typeof flags !== 'bigint' || flags < 0n || flags > MAX_UINT64) {
    throw invalid(`flags: must be an unsigned 64-bit integer, got ${String(flags)}`);
  }
  return flags === 0n ? ZERO_FLAGS : flags;
}

function checkBytes(name: string, value: unknown): void {
  if (value !== null && value !== undefined && !(value instanceof Uint8Array)) {
    throw invalid(`${name}: must be bytes (Uint8Array)`);
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw invalid('key: must be a string');
  return key;
}

/** setCommand validates a PUT /v1/kv request and builds its command. */
export function setCommand(
  key: string,
  value: Uint8Array | null,
  options: KvSetOptions,
): KvSetCommand {
  checkKey(key);
  if (key === '') throw invalid('Missing key name');
  checkBytes('value', value);
  if (value !== null && value !== undefined && value.byteLength > MAX_VALUE_BYTES) {
    throw new ConfdError(
      ErrorCode.STORE_VALUE_TOO_LARGE,
      `Value exceeds ${MAX_VALUE_BYTES} byte limit (${value.byteLength} bytes for key ${JSON.stringify(key)})`,
    );
  }
  const given = [options.cas, options.acquire, options.release].filter((x) => x !== undefined);
  if (given.length > 1)
    throw invalid('Conflicting flags: use at most one of cas, acquire, release');
  checkIndexParam('cas', options.cas);
  const flags = checkFlags(options.flags);
  const encoded = encodeValue(value);
  for (const mode of ['acquire', 'release'] as const) {
    const session = options[mode];
    if (session === undefined) continue;
    if (typeof session !== 'string' || session === '') throw invalid('missing session');
    return { type: 'kv-set', key, value: encoded, flags, mode, session };
  }
  return options.cas !== undefined
    ? { type: 'kv-set', key, value: encoded, flags, mode: 'cas', cas: options.cas }
    : { type: 'kv-set', key, value: encoded, flags, mode: 'set' };
}

/** deleteCommand validates a DELETE /v1/kv request and builds its command. */
export function deleteCommand(key: string, options: KvDeleteOptions): Command {
  checkKey(key);
  checkIndexParam('cas', options.cas);
  if (options.recurse === true) {
    if (options.cas !== undefined) throw invalid('Conflicting flags: recurse and cas');
    return { type: 'kv-delete-tree', prefix: key };
  }
  if (key === '') throw invalid('Missing key name');
  return options.cas !== undefined
    ? { type: 'kv-delete', key, cas: options.cas }
    : { type: 'kv-delete', key };
}

/** txnRecords validates a PUT /v1/txn request (Consul's limits and texts) and encodes its ops. */
export function txnRecords(ops: TxnKvOp[]): TxnOpRecord[] {
  if (!Array.isArray(ops)) throw invalid('txn: operations must be an array');
  if (ops.length > MAX_TXN_OPS) {
    throw new ConfdError(
      ErrorCode.STORE_TXN_TOO_LARGE,
      `Transaction contains too many operations (${ops.length} > ${MAX_TXN_OPS})`,
    );
  }
  return ops.map((op, i) => {
    if (typeof op !== 'object' || op === null) throw invalid(`txn operation ${i}: not an object`);
    checkBytes(`txn operation ${i}: value`, op.value);
    if (op.session !== undefined && typeof op.session !== 'string') {
      throw invalid(`txn operation ${i}: session must be a string`);
    }
    if (!TXN_VERBS.has(op.verb)) {
      throw invalid(`txn operation ${i}: unknown KV verb ${JSON.stringify(op.verb)}`);
    }
    checkKey(op.key);
    checkIndexParam(`txn operation ${i}: index`, op.index);
    const size = op.value?.byteLength ?? 0;
    if (size > MAX_VALUE_BYTES) {
      throw new ConfdError(
        ErrorCode.STORE_VALUE_TOO_LARGE,
        `Value for key ${JSON.stringify(op.key)} is too large (${size} > ${MAX_VALUE_BYTES} bytes)`,
      );
    }
    return {
      verb: op.verb,
      key: op.key,
      value: encodeValue(op.value),
      flags: checkFlags(op.flags),
      index: op.index ?? 0,
      session: op.session ?? '',
    };
  });
}

/**
 * txnKeyErrors is the key check of Consul's transaction pre-check (`kvsPreApply`, run for every KV
 * op before the transaction is applied): every verb but `delete-tree` needs a key. It lists one
 * `Must provide key` per offending op; any at all fails the whole transaction (409), unapplied.
 */
export function txnKeyErrors(
  ops: readonly { readonly verb: string; readonly key: string }[],
): { opIndex: number; what: string }[] {
  const errors: { opIndex: number; what: string }[] = [];
  ops.forEach((op, i) => {
    if (op.key === '' && op.verb !== 'delete-tree')
      errors.push({ opIndex: i, what: 'Must provide key' });
  });
  return errors;
}
