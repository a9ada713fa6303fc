/**
 * The contracts of `src/reload`: what a caller asks the target syncer to do with one rendered
 * resource, what it gets back, and the command-runner port used for `check_cmd`/`reload_cmd`.
 */
import type { ConfdError } from '../errors.js';

/** RunCommandOptions are the per-call options of {@link CommandRunner.run}. */
export interface RunCommandOptions {
  /** Aborting kills the command (its whole process group) and rejects with an ABORTED error. */
  signal?: AbortSignal;
}

/**
 * CommandRunner is the port that runs one shell command line (`check_cmd`, `reload_cmd`). It
 * resolves when the command exits 0 and rejects with a ConfdError otherwise: code
 * RELOAD_COMMAND_FAILED (message `exit status N`, as Go's exec), RELOAD_COMMAND_TIMEOUT, or ABORTED.
 */
export interface CommandRunner {
  run(cmd: string, options?: RunCommandOptions): Promise<void>;
}

/** SyncRequest is one rendered resource to install at `dest`. */
export interface SyncRequest {
  /** The target file. Its directory must exist. */
  dest: string;
  /** The rendered content (strings are written as UTF-8). */
  content: string | Uint8Array;
  /** Permission bits (see parseMode). Default: the existing dest's mode, or 0644. */
  mode?: number;
  /** Owner uid. Default: the process's effective uid. */
  uid?: number;
  /** Owner gid. Default: the process's effective gid. */
  gid?: number;
  /** Run on the stage file before the swap; `{{.src}}` is the stage path, `{{.dest}}` the target. */
  checkCmd?: string;
  /** Run after the swap; `{{.src}}` (the stage path) and `{{.dest}}` are substituted. */
  reloadCmd?: string;
  /** The template path, for messages only. */
  src?: string;
  /** Compare and report, never write dest nor run commands (`-noop`). */
  noop?: boolean;
  /** Install the file but run neither check_cmd nor reload_cmd (`-sync-only`). */
  syncOnly?: boolean;
  /** Do not delete the stage file (`-keep-stage-file`; it is still renamed onto dest when changed). */
  keepStageFile?: boolean;
  /** A previous reload_cmd failed: run it again even when dest is already in sync. */
  reloadPending?: boolean;
  /** Aborts a running command and stops before the swap. */
  signal?: AbortSignal;
}

/** SyncResult tells what one {@link TargetSyncer.sync} call did. */
export interface SyncResult {
  /** dest differed from the rendered content (or its uid, gid or mode) or did not exist. */
  changed: boolean;
  /** dest was replaced (never in noop mode). */
  updated: boolean;
  /** reload_cmd ran and exited 0. */
  reloaded: boolean;
  /**
   * reload_cmd failed (dest is already updated). Keep "reload pending" and pass
   * `reloadPending: true` next time; the failure itself is in `error`.
   */
  reloadFailed?: boolean;
  /** The reload_cmd failure (code RELOAD_COMMAND_FAILED or RELOAD_COMMAND_TIMEOUT). */
  error?: ConfdError;
  /** In noop mode: the unified diff from the current dest to the rendered content. */
  diff?: string;
  /** With keepStageFile, the stage file's path (it no longer exists if it was renamed onto dest). */
  stagePath?: string;
}

/** TargetSyncer stages, compares, checks, swaps and reloads target files. */
export interface TargetSyncer {
  /**
   * sync installs `request.content` at `request.dest` the way confd does. It rejects with a
   * ConfdError on stage, check, or swap failure (dest untouched unless the swap was done) and
   * RESOLVES with `reloadFailed`/`error` when only reload_cmd failed.
   */
  sync(request: SyncRequest): Promise<SyncResult>;
}
