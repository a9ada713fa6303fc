/**
 * replication: three replicated servers (`confd agent -server -etcd-endpoints ...`) against the
 * same three-member etcd cluster they keep their log in, side by side in one run:
 *
 * - durable writes: `PUT /v1/kv/<key>` spread over the 3 servers vs etcd puts through its JSON
 *   gateway spread over the 3 members (one wrk per server or member), 64 connections in all
 *   (target >= 1.0x), and 1 connection (reported, with the latency split);
 * - reads of one key from the 3 servers vs etcd linearizable ranges from the 3 members, 64
 *   connections (target >= 3x); `?consistent` reads reported;
 * - kill -9 of the leader: time to the next acknowledged write and to a new leader (10 kills);
 * - a write on one server → a blocking query woken on another, p50 / p99.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { etcdClusterMemberArgs, type EtcdMemberSpec } from '../test/helpers/etcd-cluster.js';
import { freePort } from '../test/helpers/free-port.js';
import { startBenchAgent, type BenchAgent } from './harness/agent.js';
import { b64, ETCD_BIN } from './harness/etcd.js';
import { spawnServer } from './harness/process.js';
import { formatCount, infoFigure, percentile, ratioFigure } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';
import { etcdWriteScript, oursWriteScript } from './harness/write-scripts.js';
import { luaString, runWrk, writeLuaScript, type WrkResult } from './harness/wrk.js';

const VALUE = 'w'.repeat(100);
const DURATION_S = 10;
const WARMUP_S = 2;
const KILLS = 10;
const WAKES = 200;

/** startCluster starts three etcd members and waits until a put through each one answers. */
async function startCluster(ctx: BenchContext): Promise<string[]> {
  const specs: EtcdMemberSpec[] = [];
  for (let i = 0; i < 3; i++) {
    specs.push({
      name: `e${i}`,
      url: `http://127.0.0.1:${await freePort()}`,
      peer: `http://127.0.0.1:${await freePort()}`,
    });
  }
  await Promise.all(
    specs.map(async (s) => {
      const proc = await spawnServer({
        command: ETCD_BIN,
        args: etcdClusterMemberArgs(s, specs, join(ctx.workDir, 'etcd')),
        ready: /serving client traffic|ready to serve client requests/,
        timeoutMs: 60_000,
      });
      ctx.defer(() => proc.stop());
    }),
  );
  for (const s of specs) {
    for (const deadline = Date.now() + 20_000; ;) {
      const res = await request(`${s.url}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: b64('bench/probe'), value: b64('x') }),
      }).catch(() => undefined);
      const ok = res?.statusCode === 200;
      await res?.body.text();
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`etcd member ${s.name} does not answer`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return specs.map((s) => s.url);
}

async function startServer(ctx: BenchContext, endpoints: string[], i: number): Promise<BenchAgent> {
  return startBenchAgent(ctx, {
    dataDir: join(ctx.workDir, `server-${i}`),
    extraArgs: ['-node', `s${i}`, '-dns-port', '-1', '-etcd-endpoints', endpoints.join(',')],
  });
}

async function text(url: string, init?: Parameters<typeof request>[1]) {
  const res = await request(url, init);
  return { status: res.statusCode, body: await res.body.text() };
}

/** leaderOf answers which server address leads, as `s` reports it ("" = none). */
async function leaderOf(s: BenchAgent): Promise<string> {
  const r = await text(`${s.url}/v1/status/leader`).catch(() => ({ status: 0, body: '""' }));
  return r.status === 200 ? (JSON.parse(r.body) as string) : '';
}

/** rpcAddress is a server's `host:port` as /v1/status/leader names it. */
async function rpcAddress(s: BenchAgent): Promise<string> {
  const self = JSON.parse((await text(`${s.url}/v1/agent/self`)).body) as {
    Member: { Addr: string; Tags: { port: string } };
  };
  return `${self.Member.Addr}:${self.Member.Tags.port}`;
}

/** spread runs one wrk per URL at once, connections split between them, and sums the rates. */
async function spread(
  ctx: BenchContext,
  name: string,
  urls: readonly string[],
  connections: number,
  script: (i: number) => string | undefined,
): Promise<{ okPerSec: number; errors: number; p50Ms: number }> {
  const durationS = ctx.quick ? 1 : DURATION_S;
  const warmupS = ctx.quick ? 0 : WARMUP_S;
  const results: WrkResult[] = await Promise.all(
    urls.map(async (url, i) => {
      const body = script(i);
      return runWrk({
        url,
        connections: Math.max(1, Math.round(connections / urls.length)),
        threads: 1,
        durationS,
        warmupS,
        latency: true,
        script:
          body === undefined ? undefined : await writeLuaScript(ctx.workDir, `${name}-${i}`, body),
      });
    }),
  );
  return {
    okPerSec: results.reduce((n, r) => n + r.okPerSec, 0),
    errors: results.reduce((n, r) => n + r.non2xx + r.socketErrors, 0),
    p50Ms: Math.max(...results.map((r) => r.latencyPercentilesMs['50'] ?? Number.NaN)),
  };
}

const bench: Bench = {
  name: 'replication',
  description:
    '3 replicated servers vs the 3-member etcd cluster holding their log: durable writes, reads, leader kill, cross-server wake-up',
  async run(ctx) {
    const figures: Figure[] = [];
    const endpoints = await startCluster(ctx);
    const servers = await Promise.all([0, 1, 2].map((i) => startServer(ctx, endpoints, i)));
    ctx.log(
      `replication: etcd ${endpoints.join(' ')}; servers ${servers.map((s) => s.url).join(' ')}`,
    );

    // --- durable writes -------------------------------------------------------------------
    for (const c of [64, 1] as const) {
      const ourUrls = c === 1 ? [servers[0].url] : servers.map((s) => s.url);
      const etcdUrls = c === 1 ? [endpoints[0]] : endpoints;
      ctx.log(`replication: writes ${c}c, ours then etcd`);
      const ours = await spread(ctx, `ours-w${c}`, ourUrls, c, (i) =>
        oursWriteScript(`bench/w${c}/${i}`, VALUE),
      );
      const theirs = await spread(ctx, `etcd-w${c}`, etcdUrls, c, (i) =>
        etcdWriteScript(`bench/e${c}/${i}`, VALUE),
      );
      if (ours.errors + theirs.errors > 0) {
        ctx.log(`replication: writes ${c}c errors: ours ${ours.errors}, etcd ${theirs.errors}`);
      }
      const fig = ratioFigure(`replicated writes ${c}c`, ours.okPerSec, theirs.okPerSec, 1);
      figures.push(c === 64 ? fig : infoFigure(fig.line.replace(/ \(target.*$/, ' (reported)')));
      if (c === 1) {
        figures.push(
          infoFigure(
            `replicated writes 1c latency p50: ours ${ours.p50Ms.toFixed(2)} ms, an etcd put ` +
              `${theirs.p50Ms.toFixed(2)} ms (the append inside ours), our HTTP + apply + watch ` +
              `delivery ${(ours.p50Ms - theirs.p50Ms).toFixed(2)} ms`,
          ),
        );
      }
    }

    // --- reads ----------------------------------------------------------------------------
    const key = 'bench/read/key';
    await text(`${servers[0].url}/v1/kv/${key}`, { method: 'PUT', body: VALUE });
    await text(`${servers[2].url}/v1/kv/${key}?consistent`);
    ctx.log('replication: reads 64c, ours default, ours ?consistent, etcd range');
    const reads = await spread(
      ctx,
      'ours-r',
      servers.map((s) => `${s.url}/v1/kv/${key}`),
      64,
      () => undefined,
    );
    const consistent = await spread(
      ctx,
      'ours-rc',
      servers.map((s) => `${s.url}/v1/kv/${key}?consistent`),
      64,
      () => undefined,
    );
    await text(`${endpoints[0]}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: b64(key), value: b64(VALUE) }),
    });
    const rangeScript = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = ${luaString(JSON.stringify({ key: b64(key) }))}
