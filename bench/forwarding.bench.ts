/**
 * forwarding: what a client agent's forwarding costs. One server agent (`-server -bootstrap
 * -data-dir`) and one client agent (`-data-dir`, no `-server`) joined to it, both on 127.0.0.1
 * with free ports; one key with a 100-byte value. The same `GET /v1/kv/<key>` is measured with
 * wrk straight to the server's HTTP port and through the client's (which sends it on to the
 * server's RPC port), one after the other, same length, both agents running throughout:
 *
 * - throughput at 64 connections (2 wrk threads), via client / direct, target >= 0.5x;
 * - p50 latency at 1 connection (1 wrk thread, `--latency`), via client - direct, target
 *   <= 300 us added.
 *
 * wrk, the server and the client share the machine's 2 cores: via the client, every request
 * costs CPU in both agents, which is part of what the ratio measures.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { serfAddress, startBenchAgent } from './harness/agent.js';
import { clockTicksPerSecond, cpuTicks } from './harness/process.js';
import { failedFigure, formatCount, namedRatioFigure, verdict } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';
import { runWrk, type WrkResult } from './harness/wrk.js';

const KEY = 'bench/forwarding/key';
const VALUE = 'v'.repeat(100);
const CONNECTIONS = 64;
const DURATION_S = 10;
const WARMUP_S = 2;
/** Throughput through the client is at least this share of the direct throughput. */
const RATIO_TARGET = 0.5;
/** The client adds at most this much to the p50 latency of one connection, in us. */
const ADDED_TARGET_US = 300;

/** waitForForwarding waits until a GET of the key through the client answers the value. */
async function waitForForwarding(ctx: BenchContext, url: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  let last = '';
  while (performance.now() < deadline) {
    ctx.signal.throwIfAborted();
    try {
      const res = await request(`${url}/v1/kv/${KEY}?raw`);
      const text = await res.body.text();
      if (res.statusCode === 200 && text === VALUE) return;
      last = `${res.statusCode} ${text.slice(0, 200)}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`the client agent does not forward to the server within 30 s (last: ${last})`);
}

const bench: Bench = {
  name: 'forwarding',
  description: `GET of one key through a client agent vs straight to the server: ${CONNECTIONS} connections (throughput) and 1 (p50 latency), ${DURATION_S} s each after a ${WARMUP_S} s warm-up`,
  async run(ctx) {
    const server = await startBenchAgent(ctx, {
      dataDir: join(ctx.workDir, 'server-data'),
      extraArgs: ['-node', 'fwd-server', '-dns-port', '-1'],
    });
    const join_ = await serfAddress(server);
    const client = await startBenchAgent(ctx, {
      dataDir: join(ctx.workDir, 'client-data'),
      client: true,
      extraArgs: ['-node', 'fwd-client', '-dns-port', '-1', '-retry-join', join_],
    });
    const put = await request(`${server.url}/v1/kv/${KEY}`, { method: 'PUT', body: VALUE });
    if ((await put.body.text()).trim() !== 'true') throw new Error('server: seed PUT failed');
    await waitForForwarding(ctx, client.url);
    ctx.log(`forwarding: server ${server.url} (serf ${join_}), client ${client.url}`);

    const durationS = ctx.quick ? 1 : DURATION_S;
    const warmupS = ctx.quick ? 0 : WARMUP_S;
    const hz = clockTicksPerSecond();
    /** CPU time of each agent per request of the measured run, in us. */
    const cpuPerRequest = new Map<WrkResult, { server: number; client: number }>();
    const measure = async (
      who: 'direct' | 'via client',
      url: string,
      connections: number,
    ): Promise<WrkResult> => {
      ctx.signal.throwIfAborted();
      ctx.log(`forwarding: ${who}, wrk ${connections}c ${durationS}s`);
      const wrk = { url: `${url}/v1/kv/${KEY}`, connections, latency: true };
      // The warm-up (thrown away) as its own run, so that the CPU times cover the measured one.
      if (warmupS > 0) await runWrk({ ...wrk, durationS: warmupS });
      const before = [await cpuTicks(server.pid), await cpuTicks(client.pid)];
      const r = await runWrk({ ...wrk, durationS });
      const after = [await cpuTicks(server.pid), await cpuTicks(client.pid)];
      const us = (i: number) =>
        (((after[i] ?? 0) - (before[i] ?? 0)) / hz / Math.max(1, r.requests)) * 1e6;
      cpuPerRequest.set(r, { server: us(0), client: us(1) });
      if (r.non2xx > 0 || r.socketErrors > 0 || r.timeouts > 0) {
        ctx.log(
          `forwarding: ${who} ${connections}c had ${r.non2xx} non-2xx, ${r.socketErrors} socket errors, ${r.timeouts} timeouts`,
        );
      }
      return r;
    };

    const figures: Figure[] = [];
    const readsDirect = await measure('direct', server.url, CONNECTIONS);
    const readsVia = await measure('via client', client.url, CONNECTIONS);
    const label = `forwarding reads ${CONNECTIONS}c`;
    figures.push(
      readsVia.okPerSec === 0 || readsDirect.okPerSec === 0
        ? failedFigure(label, 'no successful GET')
        : namedRatioFigure(
            label,
            ['via client', readsVia.okPerSec],
            ['direct', readsDirect.okPerSec],
            RATIO_TARGET,
          ),
    );

    const oneDirect = await measure('direct', server.url, 1);
    const oneVia = await measure('via client', client.url, 1);
    const directUs = (oneDirect.latencyPercentilesMs['50'] ?? Number.NaN) * 1000;
    const viaUs = (oneVia.latencyPercentilesMs['50'] ?? Number.NaN) * 1000;
    const latLabel = 'forwarding latency 1c';
    if (!Number.isFinite(directUs) || !Number.isFinite(viaUs)) {
      figures.push(failedFigure(latLabel, 'wrk printed no latency distribution'));
    } else if (oneVia.okPerSec === 0 || oneDirect.okPerSec === 0) {
      figures.push(failedFigure(latLabel, 'no successful GET'));
    } else {
      const addedUs = viaUs - directUs;
      const ok = addedUs <= ADDED_TARGET_US;
      figures.push({
        ok,
        line:
          `${latLabel}: via client p50 ${formatCount(viaUs)} us, direct ${formatCount(directUs)} us, ` +
          `added ${formatCount(addedUs)} us (target <= ${ADDED_TARGET_US} us) ${verdict(ok)}`,
      });
    }
    const cpu = (r: WrkResult) => {
      const c = cpuPerRequest.get(r);
      return c === undefined
        ? 'n/a'
        : `server ${c.server.toFixed(0)} + client ${c.client.toFixed(0)} us`;
    };
    figures.push({
      line:
        `forwarding CPU per GET at ${CONNECTIONS}c (utime+stime from /proc over the measured run): ` +
        `via client ${cpu(readsVia)}, direct ${cpu(readsDirect)}`,
    });
    const p99 = (r: WrkResult) => formatCount((r.latencyPercentilesMs['99'] ?? Number.NaN) * 1000);
    figures.push({
      line:
        `forwarding 1c: via client ${formatCount(oneVia.okPerSec)}/s p99 ${p99(oneVia)} us, ` +
        `direct ${formatCount(oneDirect.okPerSec)}/s p99 ${p99(oneDirect)} us; ` +
        `${CONNECTIONS}c p50 via client ${formatCount((readsVia.latencyPercentilesMs['50'] ?? NaN) * 1000)} us, ` +
        `direct ${formatCount((readsDirect.latencyPercentilesMs['50'] ?? NaN) * 1000)} us`,
    });
    return figures;
  },
};

export default bench;
