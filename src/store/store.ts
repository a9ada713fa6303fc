/**
 * The bundled store's engine: a single-writer replicated log in front of a deterministic state
 * machine, with in-memory reads, scoped blocking-query wake-ups and optional durability.
 *
 * Writes are validated, turned into {@link Command}s, appended (group commit: one fdatasync per
 * batch) and only then applied, so a read never sees an unacknowledged write. Timers (session TTLs,
 * lock-delay, tombstone reaping) live here, outside the state machine, like Consul's leader.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import type { Command } from './commands.js';
import type { DurableLog, EntryId, LogRecord, LogSink, ReplicatedLog } from './durable-log.js';
import { openFileLog } from './file-log.js';
import { deleteCommand, setCommand, txnKeyErrors, txnRecords } from './input.js';
import { LeaderTimers } from './leader-timers.js';
import { buildSessionRecord } from './session-request.js';
import { openReplicaSnapshot, type ReplicaSnapshot } from './replica-snapshot.js';
import { StateMachine, type ApplyOutcome, type IndexPosition } from './state-machine.js';
import { TXN_READ_VERBS } from './types.js';
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
import { CatalogWaiters, type CatalogScope, type CatalogStore } from './catalog/catalog-store.js';
import type { CatalogState } from './catalog/catalog-state.js';
import type { CatalogCommand } from './catalog/types.js';
import { MemberWaiters, type MemberStore } from './members/member-store.js';
import type { MembersState } from './members/members-state.js';
import { memberRecordOf, validateMemberRecord } from './members/snapshot.js';
import type { MemberCommand } from './members/types.js';

export { MAX_TXN_OPS, MAX_VALUE_BYTES } from './input.js';

const DEFAULT_TOMBSTONE_TTL_MS = 15 * 60 * 1000;
/** A replicated server saves its local snapshot after this many applied entries by default. */
const DEFAULT_REPLICA_SNAPSHOT_EVERY = 16_384;

/** StoreEngine is the {@link Store} with the engine's extras for tests and tooling. */
export interface StoreEngine extends Store, CatalogStore, MemberStore {
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

/** createStore opens (or, with dev, creates in memory) the bundled store. */
export async function createStore(options: StoreOptions): Promise<StoreEngine> {
  if (typeof options.nodeName !== 'string' || options.nodeName === '') {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, 'nodeName: must be a non-empty string');
  }
  if (options.replicatedLog !== undefined) return openReplicated(options, options.replicatedLog);
  const state = new StateMachine();
  if (options.dev === true) return new EngineStore(options, state, undefined);
  if (options.dataDir === undefined || options.dataDir === '') {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, 'dataDir: required unless dev is set');
  }
  const log = await openFileLog({
    dir: options.dataDir,
    state,
    snapshotEvery: options.snapshotEvery,
    openFile: options.openLogFile,
  });
  return new EngineStore(options, state, log);
}

/**
 * openReplicated opens a server whose log is shared (see {@link ReplicatedLog}): it loads the local
 * snapshot (when dataDir is set), then tails the log until it has caught up with its head.
 */
