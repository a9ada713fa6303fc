/**
 * The etcd v3 calls the replicated log makes, typed, over the etcd backend's JSON-gateway client
 * (failover across endpoints, TLS, auth). int64 fields travel as JSON strings and fields at their
 * default value are left out (grpc-gateway's JSONPb), so every field is read defensively.
 */
import { abortError, ConfdError, ErrorCode, errorMessage } from '../errors.js';
import { etcdPrefixEnd } from '../backends/etcd.js';
import { ndjsonLines, type EtcdGateway } from '../backends/etcd-gateway.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** KeyValue is one key as etcd returns it. */
export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly lease: string;
}

/** WatchEvent is one change delivered by a watch. */
export interface WatchEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue;
}

/** WatchMessage is one message of a watch stream. */
export type WatchMessage =
  | { readonly kind: 'events'; readonly events: WatchEvent[] }
  | { readonly kind: 'created' }
  | { readonly kind: 'compacted'; readonly compactRevision: number }
  | { readonly kind: 'canceled'; readonly reason: string };

/** A guarded write: compare one key's create revision, then put. */
export interface GuardedPut {
  readonly guardKey: string;
  /** The create revision the guard key must have (0 = it must not exist). */
  readonly createRevision: number;
  readonly key: string;
  readonly value: Buffer | string;
  readonly lease?: string | undefined;
}

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

function num(v: unknown): number {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

function keyValue(raw: RawKv): KeyValue {
  return {
    key: Buffer.from(raw.key ?? '', 'base64').toString(),
    value: Buffer.from(raw.value ?? '', 'base64'),
    createRevision: num(raw.create_revision),
    modRevision: num(raw.mod_revision),
    lease: raw.lease ?? '0',
  };
}

function revisionOf(answer: unknown): number {
  return num((answer as { header?: { revision?: string } }).header?.revision);
}

/** EtcdCalls wraps the gateway with the calls the log needs. */
export class EtcdCalls {
  readonly #gateway: EtcdGateway;

  constructor(gateway: EtcdGateway) {
    this.#gateway = gateway;
  }

  /** put writes key and returns the revision of the write. */
  async put(key: string, value: Buffer | string, lease?: string, signal?: AbortSignal) {
    const body = { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) };
    return revisionOf(await this.#gateway.call('/v3/kv/put', body, signal));
  }

  /** guardedPut puts only when the guard holds; returns the revision, or undefined when it failed. */
  async guardedPut(put: GuardedPut, signal?: AbortSignal): Promise<number | undefined> {
    const body = {
      compare: [
        {
          key: b64(put.guardKey),
          target: 'CREATE',
          result: 'EQUAL',
          create_revision: String(put.createRevision),
        },
      ],
      success: [
        {
          request_put: {
            key: b64(put.key),
            value: b64(put.value),
            ...(put.lease ? { lease: put.lease } : {}),
          },
        },
      ],
    };
    const answer = (await this.#gateway.call('/v3/kv/txn', body, signal)) as {
      succeeded?: boolean;
    };
    return answer.succeeded === true ? revisionOf(answer) : undefined;
  }

  /** range reads key (or every key under it with `prefix`), linearizably; keysOnly skips values. */
  async range(key: string, prefix: boolean, signal?: AbortSignal, keysOnly = false) {
    const body = {
      key: b64(key),
      ...(prefix ? { range_end: etcdPrefixEnd(key) } : {}),
      ...(keysOnly ? { keys_only: true } : {}),
    };
    const answer = (await this.#gateway.call('/v3/kv/range', body, signal)) as { kvs?: RawKv[] };
    return { revision: revisionOf(answer), kvs: (answer.kvs ?? []).map(keyValue) };
  }

  /** deleteKeys deletes one key, or with `prefix` every key under it. */
  async deleteKeys(key: string, prefix: boolean, signal?: AbortSignal): Promise<void> {
    const body = { key: b64(key), ...(prefix ? { range_end: etcdPrefixEnd(key) } : {}) };
    await this.#gateway.call('/v3/kv/deleterange', body, signal);
  }

  /**
   * compact drops the history below revision (etcd keeps each key's value as of it). A revision
   * already compacted is not an error here.
   */
  async compact(revision: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.#gateway.call('/v3/kv/compaction', { revision: String(revision) }, signal);
    } catch (err) {
      if (!/required revision has been compacted/.test(errorMessage(err))) throw err;
    }
  }

  /** leaseGrant grants a lease of ttlSeconds and returns its ID (a decimal string). */
  async leaseGrant(ttlSeconds: number, signal?: AbortSignal): Promise<string> {
    const answer = (await this.#gateway.call('/v3/lease/grant', { TTL: ttlSeconds }, signal)) as {
      ID?: string;
      error?: string;
    };
    if (!answer.ID) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `etcd lease grant: ${answer.error ?? 'no lease ID'}`,
      );
    }
    return answer.ID;
  }

  /**
   * leaseKeepAlive renews a lease once and returns the TTL etcd granted (0 = the lease is gone).
   * The gateway answers a keepalive as a stream: the first message is the answer.
   */
  async leaseKeepAlive(id: string, signal?: AbortSignal): Promise<number> {
    const response = await this.#gateway.open('/v3/lease/keepalive', { ID: id }, signal, false);
    try {
      for await (const line of ndjsonLines(response.body)) {
        const message = parseLine(line, 'lease keepalive') as { result?: { TTL?: string } };
        return num(message.result?.TTL);
      }
      return 0;
    } finally {
      response.body.destroy();
    }
  }

  /** leaseRevoke revokes a lease (its keys are deleted). */
  async leaseRevoke(id: string, signal?: AbortSignal): Promise<void> {
    await this.#gateway.call('/v3/lease/revoke', { ID: id }, signal);
  }

  /**
   * watch streams every change under prefix from startRevision (inclusive). `hasleader` makes a
   * member cut off from its quorum end the stream instead of leaving it silent (etcd#10819).
   */
  async *watch(prefix: string, startRevision: number, signal: AbortSignal) {
    const body = {
      create_request: {
        key: b64(prefix),
        range_end: etcdPrefixEnd(prefix),
        start_revision: String(startRevision),
      },
    };
    const response = await this.#gateway.open('/v3/watch', body, signal, true, {
      'grpc-metadata-hasleader': 'true',
    });
    try {
      for await (const line of ndjsonLines(response.body)) yield watchMessage(line);
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (err instanceof ConfdError) throw err;
      throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `etcd watch: ${errorMessage(err)}`, {
        cause: err,
      });
    } finally {
      response.body.destroy();
    }
    throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, 'etcd watch: stream ended');
  }

  close(): Promise<void> {
    return this.#gateway.close();
  }
}

