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

test('rounds of one subscription are at least minIntervalMs apart', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'test' });
  t.after(() => store.close());
  const backend = createEmbeddedBackend({ store });
  const times: number[] = [];
  const subs = startSubscriptions({
    backend,
    logger: silentLogger,
    minIntervalMs: 100,
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => times.push(Date.now()),
  });
  t.after(() => subs.close());
  await waitFor(() => times.length === 1);
  // A write storm: without the rate limit every write could be its own round.
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) await store.kvSet('k', enc(String(i)));
  await store.kvSet('k', enc('last'));
  await waitFor(() => times.length >= 2);
  await new Promise((r) => setTimeout(r, 250));
  const t1 = Date.now();
  // Rounds start at least 100 ms apart, so at most one per 100 ms window (+1 for the edges).
  const rounds = times.length - 1;
  assert.ok(rounds <= Math.ceil((t1 - t0) / 100) + 1, `${rounds} rounds in ${t1 - t0} ms`);
  assert.ok(rounds < 21, `${rounds} rounds for 21 writes`);
});

test('errors back off exponentially and are logged; no change is reported', async (t) => {
  const lines: { at: number; line: string }[] = [];
  const logger = createLogger({
    level: 'error',
    write: (line) => lines.push({ at: Date.now(), line }),
  });
  // Port 1 on loopback refuses connections: a backend that has gone away.
  const backend = await createConsulBackend({ node: '127.0.0.1:1' });
  t.after(() => backend.close());
  let changes = 0;
  const subs = startSubscriptions({
    backend,
    logger,
    backoff: { baseMs: 40, maxMs: 1000 },
    targets: [{ id: 'a', prefix: '/', keys: ['/k'] }],
    onChange: () => (changes += 1),
  });
  await waitFor(() => lines.length >= 4, { timeoutMs: 5000, what: 'four failed rounds' });
  await subs.close();
  assert.equal(changes, 0);
  assert.match(lines[0].line, /ERROR .*127\.0\.0\.1:1.*connect: connection refused/);
  const gaps = lines.slice(1, 4).map((l, i) => l.at - lines[i].at);
  assert.ok(gaps[2] > gaps[0], `gaps should grow: ${gaps.join(', ')}`);
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
    minIntervalMs: 10,
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
    minIntervalMs: 10,
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
