/** Creating the stage file `.<dest base><digits>` next to the destination. */
import { randomInt } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** StageFileOptions describes the stage file to write. */
export interface StageFileOptions {
  dest: string;
  content: Uint8Array;
  /** Permission bits, applied with chmod (not subject to the umask). */
  mode: number;
  uid: number;
  gid: number;
  logger: Logger;
}

/** StageFile is a written, synced and closed stage file with its resulting ownership and mode. */
export interface StageFile {
  path: string;
  uid: number;
  gid: number;
  /** The full st_mode (type and permission bits). */
  mode: number;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Opens a new `.<base><random digits>` file exclusively with mode 0600, like Go's TempFile. */
async function createExclusive(dest: string): Promise<[string, FileHandle]> {
  const dir = dirname(dest);
  const prefix = `.${basename(dest)}`;
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `${prefix}${randomInt(0, 0xffffffff)}`);
    try {
      return [path, await open(path, 'wx', 0o600)];
    } catch (err) {
      const code = errCode(err);
      if (code === 'EEXIST' && attempt < 100) continue;
      const why =
        code === 'ENOENT'
          ? `directory ${dir} does not exist`
          : code === 'ENOTDIR'
            ? `${dir} is not a directory`
            : errorMessage(err);
      throw new ConfdError(ErrorCode.RELOAD_STAGE, `Cannot create stage file for ${dest}: ${why}`, {
        cause: err,
      });
    }
  }
}

/**
 * writeStageFile creates the stage file in dest's directory (so the rename stays on one file
 * system), writes the content, sets owner then mode, and fsyncs before returning. confd does not
 * fsync, so after a power cut users could find an empty target; the stage is durable before the
 * swap here. A chown refused with EPERM is ignored like confd (the compare then sees the
 * difference). On any failure the stage file is removed and a RELOAD_STAGE ConfdError thrown.
 */
export async function writeStageFile(options: StageFileOptions): Promise<StageFile> {
  const { dest, content, mode, uid, gid, logger } = options;
  const [path, handle] = await createExclusive(dest);
  try {
    await handle.writeFile(content);
    try {
      // chown before chmod: chown clears setuid/setgid bits.
      await handle.chown(uid, gid);
    } catch (err) {
      if (errCode(err) !== 'EPERM' && errCode(err) !== 'EINVAL') throw err;
      logger.debug(`Cannot chown ${path} to ${uid}:${gid}: ${errorMessage(err)}`);
    }
    await handle.chmod(mode);
    await handle.sync();
    const stat = await handle.stat();
    await handle.close();
    return { path, uid: stat.uid, gid: stat.gid, mode: stat.mode };
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(path, { force: true });
    throw new ConfdError(
      ErrorCode.RELOAD_STAGE,
      `Cannot write stage file ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
