/**
 * The bundled store's engine: a single-writer replicated log in front of a deterministic state
 * machine, with in-memory reads, scoped blocking-query wake-ups and optional durability.
 *
 * Writes are validated, turned into {@link Command}s, appended (group commit: one fdatasync per
 * batch) and only then applied, so a read never sees an unacknowledged write. Timers (session TTLs,
 * lock-delay, tombstone reaping) live here, outside the state machine, like Consul's leader.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import type { Command, TxnOpRecord } from './commands.js';
import { TXN_READ_VERBS, TXN_VERBS } from './commands.js';
import type { DurableLog, LogRecord } from './durable-log.js';
import { openFileLog } from './file-log.js';
import { buildSessionRecord, sessionTtlMs } from './session-request.js';
import { StateMachine } from './state-machine.js';
import type {
  Indexed,
  KvDeleteOptions,
  KvEntry,
  KvSetOptions,
  Session,
  SessionRequest,
  Store,
  StoreOptions,
  StoreStats,
  TxnKvOp,
  TxnResult,
  WatchScope,
} from './types.js';
import { WaiterRegistry } from './waiters.js';

/** MAX_VALUE_BYTES is Consul's default kv_max_value_size, 512 KiB. */
export const MAX_VALUE_BYTES = 524288;
/** MAX_TXN_OPS is Consul's transaction operation limit (128 since 1.14). */
export const MAX_TXN_OPS = 128;
const MAX_UINT64 = (1n << 64n) - 1n;
const DEFAULT_TOMBSTONE_TTL_MS = 15 * 60 * 1000;
/** Consul invalidates a session after SessionTTLMultiplier (2) × TTL without a renew. */
const SESSION_TTL_MULTIPLIER = 2;

/** StoreEngine is the {@link Store} with the engine's extras for tests and tooling. */
export interface StoreEngine extends Store {
  stats(): StoreStats;
  /** Runs the session-TTL, lock-delay and tombstone-reaping checks now (the timer calls it too). */
  runTimers(): Promise<void>;
  /** Takes a snapshot now (no-op in dev mode). */
  snapshot(): Promise<void>;
  /** Resolves once the writer is idle: no batch or snapshot in flight. */
  idle(): Promise<void>;
}

interface Pending {
  readonly command: Command;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

function invalid(message: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_INVALID_COMMAND, message);
}

function encodeValue(value: Uint8Array | null | undefined): string | null {
  if (value === null || value === undefined || value.byteLength === 0) return null;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

function checkIndexParam(name: string, n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
    throw invalid(`${name}: must be a non-negative integer, got ${String(n)}`);
  }
}

function checkFlags(flags: bigint | undefined): bigint {
  if (flags === undefined) return 0n;
  if (typeof flags !== 'bigint' || flags < 0n || flags > MAX_UINT64) {
    throw invalid(`flags: must be an unsigned 64-bit integer, got ${String(flags)}`);
  }
  return flags;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw invalid('key: must be a string');
  return key;
}

/** createStore opens (or, with dev, creates in memory) the bundled store. */
export async function createStore(options: StoreOptions): Promise<StoreEngine> {
  if (typeof options.nodeName !== 'string' || options.nodeName === '') {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, 'nodeName: must be a non-empty string');
  }
  const state = new StateMachine();
  if (options.dev === true) return new EngineStore(options, state, undefined);
  if (options.dataDir === undefined || options.dataDir === '') {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, 'dataDir: required unless dev is set');
  }
  const log = await openFileLog({
    dir: options.dataDir,
    state,
    snapshotEvery: options.snapshotEvery,
  });
  return new EngineStore(options, state, log);
}

class EngineStore implements StoreEngine {
  readonly #state: StateMachine;
  readonly #log: DurableLog | undefined;
  readonly #waiters = new WaiterRegistry();
  readonly #now: () => number;
  readonly #nodeName: string;
  readonly #tombstoneTtlMs: number;
  readonly #timer: NodeJS.Timeout | undefined;

  #pending: Pending[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #commands = 0;
  #batches = 0;

  /** Session ID → time (ms) after which it is invalidated, for sessions with a TTL. */
  readonly #deadlines = new Map<string, number>();
  /** Key → time (ms) until which acquire is refused (lock-delay). */
  readonly #lockDelays = new Map<string, number>();
  /** When tombstones were made: [index, time], oldest first, for reaping. */
  readonly #tombTimes: { index: number; at: number }[] = [];

