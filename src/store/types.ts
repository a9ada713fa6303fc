/**
 * The contract of the bundled store's engine: what the HTTP API, the agent and the daemon's
 * embedded backend may call. The engine (src/store/store.ts) implements {@link Store}.
 *
 * Every mutation is a {@link Command} appended to the log, given the next index and applied in
 * order by a deterministic state machine; nothing writes around that path. Reads come from memory.
 * Time-based behaviour (session TTLs, lock-delay) lives outside the state machine, as Consul keeps it
 * on the leader: timers submit commands, they never mutate state directly.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ReplicatedLog } from './durable-log.js';

/** KvEntry is one key of the KV table, as Consul's DirEntry. */
export interface KvEntry {
  readonly key: string;
  /** The value bytes; null for an empty value (Consul answers `"Value": null`). */
  readonly value: Uint8Array | null;
  /** Opaque uint64 flags. */
  readonly flags: bigint;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  /** The session holding the lock, absent when unlocked. */
  readonly session?: string;
}

/** SessionBehavior is what happens to a session's locks when it is invalidated. */
export type SessionBehavior = 'release' | 'delete';

/** Session is one row of the sessions table, as Consul's /v1/session answers. */
export interface Session {
  readonly id: string;
  readonly name: string;
  readonly node: string;
  /** Lock-delay in nanoseconds (Consul's JSON unit). */
  readonly lockDelayNs: number;
  readonly behavior: SessionBehavior;
  /** TTL as given, e.g. "30s", or "" for none. */
  readonly ttl: string;
  readonly nodeChecks: readonly string[];
  readonly serviceChecks: readonly { readonly id: string }[] | null;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** SessionRequest is a session to create; the engine fills Consul's defaults. */
export interface SessionRequest {
  name?: string;
  node?: string;
  lockDelayNs?: number;
  behavior?: SessionBehavior;
  ttl?: string;
  nodeChecks?: string[];
  serviceChecks?: { id: string }[] | null;
}

/** KvSetOptions are the PUT /v1/kv/<key> flags; at most one of cas/acquire/release. */
export interface KvSetOptions {
  flags?: bigint;
  /** 0 = create only if absent; N = only if ModifyIndex == N. */
  cas?: number;
  acquire?: string;
  release?: string;
}

/** KvDeleteOptions are the DELETE /v1/kv/<key> flags. */
export interface KvDeleteOptions {
  recurse?: boolean;
  cas?: number;
}

/** TxnKvVerb lists Consul's KV transaction verbs. */
/**
 * TXN_KV_VERBS lists Consul's KV transaction verbs. The order is part of the log's binary
 * encoding (a verb is stored as its position): append only.
 */
export const TXN_KV_VERBS = [
  'set',
  'cas',
  'lock',
  'unlock',
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
  'delete',
  'delete-tree',
  'delete-cas',
] as const;

/** TxnKvVerb is one of {@link TXN_KV_VERBS}. */
export type TxnKvVerb = (typeof TXN_KV_VERBS)[number];

/** TXN_READ_VERBS are the verbs that never write; a transaction of only these is served as a read. */
export const TXN_READ_VERBS: ReadonlySet<TxnKvVerb> = new Set<TxnKvVerb>([
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
]);

/** TxnKvOp is one KV operation of PUT /v1/txn. */
export interface TxnKvOp {
  verb: TxnKvVerb;
  key: string;
  value?: Uint8Array | null;
  flags?: bigint;
  index?: number;
  session?: string;
}

/** TxnResult is the outcome of a transaction: all results, or the errors that rolled it back. */
export type TxnResult =
  | { ok: true; results: KvEntry[]; index: number }
  | { ok: false; errors: { opIndex: number; what: string }[] };

/** Indexed is a read result together with the X-Consul-Index it must be served with. */
export interface Indexed<T> {
  readonly value: T;
  /** The blocking-query index of this answer (Consul's rules); may be 0 on an empty store. */
  readonly index: number;
}

/**
 * WatchScope names what a blocking query depends on, so that a write wakes only the queries whose
 * answer it can change: a key, a key prefix, or a whole table.
 */
export type WatchScope =
  | { kind: 'key'; key: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'table'; table: 'sessions' | 'kv' };

/**
 * LogFile is what the write-ahead log uses of an open segment file; a FileHandle is one. Tests wrap
 * one to inject I/O failures: `datasyncSync`, when present, replaces the synchronous fdatasync the
 * log makes of a lone small record (default: fs.fdatasyncSync on `fd`).
 */
export type LogFile = Pick<FileHandle, 'fd' | 'write' | 'datasync' | 'truncate' | 'close'> & {
  datasyncSync?: () => void;
};

/** StoreOptions configures {@link Store} creation. */
export interface StoreOptions {
  /** Directory holding the write-ahead log and snapshots; created 0700. Required unless dev. */
  dataDir?: string;
  /** Keep everything in memory (consul agent -dev). */
  dev?: boolean;
  /** This node's name: the default Node of sessions. */
  nodeName: string;
  /** The clock, for session TTLs and lock-delay. Default Date.now. */
  now?: () => number;
  /** Take a snapshot once the log holds this many records since the last one. Default 131072. */
  snapshotEvery?: number;
  /** How long a tombstone is kept before it is reaped, in ms. Default 15 min (Consul). */
  tombstoneTtlMs?: number;
  /** How often session TTLs and tombstone reaping are checked, in ms. Default 1000; 0 disables. */
  timerIntervalMs?: number;
  /**
   * A log shared with other servers (src/replication): commands are appended to it and applied in
   * its order, and `dataDir` keeps only a local snapshot for restarts. Absent = the local WAL.
   */
  replicatedLog?: ReplicatedLog;
  /** Reports a recovered problem (a damaged local snapshot set aside). Default: silent. */
  warn?: (message: string) => void;
  /** Opens the log's segment files (tests inject I/O failures). Default fs.promises.open. */
  openLogFile?: (path: string, flags: string, mode?: number) => Promise<LogFile>;
}

/** StoreStats are the engine's counters (for tests, metrics and benchmarks). */
export interface StoreStats {
  readonly lastIndex: number;
  /** Live keys in the KV table. */
  readonly keys: number;
  readonly sessions: number;
  /** Commands applied since start (not counting recovery). */
  readonly commands: number;
  /** Group-commit batches written, and fdatasync calls made on the log. */
  readonly batches: number;
  readonly fsyncs: number;
  readonly snapshots: number;
  /** Parked waitForChange calls. */
  readonly waiters: number;
  /** Tombstones not yet reaped. */
  readonly tombstones: number;
}

/** Store is the engine behind the HTTP API and the embedded backend. */
export interface Store {
  /** The index of the last applied command (1 on an empty store: index 1 is reserved, as Consul's first internal write). */
  readonly lastIndex: number;

