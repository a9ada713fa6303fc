/**
 * Recovery after a backend outage: `confd -watch` renders one key from a backend; the backend is
 * stopped for 20 s, then restarted on the same port (and data directory); the first PUT that the
 * restarted backend acknowledges is timed until the daemon has rendered it. Our agent through the
 * consul backend, etcd and redis, one after the other. The daemon's error lines during the outage
 * are counted too: retrying often must not flood the log.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { etcdMemberArgs } from '../test/helpers/etcd.js';
import { freePort } from '../test/helpers/free-port.js';
import { b64, ETCD_BIN } from './harness/etcd.js';
import { oneResourceConfdir, startWatchDaemon } from './harness/daemon.js';
import { timeUntilFile } from './harness/file-watch.js';
import { spawnServer, type ServerProcess } from './harness/process.js';
import { failedFigure, infoFigure, limitFigure } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

const OUTAGE_S = 20;
const QUICK_OUTAGE_S = 2;
/** The first change after the backend is back is rendered within this many ms. */
const TARGET_MS = 2_000;
const REDIS_BIN = '/usr/bin/redis-server';

/** OutageBackend is a backend the bench can stop and start again in place. */
interface OutageBackend {
  readonly name: string;
  /** -backend and -node for the daemon. */
  readonly daemonArgs: readonly string[];
  start(): Promise<ServerProcess>;
  /** put writes `/outage/value`; rejects while the backend cannot take it. */
  put(value: string): Promise<void>;
}

async function httpPut(url: string, body: string): Promise<void> {
  const res = await request(url, { method: url.includes('/v3/') ? 'POST' : 'PUT', body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${text}`);
}

async function agentBackend(ctx: BenchContext): Promise<OutageBackend> {
  const port = await freePort();
  const args = [join(ctx.repoRoot, 'bin', 'confd'), 'agent', '-server', '-bootstrap', '-data-dir'];
  args.push(join(ctx.workDir, 'agent-data'), '-http-port', String(port), '-log-level', 'warn');
  args.push('-serf-lan-port', '0', '-server-port', '0');
  return {
    name: 'consul (our agent)',
    daemonArgs: ['-backend', 'consul', '-node', `127.0.0.1:${port}`],
    start: () =>
      spawnServer({ command: process.execPath, args, ready: /Client Addr: /, timeoutMs: 60_000 }),
    put: (value) => httpPut(`http://127.0.0.1:${port}/v1/kv/outage/value`, value),
  };
}

async function etcdBackend(ctx: BenchContext): Promise<OutageBackend> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const args = etcdMemberArgs({
    name: 'outage',
    dataDir: join(ctx.workDir, 'etcd-data'),
    url,
    peer: `http://127.0.0.1:${peerPort}`,
  });
  return {
    name: 'etcd',
    daemonArgs: ['-backend', 'etcdv3', '-node', url],
    start: () =>
      spawnServer({
        command: ETCD_BIN,
        args,
        ready: /serving client traffic|ready to serve client requests|serving insecure client/,
        timeoutMs: 60_000,
      }),
    put: (value) =>
      httpPut(`${url}/v3/kv/put`, JSON.stringify({ key: b64('/outage/value'), value: b64(value) })),
  };
}

async function redisBackend(): Promise<OutageBackend> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const { Redis } = await import('ioredis');
  return {
    name: 'redis',
    daemonArgs: ['-backend', 'redis', '-node', `127.0.0.1:${port}`],
    start: () => spawnServer({ command: REDIS_BIN, args, ready: /Ready to accept connections/ }),
    async put(value) {
      const client = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      try {
        await client.connect();
        await client.set('/outage/value', value);
      } finally {
        client.disconnect();
      }
    },
  };
}

/** putUntilAccepted retries the PUT until the restarted backend takes it (60 s at most). */
async function putUntilAccepted(backend: OutageBackend, value: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      await backend.put(value);
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(20);
    }
  }
}

async function measure(ctx: BenchContext, backend: OutageBackend): Promise<Figure[]> {
  const label = `outage-recovery ${backend.name}`;
  const dir = join(ctx.workDir, backend.name.split(' ')[0] ?? 'backend');
  const target = await oneResourceConfdir(dir, {
    name: 'outage',
    file: 'outage.txt',
    keys: ['/outage'],
    template: '{{getv "/outage/value"}}',
  });
  let server = await backend.start();
  ctx.defer(() => server.stop());
  await putUntilAccepted(backend, 'before');
  const daemon = startWatchDaemon(ctx, {
    label: backend.name,
    confdir: dir,
    args: backend.daemonArgs,
  });
  let errors = 0;
  daemon.child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l.includes(' ERROR ')).length;
  });
  await timeUntilFile(
    target,
    () => Promise.resolve(),
    (text) => text === 'before',
    30_000,
  );

  const outageS = ctx.quick ? QUICK_OUTAGE_S : OUTAGE_S;
  ctx.log(`${backend.name}: stopped for ${outageS} s`);
  await server.stop();
  const errorsBefore = errors;
  await sleep(outageS * 1000);
  server = await backend.start();
  const timing = await timeUntilFile(
    target,
    () => putUntilAccepted(backend, 'after'),
    (text) => text === 'after',
    30_000,
  );
  const logged = errors - errorsBefore;
  await daemon.stop();
  await server.stop();
  return [
    limitFigure(
      `${label}, ${outageS} s outage: first change after the return rendered after`,
      timing.ms,
      TARGET_MS,
      'ms',
    ),
    infoFigure(`${label}: ${logged} ERROR lines logged by the daemon during the outage`),
  ];
}

const bench: Bench = {
  name: 'outage-recovery',
  description: `a backend stopped for ${OUTAGE_S} s and restarted: its first change rendered within 2 s`,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const make of [agentBackend, etcdBackend, redisBackend]) {
      const backend = await make(ctx);
      try {
        figures.push(...(await measure(ctx, backend)));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        figures.push(failedFigure(`outage-recovery ${backend.name}`, why.slice(0, 300)));
      }
    }
    return figures;
  },
};

export default bench;
