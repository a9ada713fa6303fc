/**
 * million-keys: 1,000,000 keys of 100 bytes written through `PUT /v1/txn` batches (128 ops each,
 * several in flight) into a `-data-dir` agent; then the agent's resident memory (target <= 600 MB)
 * and, after a clean stop, the restart time on the same data dir until it serves the last key
 * written (target <= 5 s).
 */
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { startBenchAgent } from './harness/agent.js';
import { rssBytes } from './harness/process.js';
import { failedFigure, formatCount, infoFigure, limitFigure } from './harness/report.js';
import type { Bench, Figure } from './harness/types.js';

const KEYS = 1_000_000;
const VALUE_BYTES = 100;
const OPS_PER_TXN = 128;
const IN_FLIGHT = 8;
/** Give up writing after this long and report what was written (keeps the run bounded). */
const WRITE_BUDGET_MS = 180_000;

const keyOf = (i: number): string => `million/${String(i).padStart(7, '0')}`;

function txnBody(first: number, count: number): string {
  const ops: string[] = [];
  for (let i = first; i < first + count; i++) {
    // A distinct 100-byte value per key (the index, padded), base64 in the txn JSON.
    const value = Buffer.from(String(i).padStart(VALUE_BYTES, '0')).toString('base64');
    ops.push(`{"KV":{"Verb":"set","Key":"${keyOf(i)}","Value":"${value}"}}`);
  }
  return `[${ops.join(',')}]`;
}

const bench: Bench = {
  name: 'million-keys',
  description: `${formatCount(KEYS)} keys of ${VALUE_BYTES} bytes: agent RSS and restart time`,
  async run(ctx) {
    const dataDir = join(ctx.workDir, 'agent-data');
    const agent = await startBenchAgent(ctx, { dataDir });
    const pool = new Pool(agent.url, {
      connections: IN_FLIGHT,
      keepAliveTimeout: 10,
      keepAliveMaxTimeout: 10,
    });
    ctx.defer(() => (pool.closed ? undefined : pool.close()));

    const total = ctx.quick ? 20_000 : KEYS;
    ctx.log(`million-keys: writing ${formatCount(total)} keys in txns of ${OPS_PER_TXN}`);
    const started = performance.now();
    let next = 0;
    let written = 0;
    let failure: string | undefined;
    const worker = async (): Promise<void> => {
      while (next < total && failure === undefined && !ctx.signal.aborted) {
        if (performance.now() - started > WRITE_BUDGET_MS) return;
        const first = next;
        const count = Math.min(OPS_PER_TXN, total - first);
        next += count;
        const res = await pool.request({
          path: '/v1/txn',
          method: 'PUT',
          body: txnBody(first, count),
          headers: { 'content-type': 'application/json' },
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          failure = `txn answered ${res.statusCode}: ${text.slice(0, 200)}`;
          return;
        }
        written += count;
        if (written % 100_000 < count) ctx.log(`million-keys: ${formatCount(written)} written`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const writeMs = performance.now() - started;
    const figures: Figure[] = [];
    if (failure !== undefined) return [failedFigure('1M keys', failure)];
    figures.push(
      infoFigure(
        `1M keys write: ${formatCount(written)} keys in ${(writeMs / 1000).toFixed(1)} s ` +
          `(${formatCount(written / (writeMs / 1000))} keys/s, txn batches of ${OPS_PER_TXN}, ${IN_FLIGHT} in flight)`,
      ),
    );
    if (written < total) {
      figures.push(
        failedFigure('1M keys', `only ${formatCount(written)} keys written in the time budget`),
      );
    }

    const rss = await rssBytes(agent.pid);
    figures.push(limitFigure(`1M keys agent RSS`, rss / 1024 / 1024, 600, 'MB'));

    await pool.close();
    await agent.stop();
    ctx.log('million-keys: restarting the agent on the same data dir');
    const lastKey = keyOf(written - 1);
    const restartAt = performance.now();
    const again = await startBenchAgent(ctx, { dataDir, timeoutMs: 120_000 });
    const res = await request(`${again.url}/v1/kv/${lastKey}?raw`);
    const body = await res.body.text();
    const restartMs = performance.now() - restartAt;
    if (res.statusCode !== 200 || body !== String(written - 1).padStart(VALUE_BYTES, '0')) {
      figures.push(
        failedFigure('1M keys restart', `last key not served after restart (${res.statusCode})`),
      );
      return figures;
    }
    figures.push(limitFigure('1M keys restart until serving', restartMs, 5000, 'ms'));
    const rssAfter = await rssBytes(again.pid);
    figures.push(
      infoFigure(`1M keys agent RSS after restart: ${formatCount(rssAfter / 1024 / 1024)} MB`),
    );
    await again.stop();
    return figures;
  },
};

export default bench;
