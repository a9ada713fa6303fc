/**
 * Render latency of the daemon in `-watch` mode: time from a KV PUT's acknowledgement (HTTP 200
 * `true` received) to the target file renamed into place with the new content (fsync included),
 * p50/p99 over 1,000 changes, one at a time, for the embedded backend and for the consul backend
 * against our own agent.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { freePort } from '../test/helpers/free-port.js';
import { startBenchAgent } from './harness/agent.js';
import { oneResourceConfdir, startWatchDaemon, type WatchDaemon } from './harness/daemon.js';
import { infoFigure, limitFigure, percentile } from './harness/report.js';
import { timeUntilFile } from './harness/file-watch.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

/**
 * Pause after each rendered change before the next PUT. The watcher keeps at least 100 ms between
 * two blocking rounds of one subscription (issue 3); a PUT inside that window would measure the
 * rate limit, not the render path.
 */
const GAP_MS = 110;
const WARMUP = 20;
/** A change not rendered within this many ms is counted as lost. */
const TIMEOUT_MS = 2_000;

/** BenchDaemon is a running `confd -watch` with one resource rendering `/bench/value` into `target`. */
interface BenchDaemon extends WatchDaemon {
  readonly target: string;
}

async function startDaemon(ctx: BenchContext, name: string, args: string[]): Promise<BenchDaemon> {
  const dir = join(ctx.workDir, name);
  const target = await oneResourceConfdir(dir, {
    name: 'bench',
    file: 'bench.txt',
    keys: ['/bench'],
    template: '{{getv "/bench/value"}}',
  });
  return { ...startWatchDaemon(ctx, { label: name, confdir: dir, args }), target };
}

/** putValue PUTs `/bench/value` and resolves when the `true` acknowledgement is fully received. */
async function putValue(pool: Pool, value: string): Promise<void> {
  const res = await pool.request({ path: '/v1/kv/bench/value', method: 'PUT', body: value });
  const text = await res.body.text();
  if (res.statusCode !== 200 || text.trim() !== 'true') {
    throw new Error(`PUT /v1/kv/bench/value: ${res.statusCode} ${text}`);
  }
}

/**
 * measureChange PUTs `value`, then waits (fs.watch on the target's directory, for the rename)
 * until the target holds it. Returns ms from the acknowledgement to the file seen, and whether
 * the file was already in place when the acknowledgement arrived.
 */
async function measureChange(
  pool: Pool,
  target: string,
  value: string,
  timeoutMs: number,
): Promise<{ ms: number; beforeAck: boolean }> {
  const { ms, beforeAnswer } = await timeUntilFile(
    target,
    () => putValue(pool, value),
    (text) => text === value,
    timeoutMs,
  );
  return { ms, beforeAck: beforeAnswer };
}

/** waitReady retries the first PUT until the store answers, then waits for the first render. */
async function waitReady(pool: Pool, target: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await measureChange(pool, target, 'ready', 10_000);
      return;
    } catch (err) {
      if (Date.now() > deadline || signal.aborted) throw err;
      await sleep(200);
    }
  }
}

async function series(
  ctx: BenchContext,
  label: string,
  storeUrl: string,
  daemon: BenchDaemon,
  limits: { p50: number; p99: number },
): Promise<Figure[]> {
  const changes = ctx.quick ? 200 : 1000;
  const pool = new Pool(storeUrl, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  ctx.defer(() => pool.close());
  await waitReady(pool, daemon.target, ctx.signal);
  const samples: number[] = [];
  let beforeAck = 0;
  let lost = 0;
  for (let i = -WARMUP; i < changes && !ctx.signal.aborted; i++) {
    await sleep(GAP_MS);
    let r: { ms: number; beforeAck: boolean };
    try {
      r = await measureChange(pool, daemon.target, `${label}-${i}`, TIMEOUT_MS);
    } catch (err) {
      // A change never seen counts as the timeout (a lower bound), and is reported.
      ctx.log(`${label}: ${err instanceof Error ? err.message : String(err)}`);
      r = { ms: TIMEOUT_MS, beforeAck: false };
      if (i >= 0) lost++;
    }
    if (i < 0) continue;
    samples.push(r.ms);
    if (r.beforeAck) beforeAck++;
  }
  await daemon.stop();
  samples.sort((a, b) => a - b);
  const us = (ms: number): number => ms * 1000;
  return [
    limitFigure(`render-latency ${label} p50`, us(percentile(samples, 50)), us(limits.p50), 'us'),
    limitFigure(`render-latency ${label} p99`, us(percentile(samples, 99)), us(limits.p99), 'us'),
    infoFigure(
      `render-latency ${label}: ${samples.length} changes, max ${percentile(samples, 100).toFixed(2)} ms, ` +
        `${beforeAck} already in place at the PUT's acknowledgement, ${lost} not seen within ${TIMEOUT_MS} ms`,
    ),
  ];
}

const bench: Bench = {
  name: 'render-latency',
  description:
    'PUT acknowledged -> target renamed into place (confd -watch, fsync), p50/p99; embedded and consul',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const figures: Figure[] = [];
    const storePort = await freePort();
    const embedded = await startDaemon(ctx, 'embedded', [
      '-store-addr',
      `127.0.0.1:${storePort}`,
      '-data-dir',
      join(ctx.workDir, 'embedded-data'),
    ]);
    ctx.log('embedded backend');
    figures.push(
      ...(await series(ctx, 'embedded', `http://127.0.0.1:${storePort}`, embedded, {
        p50: 1,
        p99: 5,
      })),
    );
    const agent = await startBenchAgent(ctx);
    const consul = await startDaemon(ctx, 'consul', [
      '-backend',
      'consul',
      '-node',
      `127.0.0.1:${agent.port}`,
    ]);
    ctx.log('consul backend');
    figures.push(...(await series(ctx, 'consul', agent.url, consul, { p50: 1.5, p99: 8 })));
    return figures;
  },
};

export default bench;
