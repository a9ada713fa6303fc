/**
 * A replicated server's local copy of its state: one snapshot file (`replica.snap`, the state at
 * the revision it covers) in the data directory. It is a cache, not the record: the log in etcd is.
 * On restart the server loads it and resumes the log after its revision instead of from the start.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { ErrorCode, isConfdError } from '../errors.js';
import { join } from 'node:path';
import { lockDataDir } from './dir-lock.js';
import { fsyncDir } from './file-log.js';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { loadSnapshot, writeSnapshot } from './snapshot.js';
import { StateMachine } from './state-machine.js';

const FILE = 'replica.snap';
const EXPORT = 'export.snap';

/** ReplicaSnapshot writes and reads the local snapshot of a replicated server's state. */
export interface ReplicaSnapshot {
  /** save writes state (which must not change until it settles) durably. */
  save(state: StateMachine): Promise<void>;
  /** exportState serialises state (holding still) to bytes, by way of a file in the directory. */
  exportState(state: StateMachine): Promise<Buffer>;
  /** importState checks and loads exported bytes into a new state, and keeps them as the snapshot. */
  importState(bytes: Buffer): Promise<StateMachine>;
  /** Releases the data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * openReplicaSnapshot locks dir (0700) and loads its snapshot when there is one; a damaged one is
 * set aside (with a warning) and the state starts empty.
 */
export async function openReplicaSnapshot(
  dir: string,
  warn: (message: string) => void,
): Promise<{ snapshot: ReplicaSnapshot; state: StateMachine }> {
  let state = new StateMachine();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dir);
  const path = join(dir, FILE);
  try {
    if (existsSync(path)) loadSnapshot(path, state);
  } catch (err) {
    // A damaged copy is only a cache: set it aside and rebuild from the log (or etcd's snapshot).
    if (!isConfdError(err, ErrorCode.STORE_CORRUPT)) {
      await unlock();
      throw err;
    }
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside);
    state = new StateMachine();
    warn(`${err.message}; set aside as ${aside}, rebuilding the state from the log in etcd`);
  }
  let closing: Promise<void> | undefined;
  const snapshot: ReplicaSnapshot = {
    save: async (s) => {
      await writeSnapshot(dir, FILE, s, fsyncDir);
    },
    exportState: async (s) => {
      await writeSnapshot(dir, EXPORT, s, fsyncDir);
      try {
        return await readFile(join(dir, EXPORT));
      } finally {
        await rm(join(dir, EXPORT), { force: true });
      }
    },
    importState: async (bytes) => {
      const incoming = join(dir, `${FILE}.incoming`);
      await writeFile(incoming, bytes, { mode: 0o600 });
      const state = new StateMachine();
      try {
        loadSnapshot(incoming, state);
      } catch (err) {
        await rm(incoming, { force: true });
        throw err;
      }
      await rename(incoming, join(dir, FILE));
      await fsyncDir(dir);
      return state;
    },
    close: () => (closing ??= unlock()),
  };
  return { snapshot, state };
}
