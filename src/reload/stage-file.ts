/**
 * Creating the stage file `.<dest base><digits>` next to the destination.
 *
 * The metadata system calls (open, write, fchown, fchmod, fstat, close) run synchronously: on a
 * local file each takes microseconds, far less than a libuv thread-pool round trip, and a render
 * made six of those round trips before its fsync. The fsync follows the target syncer's
 * {@link FsyncPolicy}: synchronous while the disk's fsyncs take well under a millisecond, on the
 * thread pool otherwise, so a slow disk never stalls the event loop (and an embedded store's API).
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsync,
  fsyncSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { FsyncPolicy } from '../fsync-policy.js';
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
  /** Chooses a synchronous or a thread-pool fsync. */
  fsync: FsyncPolicy;
}

/**
 * StageFile is a written stage file, still open, with its resulting ownership and mode. It is not
 * yet durable: {@link StageFile.sync} fsyncs it, which is needed only before it is renamed onto
 * dest (a stage file that is compared in sync and removed never costs an fsync).
 */
export interface StageFile {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
  /** The full st_mode (type and permission bits). */
  readonly mode: number;
  /** fsyncs the content, owner and mode, then closes the file. Rejects with RELOAD_STAGE. */
  sync(): Promise<void>;
  /** Closes the file if still open. Idempotent. */
  close(): void;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** fsyncFd is fs.fsync on the thread pool, as a promise. */
function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * hiddenSibling is a `.<base><random digits>` path beside dest, like Go's TempFile names: unlikely
 * to collide is enough (callers create it exclusively and retry), so no node:crypto to load.
 */
export function hiddenSibling(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}${Math.floor(Math.random() * 0x100000000)}`);
}

/** Opens a new `.<base><random digits>` file exclusively with mode 0600, like Go's TempFile. */
function createExclusive(dest: string): [string, number] {
  const dir = dirname(dest);
  for (let attempt = 0; ; attempt++) {
    const path = hiddenSibling(dest);
    try {
      return [path, openSync(path, 'wx', 0o600)];
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

/** writeAll writes every byte of `content` at the start of the file `fd`. */
function writeAll(fd: number, content: Uint8Array): void {
  let offset = 0;
  while (offset < content.byteLength) {
    offset += writeSync(fd, content, offset, content.byteLength - offset, offset);
  }
}

/** closeQuietly closes `fd`, ignoring errors (the caller is failing or done already). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing useful to do: the descriptor is gone either way.
  }
}

/**
 * writeStageFile creates the stage file in dest's directory (so the rename stays on one file
 * system), writes the content and sets owner then mode. A chown refused with EPERM is ignored like
 * confd (the compare then sees the difference). On any failure the stage file is removed and a
 * RELOAD_STAGE ConfdError thrown. The caller must {@link StageFile.sync} it before renaming it onto
 * dest — confd does not fsync, so after a power cut users could find an empty target — and close
 * it in any case.
 */
export function writeStageFile(options: StageFileOptions): StageFile {
  const { dest, content, mode, uid, gid, logger } = options;
  const [path, fd] = createExclusive(dest);
  const policy = options.fsync;
  let st;
  try {
    writeAll(fd, content);
    try {
      // chown before chmod: chown clears setuid/setgid bits.
      fchownSync(fd, uid, gid);
    } catch (err) {
      if (errCode(err) !== 'EPERM' && errCode(err) !== 'EINVAL') throw err;
      logger.debug(`Cannot chown ${path} to ${uid}:${gid}: ${errorMessage(err)}`);
    }
    fchmodSync(fd, mode);
    st = fstatSync(fd);
  } catch (err) {
    closeQuietly(fd);
    rmSync(path, { force: true });
    throw new ConfdError(
      ErrorCode.RELOAD_STAGE,
      `Cannot write stage file ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    closeQuietly(fd);
  };
  return {
    path,
    uid: st.uid,
    gid: st.gid,
    mode: st.mode,
    close,
    async sync() {
      try {
        // fsync, not fdatasync: the owner and mode are part of what must survive.
        await policy.timed(() => (policy.fast ? fsyncSync(fd) : fsyncFd(fd)));
        open = false;
        closeSync(fd);
      } catch (err) {
        close();
        throw new ConfdError(
          ErrorCode.RELOAD_STAGE,
          `Cannot write stage file ${path}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    },
  };
}
