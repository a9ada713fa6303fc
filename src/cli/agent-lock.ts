/**
 * The data-directory lock of `confd agent`: `<data-dir>/agent.lock` holds the owner's PID, so a
 * second agent on the same directory refuses to start instead of interleaving writes. A lock left by
 * a crashed agent (its PID no longer alive) is taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfdError, ErrorCode } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** lockDataDir takes the directory lock and returns its release function (idempotent). */
export function lockDataDir(dataDir: string, pid = process.pid): () => void {
  const file = join(dataDir, 'agent.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfdError(
          ErrorCode.STORE_IO,
          `cannot lock data_dir: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && alive(owner)) {
        throw new ConfdError(
          ErrorCode.CONFIG_INVALID,
          `data_dir ${JSON.stringify(dataDir)} is in use by another agent (pid ${owner})`,
        );
      }
      // Stale: its owner is gone.
      rmSync(file, { force: true });
    }
  }
  throw new ConfdError(ErrorCode.STORE_IO, `cannot lock data_dir ${JSON.stringify(dataDir)}`);
}
