/**
 * Child servers for the benches: spawning a server and waiting for its ready line, stopping it
 * (or any child, {@link childStopper}), and reading its resident memory and CPU time from /proc.
 * Free ports come from test/helpers/free-port.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** ServerProcess is a started child server. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first match of the ready pattern. */
  readonly ready: RegExpExecArray;
  /** Milliseconds from spawn to the ready line. */
  readonly startMs: number;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** SpawnServerOptions configure {@link spawnServer}. */
export interface SpawnServerOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Matched against the accumulated output; the server is ready when it matches. */
  readonly ready: RegExp;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** spawnServer starts a server process and resolves once its output matches `ready`. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(options.command, [...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.command} not ready in time; output:\n${out.slice(-2000)}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.length > 1_000_000) out = out.slice(-500_000);
      const m = options.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${options.command} exited before ready; output:\n${out.slice(-2000)}`));
    });
  });
  const startMs = performance.now() - started;
  return {
    child,
    pid: child.pid ?? 0,
    ready,
    startMs,
    output: () => out,
    stop: childStopper(child, exited),
  };
}

/**
 * childStopper returns an idempotent stop for `child`: SIGTERM, then SIGKILL after `graceMs`
 * (10 s by default); it resolves when `exited` (the child's `exit` event) has settled, at once if
 * the child is already gone.
 */
export function childStopper(
  child: ChildProcess,
  exited: Promise<void>,
): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 10_000) => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
}

/** rssBytes reads a process's resident set size (VmRSS) from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * cpuTicks is the CPU time a process has used, utime+stime from `/proc/<pid>/stat` (fields 14
 * and 15), in clock ticks ({@link clockTicksPerSecond}).
 */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces: the first of
  // them is field 3 (state), so utime and stime are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read utime/stime from /proc/${pid}/stat`);
  return ticks;
}

let ticksPerSecond: number | undefined;

/** clockTicksPerSecond is `getconf CLK_TCK` (100 on Linux), the unit of {@link cpuTicks}. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}
