/**
 * A replicated server's local copy of its state: one snapshot file (`replica.snap`, the state at
 * the revision it covers) in the data directory. It is a cache, not the record: the log in etcd is.
 * On restart the server loads it and resumes the log after its revision instead of from the start.
 */
import { existsSync, mkdirSync } from 'node:fs';
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
 * openReplicaSnapshot locks dir (0700), loads its snapshot into the empty state when there is one
 * (STORE_CORRUPT if it is damaged) and returns the writer.
 */
export async function openReplicaSnapshot(
  dir: string,
  state: StateMachine,
): Promise<ReplicaSnapshot> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dir);
  try {
    const path = join(dir, FILE);
    if (existsSync(path)) loadSnapshot(path, state);
  } catch (err) {
    await unlock();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
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
}
