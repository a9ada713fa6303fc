/**
 * reads: GET of one key at 64 connections — ours `GET /v1/kv/<key>` against etcd's
 * `POST /v3/kv/range` (base64 key, linearizable, the gateway default). Target: >= 3x etcd.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { startBenchAgent } from './harness/agent.js';
import { b64, startBenchEtcd } from './harness/etcd.js';
import { ratioFigure, failedFigure } from './harness/report.js';
import type { Bench } from './harness/types.js';
import { luaString, runWrk, writeLuaScript } from './harness/wrk.js';

const KEY = 'bench/read/key';
const VALUE = 'v'.repeat(100);
const CONNECTIONS = 64;
const DURATION_S = 10;
const WARMUP_S = 2;

const bench: Bench = {
  name: 'reads',
  description: `GET of one key, ${CONNECTIONS} connections, ${DURATION_S} s after a ${WARMUP_S} s warm-up (ours vs etcd range)`,
  async run(ctx) {
    const agent = await startBenchAgent(ctx, { dataDir: join(ctx.workDir, 'agent-data') });
    const put = await request(`${agent.url}/v1/kv/${KEY}`, { method: 'PUT', body: VALUE });
    if ((await put.body.text()).trim() !== 'true') throw new Error('agent: seed PUT failed');
    ctx.log(`reads: agent on ${agent.url}, wrk ${CONNECTIONS}c ${DURATION_S}s`);
    const ours = await runWrk({
      url: `${agent.url}/v1/kv/${KEY}`,
      connections: CONNECTIONS,
      durationS: ctx.quick ? 1 : DURATION_S,
      warmupS: ctx.quick ? 0 : WARMUP_S,
    });
    await agent.stop();

    const etcd = await startBenchEtcd(ctx);
    await etcd.put(KEY, VALUE);
    const script = await writeLuaScript(
      ctx.workDir,
      'etcd-range',
      `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = ${luaString(JSON.stringify({ key: b64(KEY) }))}
`,
    );
    ctx.log(`reads: etcd on ${etcd.url}, wrk ${CONNECTIONS}c ${DURATION_S}s`);
    const theirs = await runWrk({
      url: `${etcd.url}/v3/kv/range`,
      connections: CONNECTIONS,
      durationS: ctx.quick ? 1 : DURATION_S,
      warmupS: ctx.quick ? 0 : WARMUP_S,
      script,
    });
    await etcd.stop();
    for (const [who, r] of [
      ['ours', ours],
      ['etcd', theirs],
    ] as const) {
      if (r.non2xx > 0 || r.socketErrors > 0) {
        ctx.log(`reads: ${who} had ${r.non2xx} non-2xx and ${r.socketErrors} socket errors`);
      }
    }
    if (ours.okPerSec === 0) return [failedFigure(`reads ${CONNECTIONS}c`, 'no successful GET')];
    return [ratioFigure(`reads ${CONNECTIONS}c`, ours.okPerSec, theirs.okPerSec, 3)];
  },
};

export default bench;
