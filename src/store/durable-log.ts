/**
 * The ports between the engine and its persistence: a local write-ahead log with snapshots
 * ({@link DurableLog}, `src/store/file-log.ts` on disk; dev mode has none), or a log shared by
 * several servers ({@link ReplicatedLog}, implemented by src/replication on an etcd cluster).
 */
import type { Command } from './commands.js';
import type { ApplyOutcome, StateMachine } from './state-machine.js';

/** LogRecord is one command at its log index. */
export interface LogRecord {
  readonly index: number;
  readonly command: Command;
}

/** DurableLog persists batches of commands and bounds itself with snapshots. */
export interface DurableLog {
  /** Appends the batch and resolves once it is durable (one fdatasync for the whole batch). */
  append(batch: readonly LogRecord[]): Promise<void>;
  /** Runs between batches, while the state is quiescent: takes a snapshot when one is due. */
  afterBatch(state: StateMachine): Promise<void>;
  /** Takes a snapshot of state now and drops the log segments it covers. */
  snapshot(state: StateMachine): Promise<void>;
  /** fdatasync calls made on the log so far. */
  readonly fsyncs: number;
  /** Snapshots written so far. */
  readonly snapshots: number;
  /** Closes the files (taking a final snapshot when the log grew since the last one). */
  close(state: StateMachine): Promise<void>;
}

/** EntryId names one entry of a replicated log: its writer and the writer's sequence number. */
export interface EntryId {
  readonly writer: string;
  readonly seq: number;
}

/** LogSink is what a replicated log feeds: the engine, which applies entries to its state. */
export interface LogSink {
  /** The revision the state covers (the log resumes after it). */
  readonly appliedIndex: number;
  /**
   * applyEntry applies one committed entry's commands, in order, all at `index` (the entry's
   * revision); a duplicate entry (see `WriterTable`) is skipped and gets undefined.
   */
  applyEntry(index: number, id: EntryId, commands: readonly Command[]): ApplyOutcome[] | undefined;
  /** Runs between delivered batches while no entry is applied: takes a local snapshot when due. */
  afterEntries(): Promise<void>;
  /** exportSnapshot serialises the state (which holds still until it settles). */
  exportSnapshot(): Promise<Buffer>;
  /**
   * installSnapshot replaces the whole state with an exported one (a server whose position in the
   * log was compacted away); STORE_CORRUPT when the bytes do not check out. Every blocking query
   * wakes.
   */
  installSnapshot(bytes: Buffer): Promise<void>;
}

/** AppendOptions tune one {@link ReplicatedLog.append}. */
export interface AppendOptions {
  /** Commit only while this server holds the leadership (leader duties: TTLs, reaping). */
  readonly fenced: boolean;
}

/**
 * ReplicatedLog is a command log shared by several servers (src/replication keeps it in etcd).
 * Every server appends to it and applies every committed entry in the log's order; an entry's
 * index is its position (etcd revision), the same on every server.
 */
export interface ReplicatedLog {
  /** start tails the log into sink from sink.appliedIndex; resolves once caught up with its head. */
  start(sink: LogSink): Promise<void>;
  /**
   * append commits commands as one entry and resolves with their outcomes once this server has
   * applied it (rejects STORE_NO_LEADER when the log cannot be reached within the hold time).
   */
  append(commands: readonly Command[], options: AppendOptions): Promise<ApplyOutcome[]>;
  /** barrier resolves once every entry committed before the call is applied here (linearizable). */
  barrier(signal?: AbortSignal): Promise<void>;
  /** quiet runs fn while no entry is being applied (the state holds still for a snapshot). */
  quiet(fn: () => Promise<void>): Promise<void>;
  /** This server holds the leadership now (leader-only duties may run). */
  readonly leading: boolean;
  /** Stops tailing and leaves the leadership; pending appends reject. Idempotent. */
  close(): Promise<void>;
}
