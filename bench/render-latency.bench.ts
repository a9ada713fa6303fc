/**
 * Render latency of the daemon in `-watch` mode: time from a KV PUT's acknowledgement (HTTP 200
 * `true` received) to the target file renamed into place with the new content (fsync included),
 * p50/p99 over 1,000 changes, one at a time, for the embedded backend and for the consul backend
 * against our own agent, in two patterns:
 *
 * - idle: 110 ms between a render and the next PUT, so every change finds the daemon idle;
 * - back-to-back: 5 ms, as a script or a deploy writing keys one after another.
 *
 * With `CONFD_REF=/path/to/confd` the real confd binary (`-watch -backend consul`) runs the
 * back-to-back pattern against the same agent in the same run, and the ratio is printed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { freePort } from '../test/helpers/free-port.js';
import { startBenchAgent } from './harness/agent.js';
import { oneResourceConfdir, startWatchDaemon, type WatchDaemon } from './harness/daemon.js';
import { infoFigure, limitFigure, percentile } from './harness/report.js';
import { timeUntilFile } from './harness/file-watch.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

/** A series of changes: the pause between a change seen in the target and the next PUT. */
interface Pattern {
  readonly name: 'idle' | 'back-to-back';
  readonly gapMs: number;
}
const IDLE: Pattern = { name: 'idle', gapMs: 110 };
const BACK_TO_BACK: Pattern = { name: 'back-to-back', gapMs: 5 };
const WARMUP = 20;
/** A change not rendered within this many ms is counted as lost. */
const TIMEOUT_MS = 2_000;

/** BenchDaemon is a running `confd -watch` with one resource rendering `/bench/value` into `target`. */
interface BenchDaemon extends WatchDaemon {
  readonly target: string;
}