  constructor(options: StoreOptions, state: StateMachine, log: DurableLog | undefined) {
    this.#state = state;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#nodeName = options.nodeName;
    this.#tombstoneTtlMs = options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS;
    const now = this.#now();
    // Recovered sessions get a fresh TTL, and recovered tombstones a fresh reap clock.
    for (const session of state.sessions.values()) this.#armTtl(session, now);
    if (state.pendingTombstones().length > 0) {
      this.#tombTimes.push({ index: state.lastIndex, at: now });
    }
    const interval = options.timerIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timer = setInterval(() => void this.runTimers().catch(() => undefined), interval);
      this.#timer.unref();
    }
  }

  get lastIndex(): number {
    return this.#state.lastIndex;
  }

  // --- reads ---------------------------------------------------------------------------------

  #open(): void {
    if (this.#closed) throw new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed');
  }

  kvGet(key: string): Indexed<KvEntry | undefined> {
    this.#open();
    const value = this.#state.get(key);
    return { value, index: value?.modifyIndex ?? this.#state.kvIndex };
  }

  kvList(prefix: string): Indexed<KvEntry[]> {
    this.#open();
    return { value: this.#state.list(prefix), index: this.#state.prefixIndex(prefix) };
  }

  kvKeys(prefix: string, separator?: string): Indexed<string[]> {
    this.#open();
    return {
      value: this.#state.keys(prefix, separator ?? ''),
      index: this.#state.prefixIndex(prefix),
    };
  }

  sessionInfo(id: string): Indexed<Session | undefined> {
    this.#open();
    return { value: this.#state.sessions.get(id), index: this.#state.sessionsIndex };
  }

  sessionList(): Indexed<Session[]> {
    this.#open();
    const value = [...this.#state.sessions.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return { value, index: this.#state.sessionsIndex };
  }

  sessionsOfNode(node: string): Indexed<Session[]> {
    const all = this.sessionList();
    return { value: all.value.filter((s) => s.node === node), index: all.index };
  }

  waitForChange(scope: WatchScope, signal: AbortSignal): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    return this.#waiters.wait(scope, signal);
  }

  stats(): StoreStats {
    return {
      lastIndex: this.#state.lastIndex,
      keys: this.#state.tree.root.live,
      sessions: this.#state.sessions.size,
      commands: this.#commands,
      batches: this.#batches,
      fsyncs: this.#log?.fsyncs ?? 0,
      snapshots: this.#log?.snapshots ?? 0,
      waiters: this.#waiters.size,
      tombstones: this.#state.pendingTombstones().length,
    };
  }

  // --- writes --------------------------------------------------------------------------------

  async kvSet(key: string, value: Uint8Array | null, options: KvSetOptions = {}): Promise<boolean> {
    checkKey(key);
    if (key === '') throw invalid('Missing key name');
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
    if (options.acquire !== undefined) {
      if (options.acquire === '') throw invalid('missing session');
      // Consul's leader refuses an acquire while the key's lock-delay runs (outside Raft).
      const until = this.#lockDelays.get(key);
      if (until !== undefined && until > this.#now()) return false;
      const command: Command = {
        type: 'kv-set',
        key,
        value: encoded,
        flags,
        mode: 'acquire',
        session: options.acquire,
      };
      return (await this.#submit(command)) as boolean;
    }
    if (options.release !== undefined) {
      const command: Command = {
        type: 'kv-set',
        key,
        value: encoded,
        flags,
        mode: 'release',
        session: options.release,
      };
      return (await this.#submit(command)) as boolean;
    }
    const command: Command =
      options.cas !== undefined
        ? { type: 'kv-set', key, value: encoded, flags, mode: 'cas', cas: options.cas }
        : { type: 'kv-set', key, value: encoded, flags, mode: 'set' };
    return (await this.#submit(command)) as boolean;
  }

  async kvDelete(key: string, options: KvDeleteOptions = {}): Promise<boolean> {
    checkKey(key);
    checkIndexParam('cas', options.cas);
    if (options.recurse === true) {
      if (options.cas !== undefined) throw invalid('Conflicting flags: recurse and cas');
      return (await this.#submit({ type: 'kv-delete-tree', prefix: key })) as boolean;
    }
    if (key === '') throw invalid('Missing key name');
    const command: Command =
      options.cas !== undefined
        ? { type: 'kv-delete', key, cas: options.cas }
        : { type: 'kv-delete', key };
    return (await this.#submit(command)) as boolean;
  }

  async txn(ops: TxnKvOp[]): Promise<TxnResult> {
    if (!Array.isArray(ops)) throw invalid('txn: operations must be an array');
    if (ops.length > MAX_TXN_OPS) {
      throw new ConfdError(
        ErrorCode.STORE_TXN_TOO_LARGE,
        `Transaction contains too many operations (${ops.length} > ${MAX_TXN_OPS})`,
      );
    }
    const records: TxnOpRecord[] = ops.map((op, i) => {
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
    // Consul serves a transaction of reads only as a read: no log entry, no fsync.
    if (records.every((r) => TXN_READ_VERBS.has(r.verb))) {
      this.#open();
      return this.#state.readTxn(records);
    }
    return (await this.#submit({ type: 'txn', ops: records })) as TxnResult;
  }

  async sessionCreate(request: SessionRequest): Promise<Session> {
    const record = buildSessionRecord(request ?? {}, this.#nodeName);
    return (await this.#submit({ type: 'session-create', session: record })) as Session;
  }

  async sessionDestroy(id: string): Promise<void> {
    if (typeof id !== 'string') throw invalid('session id: must be a string');
    await this.#submit({ type: 'session-destroy', id });
  }

  sessionRenew(id: string): Session | undefined {
    this.#open();
    const session = this.#state.sessions.get(id);
    if (session !== undefined) this.#armTtl(session, this.#now());
    return session;
  }

  #armTtl(session: Session, now: number): void {
    const ttlMs = sessionTtlMs(session.ttl);
    if (ttlMs > 0) this.#deadlines.set(session.id, now + SESSION_TTL_MULTIPLIER * ttlMs);
  }

  // --- the write pipeline --------------------------------------------------------------------

  #submit(command: Command): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    if (this.#log === undefined) {
      const outcome = this.#applyNext(command);
      return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ command, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    const log = this.#log!;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        const first = this.#state.lastIndex + 1;
        const records: LogRecord[] = batch.map((p, i) => ({
          index: first + i,
          command: p.command,
        }));
        try {
          await log.append(records);
        } catch (err) {
          const ioError = isStoreError(err)
            ? err
            : new ConfdError(ErrorCode.STORE_IO, 'writing the log failed', { cause: err });
          for (const p of batch) p.reject(ioError);
          continue;
        }
        this.#batches++;
        for (const p of batch) {
          const outcome = this.#applyNext(p.command);
          if (outcome.ok) p.resolve(outcome.value);
          else p.reject(outcome.error);
        }
        try {
          await log.afterBatch(this.#state);
        } catch {
          // A failed snapshot leaves the log in place; the next batch retries.
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  #applyNext(command: Command) {
    const state = this.#state;
    const tombsBefore = state.tombstones.length;
    const { outcome, effects } = state.apply(state.lastIndex + 1, command);
    this.#commands++;
    const now = this.#now();
    if (command.type !== 'tombstone-reap' && state.tombstones.length > tombsBefore) {
      const last = this.#tombTimes[this.#tombTimes.length - 1];
      if (last !== undefined && last.at === now) last.index = state.lastIndex;
      else this.#tombTimes.push({ index: state.lastIndex, at: now });
    }
    for (const { key, delayMs } of effects.lockDelays) {
      if (delayMs > 0) this.#lockDelays.set(key, now + delayMs);
    }
    if (outcome.ok && command.type === 'session-create')
      this.#armTtl(outcome.value as Session, now);
    if (command.type === 'session-destroy') this.#deadlines.delete(command.id);
    this.#waiters.notify(effects.changedKeys, effects.sessionsChanged);
    return outcome;
  }

  // --- timers --------------------------------------------------------------------------------

  async runTimers(): Promise<void> {
    if (this.#closed) return;
    const now = this.#now();
    const work: Promise<unknown>[] = [];
    for (const [id, deadline] of this.#deadlines) {
      if (deadline > now) continue;
      this.#deadlines.delete(id);
      work.push(this.#submit({ type: 'session-destroy', id }));
    }
    for (const [key, until] of this.#lockDelays) if (until <= now) this.#lockDelays.delete(key);
    let upTo = 0;
    while (this.#tombTimes.length > 0 && this.#tombTimes[0].at + this.#tombstoneTtlMs <= now) {
      upTo = this.#tombTimes.shift()!.index;
    }
    if (upTo > 0) work.push(this.#submit({ type: 'tombstone-reap', upTo }));
    await Promise.all(work);
  }

  async idle(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async snapshot(): Promise<void> {
    this.#open();
    if (this.#log === undefined) return;
    while (this.#writing !== undefined) await this.#writing;
    // Holding #writing keeps the state quiescent while the snapshot is taken.
    const log = this.#log;
    const run = log.snapshot(this.#state);
    this.#writing = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
    } finally {
      this.#writing = undefined;
      if (this.#pending.length > 0) this.#writing = this.#drain();
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    // Writes already submitted are flushed; later calls reject with STORE_CLOSED.
    this.#closed = true;
    while (this.#writing !== undefined) await this.#writing;
    this.#waiters.closeAll();
    await this.#log?.close(this.#state);
  }
}

function isStoreError(err: unknown): err is ConfdError {
  return err instanceof ConfdError && err.code.startsWith('CFD_ERR_STORE_');
}
