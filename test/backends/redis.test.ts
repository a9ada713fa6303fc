import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createRedisBackend } from '../../src/backends/redis.js';
import type { Backend } from '../../src/backends/types.js';
import { startRedis } from '../helpers/redis.js';
import type { RunningRedis } from '../helpers/redis.js';
import { needs, tools } from '../helpers/system-tools.js';
import { assertWatchStopsOnAbortAndClose } from './watch-contract.js';

const sorted = (m: Map<string, string>) => Object.fromEntries([...m].sort());

function seedClient(t: TestContext, server: RunningRedis, db = 0): Redis {
  const client = new Redis({ host: '127.0.0.1', port: server.port, db, lazyConnect: false });
  t.after(() => client.disconnect());
  return client;
}

function backendFor(t: TestContext, options: Parameters<typeof createRedisBackend>[0]): Backend {
  const backend = createRedisBackend(options);
  t.after(() => backend.close());
  return backend;
}

test(
  'redis getValues reads strings, hashes and scanned trees as confd',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const seed = seedClient(t, server);
    await seed.mset('/key', 'foobar', '/database/host', '127.0.0.1', '/database/port', '3306');
    await seed.mset('/upstream/app1', '10.0.1.10:8080', '/upstream/app2', '10.0.1.11:8080');
    await seed.hset('/nested', 'east', 'e1', 'west', 'w1');
    await seed.lpush('/upstream/list', 'not a string'); // GET fails: skipped, as confd
    const backend = backendFor(t, { nodes: [server.node] });
    assert.deepEqual(
      sorted(
        await backend.getValues(['/key', '/database/host', '/upstream/*', '/nested', '/none']),
      ),
      {
        '/database/host': '127.0.0.1',
        '/key': 'foobar',
        '/nested/east': 'e1',
        '/nested/west': 'w1',
        '/upstream/app1': '10.0.1.10:8080',
        '/upstream/app2': '10.0.1.11:8080',
      },
    );
    // Concurrent first reads (several resources at once) share one connection attempt.
    const fresh = backendFor(t, { nodes: [server.node] });
    const [a, b] = await Promise.all([fresh.getValues(['/key']), fresh.getValues(['/nested'])]);
    assert.equal(a.get('/key'), 'foobar');
    assert.equal(b.get('/nested/east'), 'e1');
    const clients = String(await seed.client('LIST'))
      .trim()
      .split('\n');
    assert.equal(clients.length, 3, clients.join('\n')); // seed, backend, fresh
    // A scan GETs each match: the hash /nested is not a string and is skipped there, as confd.
    assert.equal((await backend.getValues(['/'])).size, 5);
  },
);

test(
  'redis -separator maps / to the separator and back',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const seed = seedClient(t, server);
    await seed.mset('database:host', '127.0.0.1', 'database:port', '3306', 'key', 'foobar');
    await seed.hset('app:cfg', 'mode', 'fast');
    const backend = backendFor(t, { nodes: [server.node], separator: ':' });
    assert.deepEqual(sorted(await backend.getValues(['/database', '/key', '/app/cfg'])), {
      '/app/cfg/mode': 'fast',
      '/database/host': '127.0.0.1',
      '/database/port': '3306',
      '/key': 'foobar',
    });
  },
);

test(
  'redis -node host:port/db selects the database, and unix sockets work',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const seed = seedClient(t, server, 2);
    await seed.set('/key', 'in-db-2');
    const inDb2 = backendFor(t, { nodes: [`${server.node}/2`] });
    assert.equal((await inDb2.getValues(['/key'])).get('/key'), 'in-db-2');
    const inDb0 = backendFor(t, { nodes: [server.node] });
    assert.equal((await inDb0.getValues(['/key'])).size, 0);
    const viaSocket = backendFor(t, { nodes: [`${server.socket}/2`] });
    assert.equal((await viaSocket.getValues(['/key'])).get('/key'), 'in-db-2');
  },
);

