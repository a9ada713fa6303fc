/** The per-resource install step: stage, compare, check, swap, reload (confd's `sync()`). */
import { rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfdError, ErrorCode, abortError, errorMessage, isConfdError } from '../errors.js';
import type { Logger } from '../log.js';
import { createCommandRunner } from './command-runner.js';
import { createFsyncPolicy, type FsyncPolicy } from '../fsync-policy.js';
import { compareTarget, type Comparison } from './compare.js';
import { renderCommand } from './render-command.js';
import { writeStageFile } from './stage-file.js';
import { holdReplacedFile, releaseHeldFile, swapIntoPlace } from './swap.js';
import type { CommandRunner, SyncRequest, SyncResult, TargetSyncer } from './types.js';

/** TargetSyncerOptions configures {@link createTargetSyncer}. */
export interface TargetSyncerOptions {
  logger: Logger;
  /** Runs check_cmd and reload_cmd. Default: createCommandRunner({ logger, timeoutMs }). */
  runCommand?: CommandRunner;
  /** Timeout for the default runner. Default 60 000 ms; 0 disables it. */
  commandTimeoutMs?: number;
  /** File-system hooks; `rename` defaults to fs.promises.rename. */
  fs?: { rename?: (from: string, to: string) => Promise<void> };
  /** When stage files are fsynced on the event loop's thread. Default createFsyncPolicy(). */
  fsync?: FsyncPolicy;
}

const toBytes = (content: string | Uint8Array) =>
  typeof content === 'string' ? Buffer.from(content, 'utf8') : content;

const euid = () => process.geteuid?.() ?? 0;
const egid = () => process.getegid?.() ?? 0;
const isId = (n: unknown) => n === undefined || (Number.isInteger(n) && (n as number) >= -1);

/** Names what is wrong with a request (programmer errors), or returns undefined. */
function invalidRequest(request: SyncRequest): string | undefined {
  if (typeof request.dest !== 'string' || request.dest === '') {
    return 'dest must be a non-empty path';
  }
  if (typeof request.content !== 'string' && !(request.content instanceof Uint8Array)) {
    return 'content must be a string or a Uint8Array';
  }
  const { mode } = request;
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777)) {
    return `mode must be an integer from 0 to 0o7777 (see parseMode), got ${mode}`;
  }
  if (!isId(request.uid)) return `uid must be an integer >= -1, got ${request.uid}`;
  if (!isId(request.gid)) return `gid must be an integer >= -1, got ${request.gid}`;
  return undefined;
}

/**
 * Renders a unified diff, or a one-liner for content that is not text. `diff` is imported only in
 * -noop mode, to keep start-up lean.
 */
async function unifiedDiff(
  dest: string,
  comparison: Comparison,
  next: Uint8Array,
): Promise<string> {
  const before = comparison.current ?? Buffer.alloc(0);
  if (before.includes(0) || Buffer.from(next).includes(0)) {
    return `Binary files ${dest} and rendered content differ\n`;
  }
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = await import('diff');
  return createTwoFilesPatch(
    comparison.exists ? dest : '/dev/null',
    dest,
    before.toString('utf8'),
    Buffer.from(next).toString('utf8'),
    'current',
    'rendered',
    { headerOptions: FILE_HEADERS_ONLY },
  );
}

/** statMode returns dest's permission bits, or undefined when it cannot be stat'ed. */
function statMode(dest: string): number | undefined {
  try {
    return statSync(dest, { throwIfNoEntry: false })?.mode;
  } catch {
    return undefined;
  }
}

/**
 * createTargetSyncer builds the TargetSyncer. Each `sync` call writes the stage file
 * `.<base><digits>` beside dest, compares it (uid, gid, mode, md5), and when it differs runs
 * check_cmd on it, renames it onto dest and runs reload_cmd, logging confd's lines. Calls for the
 * same dest are serialized.
 */
