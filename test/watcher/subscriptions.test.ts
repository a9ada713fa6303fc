import { test } from 'node:test';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { createStore } from '../../src/store/store.js';
import { createEmbeddedBackend } from '../../src/backends/embedded.js';
import type { Backend } from '../../src/backends/types.js';
import { createConsulBackend } from '../../src/backends/consul.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { groupByPrefix, startSubscriptions } from '../../src/watcher/subscriptions.js';
import { createHttpApi } from '../../src/store/http/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startNonBlockingConsul } from '../helpers/http-server.js';
import { waitFor } from '../helpers/wait-for.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('groupByPrefix shares one subscription per prefix with the union of keys', () => {
  const groups = groupByPrefix([
    { id: 'a', prefix: '/', keys: ['/database'] },
    { id: 'b', prefix: '/', keys: ['/upstream', '/database'] },
    { id: 'c', prefix: '/app', keys: ['/app/x'] },
  ]);
  assert.deepEqual(
    [...groups],
    [
      ['/', { ids: ['a', 'b'], keys: ['/database', '/upstream'] }],
      ['/app', { ids: ['c'], keys: ['/app/x'] }],
    ],
  );
});

test('one loop per prefix: first round fires, a write wakes only prefixes it falls under', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'test' });
  t.after(() => store.close());
  // A prefix with no keys answers with the whole table's index (Consul's rule), so seed one.
  await store.kvSet('app/k', enc('1'));
  const backend = createEmbeddedBackend({ store });
  const changes: string[] = [];
  const subs = startSubscriptions({
    backend,
    logger: silentLogger,
    targets: [
      { id: 'root-a', prefix: '/', keys: ['/x'] },
      { id: 'root-b', prefix: '/', keys: ['/y'] },
      { id: 'app', prefix: '/app', keys: ['/app/k'] },
    ],
    onChange: (ids) => changes.push(ids.join(',')),
  });
  t.after(() => subs.close());
  assert.deepEqual(subs.prefixes, ['/', '/app']);
  await waitFor(() => changes.length === 2, { what: 'the first round' });
  assert.deepEqual([...changes].sort(), ['app', 'root-a,root-b']);

  changes.length = 0;
  await store.kvSet('other/key', enc('v'));
  await waitFor(() => changes.length === 1, { what: 'the / subscription' });
  assert.deepEqual(changes, ['root-a,root-b']);

  changes.length = 0;
  await store.kvSet('app/k', enc('2'));
  await waitFor(() => changes.length === 2, { what: 'both subscriptions' });
  assert.deepEqual([...changes].sort(), ['app', 'root-a,root-b']);
  await subs.close();
  await subs.close();
});

test('back-to-back writes: every write is its own round, and no round waits on a timer', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'test' });
  t.after(() => store.close());
  const backend = createEmbeddedBackend({ store });
  const clock = new FakeClock();
  let changes = 0;
  const subs = startSubscriptions({
    backend,
    logger: silentLogger,
    clock,
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => (changes += 1),
  });
  t.after(() => subs.close());
  await waitFor(() => changes === 1, { what: 'the first round' });
  // The fake clock never moves: a round that waited on a timer would never come back.
  for (let i = 1; i <= 50; i++) {
    await store.kvSet('k', enc(String(i)));
    await waitFor(() => changes === i + 1, { what: `the round of write ${i}` });
  }
  assert.deepEqual(clock.sleeps, []);
  await subs.close();
});

test('an outage: retries at most 1 s apart, errors logged ever more rarely, recovery logged', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'test' });
  t.after(() => store.close());
  const first = createHttpApi({ store, nodeName: 'test' });
  const { port } = await first.listen(0, '127.0.0.1');
  const backend = await createConsulBackend({ node: `127.0.0.1:${port}` });
  t.after(() => backend.close());
  const lines: string[] = [];
  const clock = new FakeClock();
  let changes = 0;
  const subs = startSubscriptions({
    backend,
    logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
    clock,
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => (changes += 1),
  });
  t.after(() => subs.close());
  await waitFor(() => changes === 1, { what: 'the first round' });
  // The agent goes away with the blocking query parked on it.
  await first.close();
  const delays: number[] = [];
  // 24 failed attempts ended by their retry delay, about 21 s of outage on the fake clock...
  for (let i = 0; i < 24; i++) delays.push(await clock.nextSleep(`retry ${i + 1}`));
  // ...and the 25th failed too, waiting for its retry.
  await waitFor(() => clock.pending === 1, { what: 'the 25th failure' });
  assert.deepEqual(delays.slice(0, 3), [250, 500, 1000]);
  assert.ok(
    delays.slice(2).every((d) => d === 1000),
    delays.join(', '),
  );
  const errors = lines.filter((l) => l.includes(' ERROR '));
  // The parked query is cut (connection reset), then every attempt is refused.
  assert.match(errors[0] ?? '', /ERROR Get "http:\/\/127\.0\.0\.1:\d+\/v1\/kv\/\?index=/);
  // Logged at 0, 0.25, 0.75, 1.75, 3.75, 7.75, 15.75 s of fake time: 7 lines for 25 attempts.
  assert.equal(errors.length, 7, errors.join(''));
  assert.match(errors[1] ?? '', /connect: connection refused \(attempt 2\)\n$/);
  assert.match(errors[6] ?? '', /\(attempt 18\)\n$/);
  assert.equal(changes, 1);

  // The agent is back on the same port: the next attempt succeeds and re-checks the resources.
  const second = createHttpApi({ store, nodeName: 'test' });
  await second.listen(port, '127.0.0.1');
  t.after(() => second.close());
  clock.advance(1000);
  await waitFor(() => lines.some((l) => l.includes('INFO Watch of prefix / recovered')), {
    what: 'the recovery line',
  });
  assert.ok(
    lines.some((l) => l.endsWith('INFO Watch of prefix / recovered after 25 failed attempt(s)\n')),
    lines.join(''),
  );
  // The first answer after the outage re-checks the resources at once...
  await waitFor(() => changes === 2, { what: 'the re-check after the outage' });
  // ...and the loop parks again: the next change is its own round.
  await store.kvSet('k', enc('after'));
  await waitFor(() => changes === 3, { what: 'the change after the outage' });
  await subs.close();
});

