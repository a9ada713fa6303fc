/**
 * One-shot probes of the interval checks, with Consul's status mapping and output texts
 * (consul `agent/checks/check.go`): HTTP (2xx passing, 429 warning, else critical), TCP (connect
 * succeeds → passing) and script (exit 0 passing, 1 warning, else critical; last 4 KB of output).
 */
import { connect } from 'node:net';
import { execa } from 'execa';
import { request } from 'undici';
import { errorMessage } from '../../errors.js';
import type { CheckDefinition } from '../catalog/types.js';
import type { CheckResult } from './types.js';

/** OUTPUT_LIMIT is the number of output bytes a check keeps (Consul's 4 KB buffer). */
export const OUTPUT_LIMIT = 4096;

/** truncateOutput keeps the last 4 KB, noting how much was captured as Consul does. */
export function truncateOutput(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= OUTPUT_LIMIT) return text;
  const tail = bytes.subarray(bytes.length - OUTPUT_LIMIT).toString('utf8');
  return `Captured ${OUTPUT_LIMIT} of ${bytes.length} bytes\n...\n${tail}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** probeHttp runs one HTTP check. */
export async function probeHttp(
  def: CheckDefinition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const url = def.http ?? '';
  const method = (def.method ?? 'GET').toUpperCase();
  const headers: Record<string, string | string[]> = {
    'user-agent': 'Consul Health Check',
    accept: 'text/plain, text/*, */*',
  };
  for (const [k, v] of Object.entries(def.header ?? {})) headers[k.toLowerCase()] = [...v];
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const res = await request(url, {
      method: method as 'GET',
      headers,
      body: def.body !== undefined && def.body !== '' ? def.body : undefined,
      signal: combined,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (size < OUTPUT_LIMIT) chunks.push(buf);
      size += buf.length;
    }
    const body = Buffer.concat(chunks).subarray(0, OUTPUT_LIMIT).toString('utf8');
    const code = res.statusCode;
    const output = `HTTP ${method} ${url}: ${code} Output: ${body}`;
    if (code >= 200 && code <= 299) return { status: 'passing', output };
    // 429 Too Many Requests is a warning (Consul treats rate limiting as degraded).
    if (code === 429) return { status: 'warning', output };
    return { status: 'critical', output };
  } catch (err) {
    const why = timeout.aborted ? `timeout after ${formatSeconds(timeoutMs)}` : errorMessage(err);
    return { status: 'critical', output: `Get ${JSON.stringify(url)}: ${why}` };
  }
}

/** probeTcp runs one TCP check: a connection that opens is passing. */
export function probeTcp(
  def: CheckDefinition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const target = def.tcp ?? '';
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(colon + 1));
  return new Promise((resolve) => {
    if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      resolve({ status: 'critical', output: `TCP connect ${target}: invalid address` });
      return;
    }
    const socket = connect({ host, port });
    const done = (result: CheckResult) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done({ status: 'critical', output: `TCP connect ${target}: aborted` });
    const timer = setTimeout(
      () => done({ status: 'critical', output: `dial tcp ${target}: i/o timeout` }),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () =>
      done({ status: 'passing', output: `TCP connect ${target}: Success` }),
    );
    socket.once('error', (err) =>
      done({ status: 'critical', output: `dial tcp ${target}: ${errorMessage(err)}` }),
    );
  });
}

/** probeScript runs one script check (`args`, no shell). */
export async function probeScript(
  def: CheckDefinition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const [file, ...args] = def.args ?? [];
  if (file === undefined) return { status: 'critical', output: 'no args to run' };
  const result = await execa(file, args, {
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: timeoutMs,
    cancelSignal: signal,
    forceKillAfterDelay: 1000,
    stripFinalNewline: false,
  });
  if (result.timedOut) {
    return { status: 'critical', output: `Timed out (${formatSeconds(timeoutMs)}) running check` };
  }
  const output = truncateOutput(result.all ?? '');
  if (result.failed && result.exitCode === undefined) {
    return { status: 'critical', output: output || (result.shortMessage ?? 'failed to run') };
  }
  if (result.exitCode === 0) return { status: 'passing', output };
  if (result.exitCode === 1) return { status: 'warning', output };
  return { status: 'critical', output };
}
