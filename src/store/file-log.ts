/**
 * The on-disk {@link DurableLog}: recovery (last snapshot + log replay, torn-tail truncation),
 * group-committed appends (one write + one fdatasync per batch), and snapshots that bound the log.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { fdatasyncSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfdError, ErrorCode } from '../errors.js';
import { createFsyncPolicy } from '../fsync-policy.js';
import { ByteWriter } from './bytes.js';
import { lockDataDir } from './dir-lock.js';
import type { DurableLog, LogRecord } from './durable-log.js';
import { loadSnapshot, writeSnapshot } from './snapshot.js';
import type { StateMachine } from './state-machine.js';
import type { LogFile } from './types.js';
import {
  SEGMENT_MAGIC,
  encodeFrames,
  parseSegmentName,
  scanSegment,
  segmentName,
} from './wal-segment.js';

/** DEFAULT_SNAPSHOT_EVERY is how many records the log may hold before a snapshot is taken. */
export const DEFAULT_SNAPSHOT_EVERY = 65536;
/** A snapshot is also taken once the log since the last one reaches this size. */
const SNAPSHOT_BYTES = 64 << 20;
const SYNC_WRITE_BYTES = 256 << 10;
/**
 * A batch of one small record (a lone writer) is made durable with a synchronous fdatasync while
 * the disk is fast (src/fsync-policy.ts). Batches of several records mean concurrent writers, whose
 * requests the event loop keeps reading during an fdatasync on the thread pool.
 */
const SYNC_FSYNC_MAX_BYTES = 64 << 10;

/** FileLogOptions configures {@link openFileLog}. */
export interface FileLogOptions {
  readonly dir: string;
  /** An empty state machine; recovery fills it. */
  readonly state: StateMachine;
  readonly snapshotEvery?: number | undefined;
  /** Opens segment files for appending. Default fs.promises.open. */
  readonly openFile?:
    ((path: string, flags: string, mode?: number) => Promise<LogFile>) | undefined;
}

function snapshotName(index: number): string {
  return `snapshot-${String(index).padStart(20, '0')}.snap`;
}

