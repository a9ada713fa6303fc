/** Starting our agent (`bin/confd agent`) for a bench: durable (`-data-dir`), on a free port. */
import { join } from 'node:path';
import { spawnServer, type ServerProcess } from './process.js';
import type { BenchContext } from './types.js';

/** BenchAgent is a running `confd agent`. */
export interface BenchAgent {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Milliseconds from spawn until the agent announced its HTTP address. */
  readonly startMs: number;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

/** StartBenchAgentOptions configure {@link startBenchAgent}. */
export interface StartBenchAgentOptions {
  /** The agent's `-data-dir`; absent = `-dev` (in memory). */
  readonly dataDir?: string;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
}

const announce = /Client Addr: \[([^\]\s]+)[^\]]*\] \(HTTP: (\d+)/;

/**
 * startBenchAgent spawns `node bin/confd agent` (`-data-dir D` or `-dev`, `-http-port 0`,
 * `-log-level warn`) and resolves when it announces its address. It is stopped after the bench.
 */
export async function startBenchAgent(
  ctx: BenchContext,
  options: StartBenchAgentOptions = {},
): Promise<BenchAgent> {
  const mode =
    options.dataDir === undefined
      ? ['-dev']
      : ['-server', '-bootstrap', '-data-dir', options.dataDir];
  const proc = await spawnServer({
    command: process.execPath,
    args: [
      join(ctx.repoRoot, 'bin', 'confd'),
      'agent',
      ...mode,
      '-http-port',
      '0',
      '-serf-lan-port',
      '0',
      '-server-port',
      '0',
      '-log-level',
      'warn',
      ...(options.extraArgs ?? []),
    ],
    ready: announce,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  ctx.defer(() => proc.stop());
  const host = proc.ready[1] ?? '127.0.0.1';
  const port = Number(proc.ready[2]);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    pid: proc.pid,
    startMs: proc.startMs,
    process: proc,
    stop: () => proc.stop(),
  };
}
