/**
 * Running the load generator (`/usr/bin/wrk`, Debian `wrk` 4.1) and parsing its report, plus the
 * Lua scripts the benches use for POST/PUT bodies.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** WRK_BIN is the load generator used for both sides of every comparison. */
export const WRK_BIN = '/usr/bin/wrk';

/** WrkOptions configure one wrk run. */
export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  /** Default min(2, connections). */
  readonly threads?: number;
  readonly durationS: number;
  /** Path of a Lua script (see {@link writeLuaScript}). */
  readonly script?: string;
  /** Per-request timeout in seconds (wrk `--timeout`). Default 10. */
  readonly timeoutS?: number;
  /**
   * A discarded run of this many seconds first (JIT and connection warm-up), with `warmupScript`
   * when given (e.g. writing other keys than the measured run).
   */
  readonly warmupS?: number;
  readonly warmupScript?: string;
  /** `--latency`: wrk prints its latency distribution (see {@link WrkResult.latencyPercentilesMs}). */
  readonly latency?: boolean;
}

/** WrkResult is what a wrk report says. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  /** `Requests/sec` as wrk prints it (all responses, any status). */
  readonly requestsPerSec: number;
  /** Responses with a 2xx/3xx status per second (what the benches compare). */
  readonly okPerSec: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly latencyAvgMs: number;
  /**
   * The `Latency Distribution` of a `--latency` run, in ms, by percentile (`50`, `75`, `90`,
   * `99`); empty without `--latency`.
   */
  readonly latencyPercentilesMs: Readonly<Record<string, number>>;
  readonly raw: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseWrkOutput reads a wrk 4.x report (throws when it has no `Requests/sec` line). */
export function parseWrkOutput(raw: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(raw);
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m.exec(raw);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${raw}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(raw)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const socketErrors = sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) : 0;
  const timeouts = sock ? Number(sock[4]) : 0;
  const lat = /^\s*Latency\s+([\d.]+)(us|ms|s|m|h)/m.exec(raw);
  const latencyPercentilesMs: Record<string, number> = {};
  const distribution = raw.split(/^\s*Latency Distribution\s*$/m)[1] ?? '';
  for (const m of distribution.matchAll(/^\s+([\d.]+)%\s+([\d.]+)(us|ms|s|m|h)\s*$/gm)) {
    latencyPercentilesMs[String(Number(m[1]))] = Number(m[2]) * (UNIT_MS[m[3] ?? 'ms'] ?? 1);
  }
  const requests = Number(total[1]);
  const seconds = (Number(total[2]) * (UNIT_MS[total[3] ?? 's'] ?? 1000)) / 1000;
  const requestsPerSec = Number(rps[1]);
  const okShare = requests > 0 ? Math.max(0, requests - non2xx) / requests : 0;
  return {
    requests,
    seconds,
    requestsPerSec,
    okPerSec: requestsPerSec * okShare,
    non2xx,
    socketErrors,
    timeouts,
    latencyAvgMs: lat ? Number(lat[1]) * (UNIT_MS[lat[2] ?? 'ms'] ?? 1) : Number.NaN,
    latencyPercentilesMs,
    raw,
  };
}

/** runWrk runs wrk to completion and parses its report. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  if (options.warmupS !== undefined && options.warmupS > 0) {
    await runWrk({
      ...options,
      durationS: options.warmupS,
      warmupS: 0,
      ...(options.warmupScript !== undefined ? { script: options.warmupScript } : {}),
    });
  }
  const threads = options.threads ?? Math.min(2, options.connections);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.durationS}s`,
    '--timeout',
    `${options.timeoutS ?? 10}s`,
    ...(options.latency ? ['--latency'] : []),
    ...(options.script ? ['-s', options.script] : []),
    options.url,
  ];
  const { stdout, stderr } = await promisify(execFile)(WRK_BIN, args, {
    timeout: (options.durationS + 60) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseWrkOutput(`${stdout}${stderr}`);
}

/** writeLuaScript stores a wrk Lua script in `dir` and returns its path. */
export async function writeLuaScript(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, `${name}.lua`);
  await writeFile(path, body);
  return path;
}

/** luaString quotes a string for Lua source. */
export function luaString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
}

/**
 * luaThreadIds is a wrk `setup` giving each thread a distinct global `tid`, so per-thread counters
 * make distinct keys.
 */
export const luaThreadIds = `
local next_tid = 0
setup = function(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end
`;

/** luaBase64 defines `b64(s)`, standard base64 in plain Lua arithmetic (for etcd's JSON keys). */
export const luaBase64 = `
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function sym(n)
  return alphabet:sub(n + 1, n + 1)
end
function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q1 = math.floor(n / 262144) % 64
    local q2 = math.floor(n / 4096) % 64
    local q3 = math.floor(n / 64) % 64
    local q4 = n % 64
    out[#out + 1] = sym(q1) .. sym(q2) .. (b and sym(q3) or "=") .. (c and sym(q4) or "=")
  end
  return table.concat(out)
end
`;
