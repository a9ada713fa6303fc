/**
 * Test helper: runs the real `bin/confd` daemon as a child process and collects its log lines.
 * Not a test file itself (no `.test.` in the name).
 */
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { confdBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait-for.js';

/** ConfdRun is the outcome of a confd process that ran to its end. */
export interface ConfdRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr split into lines, without the `<time> <host> <tag>[<pid>]: ` head. */
  lines: string[];
}

/** RunningConfd is a started confd daemon. */
export interface RunningConfd {
  readonly pid: number;
  /** Log lines so far, without the time/host/tag head (e.g. `INFO Starting confd`). */
  lines(): string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Waits for a log line matching `re` (after `from` lines) and returns its match. */
  waitForLine(
    re: RegExp,
    options?: { timeoutMs?: number; from?: number },
  ): Promise<RegExpExecArray>;
  /** Sends a signal without waiting. */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM) and resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const head = /^\S+ \S+ \S+\[\d+\]: /;

/** logLines strips confd's time/host/tag head from each stderr line. */
export function logLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(head, ''));
}

interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function childEnv(env: SpawnOptions['env']): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** runConfd runs confd to completion (30 s limit). */
export function runConfd(args: string[], options: SpawnOptions = {}): Promise<ConfdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [confdBin, ...args], {
      env: childEnv(options.env),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`confd ${args.join(' ')} did not exit in time:\n${stderr}`));
    }, 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: logLines(stderr) });
    });
  });
}

/** startConfd starts a confd daemon and stops it (SIGKILL if needed) after the test. */
export function startConfd(
  t: TestContext,
  args: string[],
  options: SpawnOptions = {},
): RunningConfd {
  const child = spawn(process.execPath, [confdBin, ...args], {
    env: childEnv(options.env),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  t.after(async () => {
    if (alive()) child.kill('SIGKILL');
    await exited;
  });
  const lines = () => logLines(stderr);
  return {
    pid: child.pid ?? 0,
    lines,
    stderr: () => stderr,
    async waitForLine(re, { timeoutMs = 15_000, from = 0 } = {}) {
      return waitFor(
        () => {
          for (const line of lines().slice(from)) {
            const m = re.exec(line);
            if (m) return m;
          }
          if (!alive()) throw new Error(`confd exited; stderr:\n${stderr}`);
          return undefined;
        },
        { timeoutMs, what: `log line ${re} in:\n${stderr}` },
      );
    },
    signal(signal) {
      if (alive()) child.kill(signal);
    },
    async stop(signal = 'SIGTERM') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}

/**
 * embeddedStoreArgs are the flags for a daemon on the embedded store: `confdir`, an optional
 * `-data-dir`, the store API on a free port of 127.0.0.1 and no config file.
 */
export function embeddedStoreArgs(confdir: string, dataDir?: string): string[] {
  return [
    '-confdir',
    confdir,
    ...(dataDir === undefined ? [] : ['-data-dir', dataDir]),
    '-store-addr',
    '127.0.0.1:0',
    '-config-file',
    '/nonexistent/confd.toml',
  ];
}

/**
 * startWatchingConfd starts `confd -watch -log-level debug` on the embedded store (plus `extra`
 * flags) and waits for its store API's listening line; `url` is that API's base URL.
 */
export async function startWatchingConfd(
  t: TestContext,
  confdir: string,
  extra: string[] = [],
): Promise<{ confd: RunningConfd; url: string }> {
  const confd = startConfd(t, [
    '-watch',
    '-log-level',
    'debug',
    ...embeddedStoreArgs(confdir),
    ...extra,
  ]);
  const m = await confd.waitForLine(/^INFO Store HTTP API listening on (\S+):(\d+)$/);
  return { confd, url: `http://${m[1]}:${m[2]}` };
}

/** eventually is waitFor with a timeout fit for child processes on a loaded machine (15 s). */
export function eventually<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  return waitFor(check, { timeoutMs: 15_000, ...options });
}
