/**
 * The etcd backend (`etcd` and `etcdv3`; confd master uses the v3 API for both): etcd v3 through
 * its JSON gRPC gateway with undici.
 *
 * - getValues: `POST /v3/kv/txn` with up to 128 prefix ranges per transaction, all read at the
 *   revision of the first one (as confd), and confd's segment-aware filter: a key is kept when it
 *   equals the requested key or starts with it plus `/`. etcd keys keep their leading `/`.
 * - watchPrefix: the index is the etcd revision. waitIndex 0 returns the current revision; later
 *   calls open one `POST /v3/watch` stream over the keys' common prefix from `waitIndex + 1`, so
 *   no change after the last read can be missed (confd issue #671), and resolve at the first event
 *   on a key that string-starts with one of the resource's keys (confd's per-key prefix watches).
 * - All nodes are used, with basic auth as a token: see {@link EtcdGateway}.
 */
import { abortError, ConfdError, ErrorCode, errorMessage } from '../errors.js';
import { throwIfAborted } from './abort.js';
import { createEtcdGateway, ndjsonLines } from './etcd-gateway.js';
import type { EtcdGateway, EtcdGatewayOptions } from './etcd-gateway.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** EtcdBackendOptions configures {@link createEtcdBackend}. */
export interface EtcdBackendOptions extends EtcdGatewayOptions {
  /** The name reported as {@link Backend.name}: `etcd` (default) or `etcdv3`. */
  name?: string | undefined;
}

/** EtcdMaxTxnOps is etcd's default `--max-txn-ops`, the batch size confd uses. */
export const EtcdMaxTxnOps = 128;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString() : '');

/** etcdPrefixEnd is the range end covering every key that starts with `key` (clientv3.GetPrefixRangeEnd). */
export function etcdPrefixEnd(key: string): string {
  const bytes = Buffer.from(key);
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i] ?? 0xff;
    if (byte < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = byte + 1;
      return end.toString('base64');
    }
  }
  return b64('\0'); // all 0xff (or empty): every key
}

/** rangeStart is the base64 range start for a prefix; the empty prefix is etcd's `\0` (all keys). */
function rangeStart(key: string): string {
  return b64(key === '' ? '\0' : key);
}

/** etcdKeyMatches is confd's segment-aware filter: `k == key` or `k` starts with `key/`. */
export function etcdKeyMatches(k: string, key: string): boolean {
  return k === key || k.startsWith(key.endsWith('/') ? key : `${key}/`);
}