function parseLine(line: string, what: string): unknown {
  let message: { error?: { message?: string } };
  try {
    message = JSON.parse(line) as typeof message;
  } catch (err) {
    throw new ConfdError(ErrorCode.BACKEND_RESPONSE, `etcd ${what}: bad JSON`, { cause: err });
  }
  if (message.error) {
    throw new ConfdError(
      ErrorCode.BACKEND_RESPONSE,
      `etcd ${what}: ${message.error.message ?? 'error'}`,
    );
  }
  return message;
}

function watchMessage(line: string): WatchMessage {
  const { result } = parseLine(line, 'watch') as {
    result?: {
      created?: boolean;
      canceled?: boolean;
      compact_revision?: string;
      cancel_reason?: string;
      events?: { type?: string; kv?: RawKv }[];
    };
  };
  if (result === undefined) return { kind: 'events', events: [] };
  if (result.canceled) {
    const compactRevision = num(result.compact_revision);
    return compactRevision > 0
      ? { kind: 'compacted', compactRevision }
      : { kind: 'canceled', reason: result.cancel_reason ?? 'no reason given' };
  }
  if (result.created) return { kind: 'created' };
  const events = (result.events ?? []).map((e) => ({
    type: e.type === 'DELETE' ? ('DELETE' as const) : ('PUT' as const),
    kv: keyValue(e.kv ?? {}),
  }));
  return { kind: 'events', events };
}