test(
  'redis password comes from the password option (confd: -client-key)',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t, ['--requirepass', 'sekret']);
    const good = backendFor(t, { nodes: [server.node], password: 'sekret' });
    assert.equal((await good.getValues(['/key'])).size, 0);
    const bad = backendFor(t, { nodes: [server.node], password: 'wrong' });
    await assert.rejects(bad.getValues(['/key']), (err) => {
      assert.ok(isConfdError(err, ErrorCode.BACKEND_RESPONSE));
      assert.match(err.message, /WRONGPASS/);
      return true;
    });
  },
);

test(
  'redis unreachable nodes fail over, and name the address when all fail',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const seed = seedClient(t, server);
    await seed.set('/key', 'v');
    const failover = backendFor(t, { nodes: ['127.0.0.1:1', server.node] });
    assert.equal((await failover.getValues(['/key'])).get('/key'), 'v');
    const dead = backendFor(t, { nodes: ['127.0.0.1:1'] });
    await assert.rejects(dead.getValues(['/key']), (err) => {
      assert.ok(isConfdError(err, ErrorCode.BACKEND_UNREACHABLE));
      assert.equal(err.message, 'dial tcp 127.0.0.1:1: connect: connection refused');
      return true;
    });
  },
);

test(
  'redis watchPrefix wakes on a SET under the prefix, not elsewhere',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const seed = seedClient(t, server);
    const backend = backendFor(t, { nodes: [server.node] });
    const signal = AbortSignal.timeout(10_000);
    const first = await backend.watchPrefix('/app', { keys: ['/app/x'], waitIndex: 0, signal });
    assert.ok(first > 0);
    let woke = false;
    const pending = backend.watchPrefix('/app', { keys: ['/app/x'], waitIndex: first, signal });
    void pending.then(() => (woke = true));
    await seed.set('/other/x', '1');
    // The unrelated write's notification travels the same connection as the PING answer.
    const sub = seedClient(t, server);
    await sub.ping();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(woke, false, 'a write outside the prefix must not wake the watch');
    await seed.set('/app/x', '2');
    const next = await pending;
    assert.ok(next > first);
    // An event between two calls is not lost: the next call returns at once.
    await seed.del('/app/x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = await backend.watchPrefix('/app', { keys: ['/app/x'], waitIndex: next, signal });
    assert.ok(later > next);
  },
);

test(
  'redis watchPrefix rejects with ABORTED on abort and on close',
  { skip: needs(tools.redis) },
  async (t) => {
    const server = await startRedis(t);
    const backend = createRedisBackend({ nodes: [server.node] });
    await assertWatchStopsOnAbortAndClose(backend);
  },
);

test(
  'redis recovers after the server restarts: errors, then a fresh index',
  { skip: needs(tools.redis) },
  async (t) => {
    const first = await startRedis(t);
    const backend = backendFor(t, { nodes: [first.node] });
    const signal = AbortSignal.timeout(10_000);
    const index = await backend.watchPrefix('/', { keys: [], waitIndex: 0, signal });
    const pending = backend.watchPrefix('/', { keys: [], waitIndex: index, signal });
    const dropped = assert.rejects(pending, (err) =>
      isConfdError(err, ErrorCode.BACKEND_UNREACHABLE),
    );
    await first.stop();
    await dropped;
    await assert.rejects(backend.getValues(['/key']), (err) =>
      isConfdError(err, ErrorCode.BACKEND_UNREACHABLE),
    );

    const second = await startRedis(t, [], { port: first.port });
    await seedClient(t, second).set('/key', 'back');
    assert.equal((await backend.getValues(['/key'])).get('/key'), 'back');
    // Events may have been missed while disconnected: the new subscription reports a change.
    assert.ok((await backend.watchPrefix('/', { keys: [], waitIndex: index, signal })) > index);
  },
);
