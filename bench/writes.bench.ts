/**
 * writes: durable PUTs of distinct keys (100-byte values) at 64 and at 1 connection — ours
 * `PUT /v1/kv/<key>` on a `-data-dir` agent against etcd's `POST /v3/kv/put`. Target: >= 1.0x
 * etcd at both connection counts.
 */
import { join } from 'node:path';
import { startBenchAgent } from './harness/agent.js';
import { startBenchEtcd } from './harness/etcd.js';
import { failedFigure, ratioFigure } from './harness/report.js';
import type { Bench, Figure } from './harness/types.js';
import { etcdWriteScript, oursWriteScript } from './harness/write-scripts.js';
import { runWrk, writeLuaScript, type WrkResult } from './harness/wrk.js';

const VALUE = 'w'.repeat(100);
const DURATION_S = 10;
const WARMUP_S = 2;
const CONNECTION_COUNTS = [64, 1] as const;
/** The targets: at least this many times etcd's rate, by connection count. */
const TARGETS: ReadonlyMap<number, number> = new Map([
  [64, 1.2],
  [1, 1.1],
]);

const bench: Bench = {
  name: 'writes',
  description:
    `durable PUTs of distinct keys at ${CONNECTION_COUNTS.join(' and ')} connections, ` +
    `${DURATION_S} s each after a ${WARMUP_S} s warm-up`,
  async run(ctx) {
    const durationS = ctx.quick ? 1 : DURATION_S;
    const warmupS = ctx.quick ? 0 : WARMUP_S;
    const measure = async (
      side: 'ours' | 'etcd',
      url: string,
      connections: number,
    ): Promise<WrkResult> => {
      const script = side === 'ours' ? oursWriteScript : etcdWriteScript;
      const make = (prefix: string) => script(prefix, VALUE);
      const tag = `bench/write-${connections}c`;
      ctx.log(`writes: ${side} ${connections}c ${durationS}s (+${warmupS}s warm-up)`);
      return runWrk({
        url,
        connections,
        durationS,
        warmupS,
        script: await writeLuaScript(ctx.workDir, `${side}-${connections}`, make(tag)),
        warmupScript: await writeLuaScript(
          ctx.workDir,
          `${side}-${connections}-warmup`,
          make(`${tag}-warmup`),
        ),
      });
    };
    const results = new Map<number, { ours: WrkResult; etcd: WrkResult }>();

    const agent = await startBenchAgent(ctx, { dataDir: join(ctx.workDir, 'agent-data') });
    const oursRuns = new Map<number, WrkResult>();
    for (const c of CONNECTION_COUNTS) oursRuns.set(c, await measure('ours', agent.url, c));
    await agent.stop();

    const etcd = await startBenchEtcd(ctx);
    for (const c of CONNECTION_COUNTS) {
      results.set(c, {
        ours: oursRuns.get(c) as WrkResult,
        etcd: await measure('etcd', etcd.url, c),
      });
    }
    await etcd.stop();

    const figures: Figure[] = [];
    for (const [c, r] of results) {
      for (const [who, w] of [
        ['ours', r.ours],
        ['etcd', r.etcd],
      ] as const) {
        if (w.non2xx > 0 || w.socketErrors > 0) {
          ctx.log(
            `writes ${c}c: ${who} had ${w.non2xx} non-2xx and ${w.socketErrors} socket errors`,
          );
        }
      }
      figures.push(
        r.ours.okPerSec === 0
          ? failedFigure(`durable writes ${c}c`, 'no successful PUT')
          : ratioFigure(
              `durable writes ${c}c`,
              r.ours.okPerSec,
              r.etcd.okPerSec,
              TARGETS.get(c) ?? 1,
            ),
      );
    }
    return figures;
  },
};

export default bench;
