/**
 * The data directory's lock file: `LOCK` holding the owner's pid, so that two agents never write
 * the same log. A lock left by a process that no longer runs (a crash) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfdError, ErrorCode } from '../errors.js';

function isRunning(pid: number): boolean {
  try {
    // Signal 0 only checks that the process exists.
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** DataDirInUseError is thrown when another live process holds a data directory's lock. */
export class DataDirInUseError extends ConfdError {
  /** The locked directory. */
  readonly dir: string;
  /** The pid written in its LOCK file. */
  readonly pid: number;

  constructor(dir: string, pid: number, path: string) {
    super(
      ErrorCode.STORE_IO,
      `data directory ${dir} is in use by process ${pid} (remove ${path} if that is wrong)`,
    );
    this.name = 'DataDirInUseError';
    this.dir = dir;
    this.pid = pid;
  }
}

/** lockDataDir takes dir's lock (STORE_IO when another live process holds it); returns the release. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfdError(ErrorCode.STORE_IO, `cannot create ${path}`, { cause: err });
      }
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    // Our own pid means a previous run with the same pid crashed (a container's pid 1 restarting).
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
      throw new DataDirInUseError(dir, pid, path);
    }
    await rm(path, { force: true });
  }
  throw new ConfdError(ErrorCode.STORE_IO, `cannot take the lock ${path}`);
}