export function createTargetSyncer(options: TargetSyncerOptions): TargetSyncer {
  const { logger } = options;
  const runner =
    options.runCommand ?? createCommandRunner({ logger, timeoutMs: options.commandTimeoutMs });
  const rename = options.fs?.rename;
  const fsync = options.fsync ?? createFsyncPolicy();
  const queues = new Map<string, Promise<unknown>>();

  async function runReload(
    request: SyncRequest,
    stagePath: string,
  ): Promise<Pick<SyncResult, 'reloaded' | 'reloadFailed' | 'error'>> {
    if (request.syncOnly || !request.reloadCmd) return { reloaded: false };
    const cmd = renderCommand(request.reloadCmd, { src: stagePath, dest: request.dest });
    try {
      await runner.run(cmd, { signal: request.signal });
      return { reloaded: true };
    } catch (err) {
      if (isConfdError(err, ErrorCode.ABORTED)) throw err;
      const error = isConfdError(err)
        ? err
        : new ConfdError(ErrorCode.RELOAD_COMMAND_FAILED, errorMessage(err), { cause: err });
      return { reloaded: false, reloadFailed: true, error };
    }
  }

  async function runCheck(request: SyncRequest, stagePath: string): Promise<void> {
    if (request.syncOnly || !request.checkCmd) return;
    const cmd = renderCommand(request.checkCmd, { src: stagePath, dest: request.dest });
    try {
      await runner.run(cmd, { signal: request.signal });
    } catch (err) {
      if (isConfdError(err, ErrorCode.ABORTED)) throw err;
      const code = isConfdError(err, ErrorCode.RELOAD_COMMAND_TIMEOUT)
        ? ErrorCode.RELOAD_COMMAND_TIMEOUT
        : ErrorCode.RELOAD_CHECK_FAILED;
      throw new ConfdError(code, `Config check failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  async function syncOnce(request: SyncRequest): Promise<SyncResult> {
    const { dest, signal } = request;
    if (signal?.aborted) throw abortError(signal);
    const content = toBytes(request.content);
    const existing = statMode(dest);
    const mode = request.mode ?? (existing !== undefined ? existing & 0o7777 : 0o644);
    // confd's default uid/gid of -1 means "the effective id of this process".
    const uid = request.uid === undefined || request.uid === -1 ? euid() : request.uid;
    const gid = request.gid === undefined || request.gid === -1 ? egid() : request.gid;

    const stage = writeStageFile({ dest, content, mode, uid, gid, logger, fsync });
    let removeStage = !request.keepStageFile;
    if (request.keepStageFile) logger.info(`Keeping staged file: ${stage.path}`);
    const kept = request.keepStageFile ? { stagePath: stage.path } : {};
    try {
      logger.debug(`Comparing candidate config to ${dest}`);
      const comparison = await compareTarget(stage, content, dest, logger);

      if (request.noop) {
        // confd quirk kept: the warning is printed even when dest is in sync.
        logger.warn(`Noop mode enabled. ${dest} will not be modified`);
        const result: SyncResult = { changed: comparison.changed, updated: false, reloaded: false };
        if (comparison.contentChanged) {
          result.diff = await unifiedDiff(dest, comparison, content);
          logger.info(`Noop diff of ${dest}:\n${result.diff.trimEnd()}`);
        }
        return { ...result, ...kept };
      }

      if (!comparison.changed) {
        logger.debug(`Target config ${dest} in sync`);
        if (!request.reloadPending || request.syncOnly || !request.reloadCmd) {
          return { changed: false, updated: false, reloaded: false, ...kept };
        }
        // Ours: confd never retries a failed reload_cmd, since the next pass finds dest in sync.
        logger.info(`Retrying reload of ${dest} after an earlier failure`);
        const reload = await runReload(request, stage.path);
        return { changed: false, updated: false, ...reload, ...kept };
      }

      logger.info(`Target config ${dest} out of sync`);
      await runCheck(request, stage.path);
      if (signal?.aborted) throw abortError(signal);
      // Durable before it replaces dest; a stage file that is only compared is never fsynced.
      const held = comparison.exists ? holdReplacedFile(dest) : undefined;
      try {
        await stage.sync();
      } catch (err) {
        releaseHeldFile(held, logger, false);
        throw err;
      }
      logger.debug(`Overwriting target config ${dest}`);
      const method = await swapIntoPlace({
        stagePath: stage.path,
        dest,
        content,
        mode,
        uid,
        gid,
        logger,
        rename,
        held,
      });
      // confd quirk kept: with keepStageFile the stage file is renamed onto dest anyway.
      if (method === 'renamed') removeStage = false;
      const reload = await runReload(request, stage.path);
      if (!reload.reloadFailed) logger.info(`Target config ${dest} has been updated`);
      return { changed: true, updated: true, ...reload, ...kept };
    } finally {
      stage.close();
      if (removeStage) {
        try {
          rmSync(stage.path, { force: true });
        } catch (err) {
          logger.error(`Cannot remove stage file ${stage.path}: ${errorMessage(err)}`);
        }
      }
    }
  }

  function sync(request: SyncRequest): Promise<SyncResult> {
    const problem = invalidRequest(request);
    if (problem) return Promise.reject(new TypeError(`sync: ${problem}`));
    const key = resolve(request.dest);
    const previous = queues.get(key) ?? Promise.resolve();
    const current = previous.then(
      () => syncOnce(request),
      () => syncOnce(request),
    );
    const settled = current.catch(() => {});
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return current;
  }

  return { sync };
}