test('a server that answers without blocking slows the loop down instead of spinning', async (t) => {
  const consul = await startNonBlockingConsul(t, 7);
  const backend = await createConsulBackend({ node: consul.node });
  t.after(() => backend.close());
  const lines: string[] = [];
  const clock = new FakeClock();
  const subs = startSubscriptions({
    backend,
    logger: createLogger({ level: 'warning', write: (l) => lines.push(l) }),
    clock,
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => undefined,
  });
  t.after(() => subs.close());
  // The first read, one idle round let through, then the second idle round waits.
  assert.equal(await clock.nextSleep(), 250);
  assert.equal(consul.requests(), 3);
  assert.equal(await clock.nextSleep(), 500);
  assert.equal(await clock.nextSleep(), 1000);
  assert.equal(await clock.nextSleep(), 1000);
  assert.equal(consul.requests(), 6);
  const warnings = lines.filter((l) => l.includes('answers without blocking'));
  assert.equal(warnings.length, 1, lines.join(''));
  await subs.close();
});

test('an index that goes backwards (a replaced Consul) resets the subscription and re-reads', async (t) => {
  const requests: string[] = [];
  const parked: ServerResponse[] = [];
  // A Consul-like server whose index drops from 10 to 5, as after a snapshot restore.
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const n = requests.length;
    const index = n === 1 ? 10 : n <= 3 ? 5 : 0;
    if (index === 0) {
      parked.push(res);
      return;
    }
    res.setHeader('X-Consul-Index', String(index));
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify([
        { Key: 'k', Value: Buffer.from('v').toString('base64'), ModifyIndex: index },
      ]),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const res of parked) res.destroy();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const backend = await createConsulBackend({ node: `127.0.0.1:${port}` });
  t.after(() => backend.close());
  const lines: string[] = [];
  let changes = 0;
  const subs = startSubscriptions({
    backend,
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => (changes += 1),
  });
  await waitFor(() => parked.length === 1, { what: 'the subscription to park again' });
  await subs.close();
  assert.equal(changes, 2, 'the first round and the re-read after the reset');
  assert.ok(/[?&]index=10(&|$)/.test(requests[1] ?? ''), requests.join(' '));
  assert.ok(!/[?&]index=/.test(requests[2] ?? ''), `re-read from 0: ${requests.join(' ')}`);
  assert.ok(/[?&]index=5(&|$)/.test(requests[3] ?? ''), requests.join(' '));
  assert.ok(
    lines.some((l) => l.includes('DEBUG Watch index of / went backwards')),
    lines.join(''),
  );
});

test('on a brand-new store the subscription parks at index 1 and wakes on the first write', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'test' });
  t.after(() => store.close());
  const embedded = createEmbeddedBackend({ store });
  // Each answered round as [waitIndex, answered index]: a spinning loop would add rounds.
  const rounds: [number, number][] = [];
  const backend: Backend = {
    name: embedded.name,
    getValues: (keys, signal) => embedded.getValues(keys, signal),
    close: () => embedded.close(),
    async watchPrefix(prefix, options) {
      const index = await embedded.watchPrefix(prefix, options);
      rounds.push([options.waitIndex, index]);
      return index;
    },
  };
  let changes = 0;
  const subs = startSubscriptions({
    backend,
    logger: silentLogger,
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => (changes += 1),
  });
  t.after(() => subs.close());
  await waitFor(() => changes === 1, { what: 'the first round' });
  // An empty table answers index 1 (never 0); index 1 is reserved, so the first write gets 2.
  await store.kvSet('k', enc('v'));
  assert.equal(store.lastIndex, 2);
  await waitFor(() => changes === 2, { what: 'the parked round to wake on the first write' });
  await store.kvSet('k', enc('w'));
  await waitFor(() => changes === 3, { what: 'the next write' });
  await subs.close();
  assert.deepEqual(rounds, [
    [0, 1],
    [1, 2],
    [2, 3],
  ]);
});