`;
    const ranges = await spread(
      ctx,
      'etcd-r',
      endpoints.map((u) => `${u}/v3/kv/range`),
      64,
      () => rangeScript,
    );
    figures.push(ratioFigure('replicated reads 64c', reads.okPerSec, ranges.okPerSec, 3));
    figures.push(
      infoFigure(
        `replicated reads 64c ?consistent: ${formatCount(consistent.okPerSec)}/s ` +
          `(${(consistent.okPerSec / ranges.okPerSec).toFixed(2)}x etcd's linearizable range)`,
      ),
    );

    // --- a write on one server wakes a blocking query on another ----------------------------
    const wakes: number[] = [];
    const wakeKey = 'bench/wake';
    for (let i = 0; i < (ctx.quick ? 20 : WAKES); i++) {
      const first = await request(`${servers[1].url}/v1/kv/${wakeKey}`);
      await first.body.text();
      const index = Number(first.headers['x-consul-index']);
      const parked = request(`${servers[1].url}/v1/kv/${wakeKey}?index=${index}&wait=10s`);
      // Give the blocking query time to park before the write (its answer is what is timed).
      await new Promise((resolve) => setTimeout(resolve, 5));
      const sent = performance.now();
      await text(`${servers[0].url}/v1/kv/${wakeKey}`, { method: 'PUT', body: String(i) });
      const woken = await parked;
      await woken.body.text();
      wakes.push(performance.now() - sent);
    }
    wakes.sort((a, b) => a - b);
    figures.push(
      infoFigure(
        `replicated wake-up: PUT sent to s0 -> blocking query on s1 answered: p50 ` +
          `${percentile(wakes, 50).toFixed(2)} ms, p99 ${percentile(wakes, 99).toFixed(2)} ms (${wakes.length} writes)`,
      ),
    );

    // --- leader kill ----------------------------------------------------------------------
    const toWrite: number[] = [];
    const toLeader: number[] = [];
    for (let k = 0; k < (ctx.quick ? 1 : KILLS); k++) {
      let leader = '';
      for (const deadline = Date.now() + 30_000; leader === '' && Date.now() < deadline;) {
        leader = await leaderOf(servers[0]);
        if (leader === '') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const addrs = await Promise.all(servers.map(rpcAddress));
      const victim = addrs.indexOf(leader);
      if (victim < 0) throw new Error(`leader ${leader} is none of ${addrs.join(' ')}`);
      const survivor = servers[(victim + 1) % 3];
      ctx.log(`replication: kill -9 of the leader s${victim} (${k + 1}/${KILLS})`);
      const killed = performance.now();
      servers[victim].process.child.kill('SIGKILL');
      let wrote: number | undefined;
      let led: number | undefined;
      for (let n = 0; wrote === undefined || led === undefined; n++) {
        if (wrote === undefined) {
          const r = await text(`${survivor.url}/v1/kv/bench/kill/${k}/${n}`, {
            method: 'PUT',
            body: 'x',
          }).catch(() => undefined);
          if (r?.status === 200) wrote = performance.now() - killed;
        }
        if (led === undefined) {
          const now = await leaderOf(survivor);
          if (now !== '' && now !== leader) led = performance.now() - killed;
        }
        if (performance.now() - killed > 60_000) throw new Error('no new leader within 60 s');
      }
      toWrite.push(wrote);
      toLeader.push(led);
      await servers[victim].stop();
      servers[victim] = await startServer(ctx, endpoints, victim);
    }
    toWrite.sort((a, b) => a - b);
    toLeader.sort((a, b) => a - b);
    figures.push(
      infoFigure(
        `replicated leader kill -9 -> next write acknowledged (on another server): p50 ` +
          `${percentile(toWrite, 50).toFixed(1)} ms, max ${toWrite[toWrite.length - 1]?.toFixed(1)} ms (${toWrite.length} kills)`,
      ),
      infoFigure(
        `replicated leader kill -9 -> new leader named: p50 ${formatCount(percentile(toLeader, 50))} ms, ` +
          `max ${formatCount(toLeader[toLeader.length - 1] ?? Number.NaN)} ms (lease TTL 5 s)`,
      ),
    );
    return figures;
  },
};

export default bench;