async function startDaemon(
  ctx: BenchContext,
  name: string,
  args: string[],
  command?: string,
): Promise<BenchDaemon> {
  const dir = join(ctx.workDir, name);
  const target = await oneResourceConfdir(dir, {
    name: 'bench',
    file: 'bench.txt',
    keys: ['/bench'],
    template: '{{getv "/bench/value"}}',
  });
  return { ...startWatchDaemon(ctx, { label: name, confdir: dir, args, command }), target };
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

/** Latencies is one series' samples, sorted, in ms. */
interface Latencies {
  readonly samples: readonly number[];
  readonly beforeAck: number;
  readonly lost: number;
}

async function measureSeries(
  ctx: BenchContext,
  label: string,
  pool: Pool,
  target: string,
  pattern: Pattern,
): Promise<Latencies> {
  const changes = ctx.quick ? 200 : 1000;
  const samples: number[] = [];
  let beforeAck = 0;
  let lost = 0;
  for (let i = -WARMUP; i < changes && !ctx.signal.aborted; i++) {
    await sleep(pattern.gapMs);
    let r: { ms: number; beforeAck: boolean };
    try {
      r = await measureChange(pool, target, `${label}-${pattern.name}-${i}`, TIMEOUT_MS);
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
  samples.sort((a, b) => a - b);
  return { samples, beforeAck, lost };
}

const us = (ms: number): number => ms * 1000;

function seriesFigures(
  label: string,
  result: Latencies,
  limits: { p50: number; p99: number },
): Figure[] {
  const { samples, beforeAck, lost } = result;
  return [
    limitFigure(`render-latency ${label} p50`, us(percentile(samples, 50)), us(limits.p50), 'us'),
    limitFigure(`render-latency ${label} p99`, us(percentile(samples, 99)), us(limits.p99), 'us'),
    infoFigure(
      `render-latency ${label}: ${samples.length} changes, max ${percentile(samples, 100).toFixed(2)} ms, ` +
        `${beforeAck} already in place at the PUT's acknowledgement, ${lost} not seen within ${TIMEOUT_MS} ms`,
    ),
  ];
}

/** series runs the patterns, one after the other, against one daemon, then stops it. */
async function series(
  ctx: BenchContext,
  label: string,
  storeUrl: string,
  daemon: BenchDaemon,
  patterns: readonly { pattern: Pattern; limits: { p50: number; p99: number } }[],
): Promise<{ figures: Figure[]; results: Map<Pattern, Latencies> }> {
  const pool = new Pool(storeUrl, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  ctx.defer(() => pool.close());
  await waitReady(pool, daemon.target, ctx.signal);
  const figures: Figure[] = [];
  const results = new Map<Pattern, Latencies>();
  for (const { pattern, limits } of patterns) {
    ctx.log(`${label} backend, ${pattern.name}`);
    const result = await measureSeries(ctx, label, pool, daemon.target, pattern);
    results.set(pattern, result);
    figures.push(...seriesFigures(`${label} ${pattern.name}`, result, limits));
  }
  await daemon.stop();
  return { figures, results };
}

/** The targets: at most 1 ms / 5 ms from the acknowledgement, 1.5 / 8 ms for consul when idle. */
const EMBEDDED = { p50: 1, p99: 5 };
const CONSUL_IDLE = { p50: 1.5, p99: 8 };

const bench: Bench = {
  name: 'render-latency',
  description:
    'PUT acknowledged -> target renamed into place (confd -watch, fsync), p50/p99; embedded and consul, idle and back-to-back',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const figures: Figure[] = [];
    const storePort = await freePort();
    const embedded = await startDaemon(ctx, 'embedded', [
      '-store-addr',
      `127.0.0.1:${storePort}`,
      '-data-dir',
      join(ctx.workDir, 'embedded-data'),
    ]);
    const ours = await series(ctx, 'embedded', `http://127.0.0.1:${storePort}`, embedded, [
      { pattern: IDLE, limits: EMBEDDED },
      { pattern: BACK_TO_BACK, limits: EMBEDDED },
    ]);
    figures.push(...ours.figures);
    const agent = await startBenchAgent(ctx);
    const consulArgs = ['-backend', 'consul', '-node', `127.0.0.1:${agent.port}`];
    const consul = await startDaemon(ctx, 'consul', consulArgs);
    const viaConsul = await series(ctx, 'consul', agent.url, consul, [
      { pattern: IDLE, limits: CONSUL_IDLE },
      { pattern: BACK_TO_BACK, limits: EMBEDDED },
    ]);
    figures.push(...viaConsul.figures);
    figures.push(...(await confdReference(ctx, agent.url, consulArgs, viaConsul.results)));
    return figures;
  },
};

/**
 * confdReference runs the real confd (`CONFD_REF`) back-to-back against the same agent, with the
 * same resource and flags, and compares its p50/p99 with ours through the consul backend.
 */
async function confdReference(
  ctx: BenchContext,
  agentUrl: string,
  consulArgs: string[],
  ours: Map<Pattern, Latencies>,
): Promise<Figure[]> {
  const binary = process.env.CONFD_REF;
  if (binary === undefined || binary === '' || !existsSync(binary)) {
    return [infoFigure('render-latency confd reference: skipped (set CONFD_REF=/path/to/confd)')];
  }
  const confd = await startDaemon(ctx, 'confd-ref', consulArgs, binary);
  const ref = await series(ctx, 'confd', agentUrl, confd, [
    { pattern: BACK_TO_BACK, limits: EMBEDDED },
  ]);
  const theirs = ref.results.get(BACK_TO_BACK);
  const mine = ours.get(BACK_TO_BACK);
  if (theirs === undefined || mine === undefined) return ref.figures;
  const ratio = (p: number) =>
    (percentile(mine.samples, p) / percentile(theirs.samples, p)).toFixed(2);
  return [
    ...ref.figures.filter((f) => f.ok === undefined),
    infoFigure(
      `render-latency back-to-back, consul backend: confd p50 ${us(percentile(theirs.samples, 50)).toFixed(0)} us ` +
        `p99 ${us(percentile(theirs.samples, 99)).toFixed(0)} us; ours/confd ${ratio(50)}x p50, ${ratio(99)}x p99`,
    ),
  ];
}

export default bench;
