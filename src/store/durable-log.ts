/**
 * The port between the engine and its persistence: a write-ahead log with snapshots.
 * `src/store/file-log.ts` implements it on disk; dev mode has none.
 */
import type { Command } from './commands.js';
import type { StateMachine } from './state-machine.js';

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
