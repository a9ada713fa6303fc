/** Running `check_cmd`/`reload_cmd` through `/bin/sh -c`, with confd's logging and a timeout. */
import { ConfdError, ErrorCode, abortError } from '../errors.js';
import type { Logger } from '../log.js';
import { goQuote } from '../go/strconv.js';
import type { CommandRunner, RunCommandOptions } from './types.js';

/** DEFAULT_COMMAND_TIMEOUT_MS is how long a command may run before it is killed (60 s). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** CommandRunnerOptions configures {@link createCommandRunner}. */
export interface CommandRunnerOptions {
  logger: Logger;
  /** Kill the command after this long; 0 disables the limit. Default 60 000. */
  timeoutMs?: number;
  /** After SIGTERM on timeout or abort, wait this long before SIGKILL. Default 2 000. */
  killGraceMs?: number;
  /** The shell. Default `/bin/sh` (as confd; it runs `/bin/sh -c <cmd>`). */
  shell?: string;
}

/** Go's texts for the signals a command is likely to die from (`signal: killed`). */
const GO_SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
};

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/**
 * createCommandRunner builds the CommandRunner confd's commands go through. Like confd it runs
 * `/bin/sh -c <cmd>` with the daemon's environment and cwd, logs DEBUG `Running <cmd>` and then the
 * combined output as Go `%q` (ERROR on failure), and fails with `exit status N`. Unlike confd it
 * puts the command in its own process group so that a timeout or abort kills everything it
 * started (confd #360/#212: a hung reload blocked confd forever).
 */
export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const killGraceMs = options.killGraceMs ?? 2_000;
  const shell = options.shell ?? '/bin/sh';
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new TypeError(`timeoutMs must be a non-negative number, got ${timeoutMs}`);
  }

  async function run(cmd: string, { signal }: RunCommandOptions = {}): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    logger.debug(`Running ${cmd}`);
    // execa is loaded on the first command only: most passes run none, and it is costly to load.
    const { execa } = await import('execa');
    const child = execa(shell, ['-c', cmd], {
      shell: false,
      stdin: 'ignore', // Go's exec gives the child /dev/null
      all: true, // confd uses CombinedOutput
      encoding: 'buffer',
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024,
      reject: false,
      detached: true, // own process group, killed as a whole below
    });

    let stopped: 'timeout' | 'abort' | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone
      }
    };
    const stop = (why: 'timeout' | 'abort') => {
      if (stopped) return;
      stopped = why;
      killGroup('SIGTERM');
      forceKill = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
    };
    const timer = timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : undefined;
    const onAbort = () => stop('abort');
    signal?.addEventListener('abort', onAbort, { once: true });

    let result: Awaited<typeof child>;
    try {
      result = await child;
    } finally {
      clearTimeout(timer);
      clearTimeout(forceKill);
      signal?.removeEventListener('abort', onAbort);
    }

    const output = goQuote(result.all ?? new Uint8Array());
    if (!result.failed) {
      logger.debug(output);
      return;
    }
    logger.error(output);
    if (stopped === 'abort') throw abortError(signal);
    if (stopped === 'timeout') {
      throw new ConfdError(
        ErrorCode.RELOAD_COMMAND_TIMEOUT,
        `command timed out after ${formatDuration(timeoutMs)} and was killed: ${cmd}`,
      );
    }
    if (result.exitCode !== undefined) {
      throw new ConfdError(ErrorCode.RELOAD_COMMAND_FAILED, `exit status ${result.exitCode}`);
    }
    if (result.signal !== undefined) {
      const text = GO_SIGNAL_TEXT[result.signal] ?? result.signal;
      throw new ConfdError(ErrorCode.RELOAD_COMMAND_FAILED, `signal: ${text}`);
    }
    if (result.isMaxBuffer) {
      throw new ConfdError(ErrorCode.RELOAD_COMMAND_FAILED, `command output exceeded 64 MiB`);
    }
    throw new ConfdError(
      ErrorCode.RELOAD_COMMAND_FAILED,
      `cannot run ${shell}: ${result.originalMessage ?? result.shortMessage ?? 'unknown error'}`,
      { cause: result.cause },
    );
  }

  return { run };
}