async function openReplicated(options: StoreOptions, log: ReplicatedLog): Promise<EngineStore> {
  const warn = options.warn ?? (() => undefined);
  const opened =
    options.dataDir === undefined || options.dataDir === ''
      ? undefined
      : await openReplicaSnapshot(options.dataDir, warn);
  const state = opened?.state ?? new StateMachine();
  const local = opened?.snapshot;
  const engine = new EngineStore(options, state, undefined, { log, local });
  try {
    await log.start(engine);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
}

/** Replication is a replicated server's shared log and its local snapshot. */
interface Replication {
  readonly log: ReplicatedLog;
  readonly local: ReplicaSnapshot | undefined;
}

class EngineStore implements StoreEngine, LogSink {
  #state: StateMachine;
  readonly #log: DurableLog | undefined;
  readonly #waiters = new WaiterRegistry();
  readonly #catalogWaiters = new CatalogWaiters();
  readonly #memberWaiters = new MemberWaiters();
  readonly #now: () => number;
  readonly #nodeName: string;
  readonly #timers: LeaderTimers;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #replication: Replication | undefined;
  readonly #snapshotEvery: number;
  #entriesSinceSnapshot = 0;
  #snapshots = 0;

  #pending: Pending[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #commands = 0;
  #batches = 0;

  constructor(
    options: StoreOptions,
    state: StateMachine,
    log: DurableLog | undefined,
    replication?: Replication,
  ) {
    this.#state = state;
    this.#log = log;
    this.#replication = replication;
    this.#snapshotEvery = options.snapshotEvery ?? DEFAULT_REPLICA_SNAPSHOT_EVERY;
    this.#now = options.now ?? Date.now;
    this.#nodeName = options.nodeName;
    this.#timers = new LeaderTimers(options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS);
    const now = this.#now();
    // Recovered sessions get a fresh TTL, and recovered tombstones a fresh reap clock.
    for (const session of state.sessions.values()) this.#timers.renew(session, now);
    if (state.tombstoneCount > 0) this.#timers.tombstonesMade(state.lastIndex, now);
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
      snapshots: this.#log?.snapshots ?? this.#snapshots,
      waiters: this.#waiters.size,
      tombstones: this.#state.tombstoneCount,
    };
  }

  // --- writes --------------------------------------------------------------------------------

  async kvSet(key: string, value: Uint8Array | null, options: KvSetOptions = {}): Promise<boolean> {
    const command = setCommand(key, value, options ?? {});
    // Consul's leader refuses an acquire while the key's lock-delay runs (outside Raft).
    if (command.mode === 'acquire' && this.#timers.lockDelayed(key, this.#now())) return false;
    return (await this.#submit(command)) as boolean;
  }

  async kvDelete(key: string, options: KvDeleteOptions = {}): Promise<boolean> {
    return (await this.#submit(deleteCommand(key, options ?? {}))) as boolean;
  }

  async txn(ops: TxnKvOp[]): Promise<TxnResult> {
    const records = txnRecords(ops);
    // Consul's pre-check fails the transaction before anything runs (a key is required).
    const missingKeys = txnKeyErrors(records);
    if (missingKeys.length > 0) return { ok: false, errors: missingKeys };
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
    if (typeof id !== 'string') {
      throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'session id: must be a string');
    }
    await this.#submit({ type: 'session-destroy', id });
  }

  async sessionRenew(id: string): Promise<Session | undefined> {
    this.#open();
    // Replicated servers log renewals, so that whichever server leads sees them all.
    if (this.#replication !== undefined) {
      if (typeof id !== 'string') {
        throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'session id: must be a string');
      }
      if (!this.#state.sessions.has(id)) return undefined;
      return (await this.#submit({ type: 'session-renew', id })) as Session | undefined;
    }
    const session = this.#state.sessions.get(id);
    if (session !== undefined) this.#timers.renew(session, this.#now());
    return session;
  }

  // --- the service catalog ------------------------------------------------------------------

  catalogState(): CatalogState {
    return this.#state.catalog;
  }

  catalogApply(command: CatalogCommand): Promise<unknown> {
    return this.#submit(command);
  }

  waitForCatalog(scope: CatalogScope, signal: AbortSignal): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    return this.#catalogWaiters.wait(scope, signal);
  }

  // --- the member table -----------------------------------------------------------------------

  membersState(): MembersState {
    return this.#state.members;
  }

  memberApply(command: MemberCommand, options?: { leaderDuty?: boolean }): Promise<unknown> {
    let checked: Command;
    if (command.type === 'member-set') {
      const why = validateMemberRecord(command.member);
      if (why !== undefined) {
        return Promise.reject(
          new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `member record: ${why}`),
        );
      }
      const { cas } = command;
      if (cas !== undefined && (!Number.isSafeInteger(cas) || cas < 0)) {
        return Promise.reject(
          new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'member cas: bad index'),
        );
      }
      const member = memberRecordOf(command.member);
      checked =
        cas === undefined ? { type: 'member-set', member } : { type: 'member-set', member, cas };
    } else {
      if (typeof command.name !== 'string' || command.name === '') {
        return Promise.reject(
          new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'member name: empty'),
        );
      }
      checked = {
        type: 'member-remove',
        name: command.name,
        deregister: command.deregister === true,
      };
    }
    const replicated = this.#replication?.log;
    if (options?.leaderDuty === true && replicated !== undefined && !this.#closed) {
      return replicated.append([checked], { fenced: true }).then(([outcome]) => settle(outcome));
    }
    return this.#submit(checked);
  }

  waitForMembers(signal: AbortSignal): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    return this.#memberWaiters.wait(signal);
  }

  // --- the write pipeline --------------------------------------------------------------------

  #submit(command: Command): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    if (this.#replication !== undefined) {
      return this.#replication.log
        .append([command], { fenced: false })
        .then(([outcome]) => settle(outcome));
    }
    if (this.#log === undefined) {
      const outcome = this.#applyNext(command);
      return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ command, resolve, reject });
      this.#writing ??= this.#drainSoon();
    });
  }

  /**
   * #drainSoon starts the writer after the event loop's current I/O callbacks: the writes of every
   * request read in this turn form the first batch. The log may make a lone record durable with a
   * synchronous fdatasync, which must not run before the other requests of the turn are read.
   */
  async #drainSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.#drain();
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
          try {
            const outcome = this.#applyNext(p.command);
            if (outcome.ok) p.resolve(outcome.value);
            else p.reject(outcome.error);
          } catch (err) {
            p.reject(err);
          }
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

  #applyNext(command: Command): ApplyOutcome {
    return this.#applyAt(this.#state.lastIndex + 1, command, 'next');
  }

  // --- the replicated log's sink -------------------------------------------------------------

  get appliedIndex(): number {
    return this.#state.lastIndex;
  }

  applyEntry(index: number, id: EntryId, commands: readonly Command[]): ApplyOutcome[] | undefined {
    if (!this.#state.writers.admit(id.writer, id.seq)) return undefined;
    this.#entriesSinceSnapshot++;
    return commands.map((command, i) => {
      try {
        return this.#applyAt(index, command, i === 0 ? 'after' : 'same');
      } catch (err) {
        return { ok: false, error: storeError(err) };
      }
    });
  }

  async afterEntries(): Promise<void> {
    const local = this.#replication?.local;
    if (local === undefined || this.#entriesSinceSnapshot < this.#snapshotEvery) return;
    await this.#saveReplica(local);
  }

  exportSnapshot(): Promise<Buffer> {
    return this.#local().exportState(this.#state);
  }

  async installSnapshot(bytes: Buffer): Promise<void> {
    const state = await this.#local().importState(bytes);
    this.#state = state;
    this.#entriesSinceSnapshot = 0;
    // Sessions start a fresh TTL and tombstones a fresh reap clock, as after a restart.
    const now = this.#now();
    for (const session of state.sessions.values()) this.#timers.renew(session, now);
    if (state.tombstoneCount > 0) this.#timers.tombstonesMade(state.lastIndex, now);
    this.#waiters.wakeEverything();
    this.#catalogWaiters.wakeEverything();
    this.#memberWaiters.wake();
  }

  #local(): ReplicaSnapshot {
    const local = this.#replication?.local;
    if (local === undefined) {
      throw new ConfdError(ErrorCode.STORE_IO, 'a replicated server needs a data directory');
    }
    return local;
  }

  async #saveReplica(local: ReplicaSnapshot): Promise<void> {
    this.#entriesSinceSnapshot = 0;
    try {
      await local.save(this.#state);
      this.#snapshots++;
    } catch {
      // The snapshot is a cache; the next one retries and the log still holds everything.
    }
  }

  #applyAt(index: number, command: Command, position: IndexPosition): ApplyOutcome {
    const state = this.#state;
    const tombsBefore = state.tombstones.length;
    const { outcome, effects } = state.apply(index, command, position);
    this.#commands++;
    const now = this.#now();
    if (command.type !== 'tombstone-reap' && state.tombstones.length > tombsBefore) {
      this.#timers.tombstonesMade(state.lastIndex, now);
    }
    const created =
      outcome.ok && command.type === 'session-create' ? (outcome.value as Session) : undefined;
    const renewed =
      outcome.ok && command.type === 'session-renew' ? (outcome.value as Session) : undefined;
    this.#timers.applied(command, created, renewed, effects, now);
    this.#waiters.notify(effects.changedKeys, effects.sessionsChanged);
    if (effects.catalog) this.#catalogWaiters.wake(effects.catalog);
    if (effects.membersChanged) this.#memberWaiters.wake();
    return outcome;
  }

  // --- timers --------------------------------------------------------------------------------

  async runTimers(): Promise<void> {
    if (this.#closed) return;
    const replicated = this.#replication?.log;
    if (replicated === undefined) {
      await Promise.all(this.#timers.due(this.#now()).map((command) => this.#submit(command)));
      return;
    }
    // Only the leader runs the duties, fenced: they commit only while it still leads.
    if (!replicated.leading) {
      this.#timers.forgetExpired(this.#now());
      return;
    }
    const due = this.#timers.due(this.#now());
    if (due.length > 0) await replicated.append(due, { fenced: true });
  }

  async idle(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async snapshot(): Promise<void> {
    this.#open();
    const local = this.#replication?.local;
    if (local !== undefined) return this.#replication!.log.quiet(() => this.#saveReplica(local));
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
    this.#catalogWaiters.closeAll();
    this.#memberWaiters.closeAll();
    await this.#log?.close(this.#state);
    if (this.#replication !== undefined) {
      await this.#replication.log.close();
      const { local } = this.#replication;
      if (local !== undefined) {
        if (this.#entriesSinceSnapshot > 0) await this.#saveReplica(local);
        await local.close();
      }
    }
  }
}

/** settle turns an outcome into the value it resolves with, or the error it rejects with. */
function settle(outcome: ApplyOutcome | undefined): unknown {
  if (outcome === undefined) {
    throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'the command was not applied');
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** storeError wraps anything thrown while applying as the command's failure. */
function storeError(err: unknown): ConfdError {
  return err instanceof ConfdError
    ? err
    : new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'applying a command failed', { cause: err });
}

function isStoreError(err: unknown): err is ConfdError {
  return err instanceof ConfdError && err.code.startsWith('CFD_ERR_STORE_');
}
