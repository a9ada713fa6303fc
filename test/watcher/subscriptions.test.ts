import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../../src/store/store.js';
import { createEmbeddedBackend } from '../../src/backends/embedded.js';
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
