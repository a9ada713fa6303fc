/** Starting our agent (`bin/confd agent`) for a bench: durable (`-data-dir`), on a free port. */
import { join } from 'node:path';
import { request } from 'undici';
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
  /**
   * With `dataDir`: a client agent (`-data-dir D` without `-server -bootstrap`), which keeps no
   * state and forwards to a server; join it with `-retry-join` in `extraArgs`.
   */
  readonly client?: boolean;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
}

const announce = /Client Addr: \[([^\]\s]+)[^\]]*\] \(HTTP: (\d+)/;

/**
 * startBenchAgent spawns `node bin/confd agent` (`-server -bootstrap -data-dir D`, a client's
 * `-data-dir D`, or `-dev`; `-http-port 0 -serf-lan-port 0 -server-port 0 -log-level warn`) and
 * resolves when it announces its address. It is stopped after the bench.
 */
export async function startBenchAgent(
  ctx: BenchContext,
  options: StartBenchAgentOptions = {},
): Promise<BenchAgent> {
  const mode =
    options.dataDir === undefined
      ? ['-dev']
      : options.client === true
        ? ['-data-dir', options.dataDir]
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

/**
 * serfAddress is the `host:port` other agents join `agent` at (`-retry-join`): its serf LAN
 * address from `GET /v1/agent/self`'s `Member`. With `-serf-lan-port 0` the start-up banner shows
 * `LAN: 0`, so the port is read back from the agent.
 */
export async function serfAddress(agent: BenchAgent): Promise<string> {
  const res = await request(`${agent.url}/v1/agent/self`);
  const text = await res.body.text();
  if (res.statusCode !== 200)
    throw new Error(`${agent.url}/v1/agent/self: ${res.statusCode} ${text}`);
  const self = JSON.parse(text) as { Member?: { Addr?: unknown; Port?: unknown } };
  const { Addr: addr, Port: port } = self.Member ?? {};
  if (typeof addr !== 'string' || typeof port !== 'number' || port <= 0) {
    throw new Error(`${agent.url}/v1/agent/self: no serf address in ${text.slice(0, 200)}`);
  }
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