function parseSnapshotName(name: string): number | undefined {
  const m = /^snapshot-(\d{20})\.snap$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function ioError(what: string, cause: unknown): ConfdError {
  return new ConfdError(ErrorCode.STORE_IO, what, { cause });
}

/** datasyncNow is a synchronous fdatasync of a segment file (a test's wrapper may replace it). */
function datasyncNow(fh: LogFile): void {
  if (fh.datasyncSync) fh.datasyncSync();
  else fdatasyncSync(fh.fd);
}

/** fsyncDir makes a directory's entries durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** openFileLog recovers state from dir (created 0700 if missing) and opens the log for appending. */
export async function openFileLog(options: FileLogOptions): Promise<DurableLog> {
  const { dir } = options;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(`cannot create data directory ${dir}`, err);
  }
  const unlock = await lockDataDir(dir);
  try {
    return await recover(options, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function recover(options: FileLogOptions, unlock: () => Promise<void>): Promise<DurableLog> {
  const { dir, state } = options;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw ioError(`cannot read data directory ${dir}`, err);
  }
  for (const name of names) {
    if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
  const snapshots = names
    .map(parseSnapshotName)
    .filter((n) => n !== undefined)
    .sort((a, b) => a - b);
  const segments = names
    .map(parseSegmentName)
    .filter((n) => n !== undefined)
    .sort((a, b) => a - b);

  const snapIndex = snapshots.at(-1) ?? 0;
  if (snapIndex > 0) loadSnapshot(join(dir, snapshotName(snapIndex)), state);

  let replayed = 0;
  let lastSegment: { first: number; end: number; next: number } | undefined;
  for (let i = 0; i < segments.length; i++) {
    const first = segments[i];
    const isLast = i === segments.length - 1;
    const file = join(dir, segmentName(first));
    // A segment wholly covered by the snapshot is skipped (it is deleted after the next one).
    const nextFirst = segments[i + 1];
    if (nextFirst !== undefined && nextFirst - 1 <= snapIndex) continue;
    if (first > state.lastIndex + 1) {
      throw new ConfdError(
        ErrorCode.STORE_CORRUPT,
        `log ${file} starts at record ${first} but recovery reached only ${state.lastIndex}: records are missing (offset 0)`,
      );
    }
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      throw ioError(`cannot read log ${file}`, err);
    }
    let next = first;
    const scan = scanSegment(file, buf, isLast, first, (record) => {
      next = record.index + 1;
      if (record.index <= state.lastIndex) return;
      if (record.index !== state.lastIndex + 1) {
        throw new ConfdError(
          ErrorCode.STORE_CORRUPT,
          `log ${file}: record ${record.index} does not follow ${state.lastIndex}`,
        );
      }
      state.apply(record.index, record.command);
      replayed++;
    });
    if (isLast) {
      lastSegment = { first, end: scan.goodEnd, next };
      if (scan.torn || scan.goodEnd < SEGMENT_MAGIC.length) {
        // Drop the torn final record (a crash mid-write): it was never acknowledged. A segment
        // created just before a crash may lack its header: write it again.
        const fh = await open(file, 'r+');
        try {
          await fh.truncate(scan.goodEnd);
          if (scan.goodEnd < SEGMENT_MAGIC.length) {
            await fh.truncate(0);
            await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
            lastSegment = { first, end: SEGMENT_MAGIC.length, next };
          }
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
    }
  }
  const log = new FileLog(
    dir,
    options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
    snapIndex,
    replayed,
    unlock,
    options.openFile,
  );
  await log.start(state, lastSegment, [...segments]);
  return log;
}

class FileLog implements DurableLog {
  readonly #dir: string;
  readonly #snapshotEvery: number;
  readonly #writer = new ByteWriter(64 * 1024);
  #fh: LogFile | undefined;
  #position = 0;
  #segmentFirst = 0;
  /** First indexes of every segment file on disk, oldest first. */
  #segments: number[] = [];
  #snapshotIndex: number;
  #records: number;
  #bytes = 0;
  #failed: unknown;
  readonly #fsyncPolicy = createFsyncPolicy();
  fsyncs = 0;
  snapshots = 0;

  readonly #unlock: () => Promise<void>;
  readonly #open: (path: string, flags: string, mode?: number) => Promise<LogFile>;

  constructor(
    dir: string,
    snapshotEvery: number,
    snapshotIndex: number,
    replayed: number,
    unlock: () => Promise<void>,
    openFile: ((path: string, flags: string, mode?: number) => Promise<LogFile>) | undefined,
  ) {
    this.#unlock = unlock;
    this.#open = openFile ?? open;
    this.#dir = dir;
    this.#snapshotEvery = Math.max(1, snapshotEvery);
    this.#snapshotIndex = snapshotIndex;
    this.#records = replayed;
  }

  async start(
    state: StateMachine,
    last: { first: number; end: number; next: number } | undefined,
    segments: number[],
  ): Promise<void> {
    this.#segments = segments;
    // Append to the last segment only if it ends exactly where the recovered state does.
    if (last !== undefined && last.next === state.lastIndex + 1) {
      this.#fh = await this.#open(join(this.#dir, segmentName(last.first)), 'r+');
      this.#segmentFirst = last.first;
      this.#position = last.end;
      return;
    }
    await this.#newSegment(state.lastIndex + 1);
  }

  async #newSegment(first: number): Promise<void> {
    const file = join(this.#dir, segmentName(first));
    const fh = await this.#open(file, 'w', 0o600);
    await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
    await fh.datasync();
    await fsyncDir(this.#dir);
    const old = this.#fh;
    this.#fh = fh;
    this.#position = SEGMENT_MAGIC.length;
    this.#segmentFirst = first;
    if (!this.#segments.includes(first)) this.#segments.push(first);
    await old?.close();
  }

  async append(batch: readonly LogRecord[]): Promise<void> {
    if (this.#failed !== undefined) {
      throw ioError('the log is unusable after an earlier I/O failure', this.#failed);
    }
    const fh = this.#fh;
    if (fh === undefined) throw new ConfdError(ErrorCode.STORE_CLOSED, 'log is closed');
    const bytes = encodeFrames(this.#writer, batch);
    const at = this.#position;
    try {
      let done = 0;
      while (done < bytes.length) {
        // A small batch goes to the page cache synchronously (microseconds), saving a thread-pool
        // round trip before the fdatasync that dominates a write's latency.
        const { bytesWritten } =
          bytes.length <= SYNC_WRITE_BYTES
            ? { bytesWritten: writeSync(fh.fd, bytes, done, bytes.length - done, at + done) }
            : await fh.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
      const policy = this.#fsyncPolicy;
      const now = batch.length === 1 && bytes.length <= SYNC_FSYNC_MAX_BYTES && policy.fast;
      await policy.timed(() => (now ? datasyncNow(fh) : fh.datasync()));
      this.fsyncs++;
    } catch (err) {
      // Never acknowledge the batch; cut the file back so the log stays a clean prefix.
      try {
        await fh.truncate(at);
        await fh.datasync();
      } catch (again) {
        this.#failed = again;
      }
      throw ioError(`writing the log at offset ${at} failed`, err);
    }
    this.#position = at + bytes.length;
    this.#records += batch.length;
    this.#bytes += bytes.length;
  }

  async afterBatch(state: StateMachine): Promise<void> {
    // Restart time is snapshot load (∝ keys) + replay (∝ records): with a big table, snapshot
    // only once the log holds half as many records as there are keys, so writes are not paused
    // for a full snapshot too often and replay never dominates the restart.
    const due = Math.max(this.#snapshotEvery, state.tree.root.live >>> 1);
    if (this.#records >= due || this.#bytes >= SNAPSHOT_BYTES) {
      await this.snapshot(state);
    }
  }

  async snapshot(state: StateMachine): Promise<void> {
    const index = state.lastIndex;
    if (index === this.#snapshotIndex || this.#fh === undefined) return;
    try {
      // New records go to a fresh segment; every older segment is covered by this snapshot.
      if (this.#position > SEGMENT_MAGIC.length || this.#segmentFirst !== index + 1) {
        await this.#newSegment(index + 1);
      }
      await writeSnapshot(this.#dir, snapshotName(index), state, fsyncDir);
    } catch (err) {
      throw ioError(`writing snapshot ${snapshotName(index)} failed`, err);
    }
    const oldSnapshot = this.#snapshotIndex;
    this.#snapshotIndex = index;
    this.#records = 0;
    this.#bytes = 0;
    this.snapshots++;
    const stale = this.#segments.filter((first) => first !== this.#segmentFirst);
    this.#segments = [this.#segmentFirst];
    for (const first of stale) await rm(join(this.#dir, segmentName(first)), { force: true });
    if (oldSnapshot > 0) await rm(join(this.#dir, snapshotName(oldSnapshot)), { force: true });
  }

  async close(state: StateMachine): Promise<void> {
    if (this.#fh === undefined) return;
    try {
      if (this.#records > 0 && this.#failed === undefined) await this.snapshot(state);
    } catch {
      // The log alone is durable; the next start replays it.
    } finally {
      const fh = this.#fh;
      this.#fh = undefined;
      await fh?.close();
      await this.#unlock();
    }
  }
}