/** commonPrefix is the longest string every key starts with. */
function commonPrefix(keys: readonly string[]): string {
  let prefix = keys[0] ?? '';
  for (const key of keys) {
    while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

interface GatewayHeader {
  revision?: string;
}

interface GatewayRange {
  header?: GatewayHeader;
  kvs?: { key?: string; value?: string }[];
}

interface WatchMessage {
  result?: {
    header?: GatewayHeader;
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: unknown[];
  };
  error?: { message?: string; http_code?: number };
}

/** EtcdBackend talks to an etcd v3 cluster through its JSON gateway. */
class EtcdBackend implements Backend {
  readonly name: string;
  readonly #gateway: EtcdGateway;
  readonly #closer = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(name: string, gateway: EtcdGateway) {
    this.name = name;
    this.#gateway = gateway;
  }

  async getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    throwIfAborted(signal);
    const distinct = [...new Set(keys)];
    const vars = new Map<string, string>();
    let revision: string | undefined;
    for (let i = 0; i < distinct.length; i += EtcdMaxTxnOps) {
      const batch = distinct.slice(i, i + EtcdMaxTxnOps);
      const success = batch.map((key) => ({
        request_range: {
          key: rangeStart(key),
          range_end: etcdPrefixEnd(key),
          ...(revision ? { revision } : {}),
        },
      }));
      const answer = (await this.#gateway.call('/v3/kv/txn', { success }, signal)) as {
        header?: GatewayHeader;
        responses?: { response_range?: GatewayRange }[];
      };
      revision ??= answer.header?.revision;
      (answer.responses ?? []).forEach((response, n) => {
        const key = batch[n] ?? '';
        for (const kv of response.response_range?.kvs ?? []) {
          const k = unb64(kv.key);
          if (etcdKeyMatches(k, key)) vars.set(k, unb64(kv.value));
        }
      });
    }
    return vars;
  }

  async watchPrefix(prefix: string, options: WatchPrefixOptions): Promise<number> {
    const { waitIndex } = options;
    const signal = AbortSignal.any([options.signal, this.#closer.signal]);
    throwIfAborted(signal);
    // confd watches each key of the resource (prefix ranges); the prefix when there are none.
    const keys = options.keys.length > 0 ? [...new Set(options.keys)] : [prefix];
    if (waitIndex === 0) {
      const answer = (await this.#gateway.call(
        '/v3/kv/range',
        { key: rangeStart(keys[0] ?? prefix), count_only: true },
        signal,
      )) as GatewayRange;
      return Number(answer.header?.revision ?? 0) || 1;
    }
    // One stream over the keys' common prefix instead of one per key; events are then matched
    // against the keys with the same (string-prefix) rule as confd's per-key watches.
    return this.#watchOnce(commonPrefix(keys), keys, waitIndex, signal);
  }

  /** #watchOnce streams `POST /v3/watch` over `range` and resolves at the first change to `keys`. */
  async #watchOnce(
    range: string,
    keys: readonly string[],
    waitIndex: number,
    signal: AbortSignal,
  ): Promise<number> {
    const body = {
      create_request: {
        key: rangeStart(range),
        range_end: etcdPrefixEnd(range),
        start_revision: String(waitIndex + 1),
      },
    };
    const response = await this.#gateway.open('/v3/watch', body, signal, true);
    try {
      for await (const line of ndjsonLines(response.body)) {
        const result = this.#watchResult(line, waitIndex, range, keys);
        if (result !== undefined) return result;
      }
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (err instanceof ConfdError) throw err;
      throw new ConfdError(
        ErrorCode.BACKEND_UNREACHABLE,
        `etcd watch on ${range}: ${errorMessage(err)}`,
        { cause: err },
      );
    } finally {
      response.body.destroy();
    }
    if (signal.aborted) throw abortError(signal);
    throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `etcd watch on ${range}: stream ended`);
  }

  /** #watchResult decides what one watch stream message means: an index to return, or wait on. */
  #watchResult(
    line: string,
    waitIndex: number,
    key: string,
    keys: readonly string[],
  ): number | undefined {
    let message: WatchMessage;
    try {
      message = JSON.parse(line) as WatchMessage;
    } catch (err) {
      throw new ConfdError(ErrorCode.BACKEND_RESPONSE, `etcd watch on ${key}: bad JSON`, {
        cause: err,
      });
    }
    if (message.error) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `etcd watch on ${key}: ${message.error.message ?? 'error'}`,
      );
    }
    const result = message.result;
    if (!result) return undefined;
    const revision = Number(result.header?.revision ?? 0);
    // Compacted past waitIndex: changes may be lost, so report one (a full re-read follows).
    if (Number(result.compact_revision ?? 0) > 0) return Math.max(revision, waitIndex + 1);
    if (result.canceled) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `etcd watch on ${key} canceled: ${result.cancel_reason ?? 'unknown reason'}`,
      );
    }
    // The cluster is behind our index (restored or replaced): the index went backwards, re-read.
    if (result.created && revision > 0 && revision < waitIndex) return 0;
    const touched = (result.events ?? []).some((event) => {
      const k = unb64((event as { kv?: { key?: unknown } } | null)?.kv?.key);
      return keys.some((watched) => k.startsWith(watched));
    });
    return touched ? revision : undefined;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closer.abort();
      await this.#gateway.close();
    })();
    return this.#closing;
  }
}

/** createEtcdBackend builds the etcd backend over all -node endpoints (reads TLS files, if any). */
export async function createEtcdBackend(options: EtcdBackendOptions): Promise<Backend> {
  return new EtcdBackend(options.name ?? 'etcd', await createEtcdGateway(options));
}