  kvGet(key: string): Indexed<KvEntry | undefined>;
  /** Every entry whose key starts with prefix, sorted by key. */
  kvList(prefix: string): Indexed<KvEntry[]>;
  /** Key names under prefix, truncated after the first separator following the prefix, de-duplicated. */
  kvKeys(prefix: string, separator?: string): Indexed<string[]>;

  /** PUT /v1/kv semantics; resolves once durable, to Consul's true/false. */
  kvSet(key: string, value: Uint8Array | null, options?: KvSetOptions): Promise<boolean>;
  /** DELETE /v1/kv semantics; resolves once durable. */
  kvDelete(key: string, options?: KvDeleteOptions): Promise<boolean>;
  /** PUT /v1/txn semantics, applied as one atomic command. */
  txn(ops: TxnKvOp[]): Promise<TxnResult>;

  sessionCreate(request: SessionRequest): Promise<Session>;
  sessionDestroy(id: string): Promise<void>;
  /** Resets the TTL timer; undefined when the session does not exist. */
  sessionRenew(id: string): Promise<Session | undefined>;
  sessionInfo(id: string): Indexed<Session | undefined>;
  sessionList(): Indexed<Session[]>;
  sessionsOfNode(node: string): Indexed<Session[]>;

  /**
   * Resolves at the next applied change that can alter answers in scope, or rejects with an
   * ABORTED ConfdError when signal fires. Call it synchronously right after the read it guards.
   */
  waitForChange(scope: WatchScope, signal: AbortSignal): Promise<void>;

  /** The engine's counters. Optional so that test doubles need not implement it. */
  stats?(): StoreStats;

  /** Flushes, closes files, stops timers. Idempotent. */
  close(): Promise<void>;
}
