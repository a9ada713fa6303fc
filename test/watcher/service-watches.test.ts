/**
 * Catalog lookup watches against the real embedded store: one loop per lookup shared by its
 * resources, woken only by changes to that lookup, stopped when no resource uses it any more.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedBackend } from '../../src/backends/embedded.js';
import { createConsulBackend } from '../../src/backends/consul.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { parseCatalogRegister } from '../../src/store/catalog/index.js';
import { createStore } from '../../src/store/store.js';
import type { StoreEngine } from '../../src/store/store.js';
import type { ServiceLookupRequest } from '../../src/template/types.js';
import { createServiceWatches } from '../../src/watcher/service-watches.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startNonBlockingConsul } from '../helpers/http-server.js';
import { waitFor } from '../helpers/wait-for.js';

const lookup = (name: string): ServiceLookupRequest => ({
  kind: 'service',
  name,
  tag: '',
  passing: true,
});

async function register(store: StoreEngine, name: string, node: string): Promise<void> {
  const parsed = parseCatalogRegister(
    { Node: node, Address: '10.0.0.1', Service: { Service: name, Port: 80 } },
    'dc1',
  );
  assert.ok(parsed.ok);
  await store.catalogApply(parsed.value);
}

async function embedded(t: TestContext) {
  const store = await createStore({ dev: true, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await register(store, 'web', 'n1');
  const backend = createEmbeddedBackend({ store, catalog: store });
  t.after(() => backend.close());
  // Every blocking round's signal, per service: a stopped loop leaves its last one aborted.
  const rounds = new Map<string, AbortSignal[]>();
  const watched = {
    watchServices(request: ServiceLookupRequest, o: { waitIndex: number; signal: AbortSignal }) {
      const name = request.kind === 'service' ? request.name : request.kind;
      rounds.set(name, [...(rounds.get(name) ?? []), o.signal]);
      return backend.watchServices!(request, o);
    },
  };
  const stop = new AbortController();
  t.after(() => stop.abort());
  const changed: string[] = [];
  const watches = createServiceWatches({
    backend: watched,
    logger: silentLogger,
    onChange: (r) => changed.push(r),
    signal: stop.signal,
  });
  return { store, rounds, watches, changed };
}

test('a lookup change schedules every resource using it; another service does not', async (t) => {
  const { store, rounds, watches, changed } = await embedded(t);
  watches.use('service:web', lookup('web'), 'a.toml');
  watches.use('service:web', lookup('web'), 'b.toml');
  watches.use('service:db', lookup('db'), 'c.toml');
  assert.equal(rounds.get('web')?.length, 1, 'one loop per lookup, shared by its resources');
  await waitFor(() => (rounds.get('web')?.length ?? 0) >= 2, { what: 'the web loop parked' });

  await register(store, 'web', 'n2');
  await waitFor(() => changed.length >= 2, { what: 'the web change' });
  assert.deepEqual(changed.sort(), ['a.toml', 'b.toml']);
  // The db loop is still parked on its first round's answer: it never woke.
  assert.equal(rounds.get('db')?.length, 2);
  watches.close();
  assert.ok(rounds.get('web')?.at(-1)?.aborted, 'close() stops the loops');
});

test('retain() stops the loops no kept resource uses', async (t) => {
  const { store, rounds, watches, changed } = await embedded(t);
  watches.use('service:web', lookup('web'), 'gone.toml');
  watches.use('service:db', lookup('db'), 'kept.toml');
  await waitFor(() => (rounds.get('web')?.length ?? 0) >= 2, { what: 'the web loop parked' });

  watches.retain(new Set(['kept.toml']));
  assert.ok(rounds.get('web')?.at(-1)?.aborted, 'the web loop was stopped');
  assert.equal(rounds.get('db')?.at(-1)?.aborted, false, 'the db loop runs on');
  await register(store, 'web', 'n2');
  await register(store, 'db', 'n1');
  await waitFor(() => changed.length >= 1, { what: 'the db change' });
  assert.deepEqual(changed, ['kept.toml']);
  // A resource using the lookup again starts a new loop.
  watches.use('service:web', lookup('web'), 'kept.toml');
  assert.equal(rounds.get('web')?.at(-1)?.aborted, false);
  watches.close();
});

test('an unreachable backend is retried at most 1 s apart and logged ever more rarely', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', write: (line) => lines.push(line) });
  // Port 1 on loopback refuses connections: a Consul that has gone away.
  const backend = await createConsulBackend({ node: '127.0.0.1:1' });
  t.after(() => backend.close());
  const stop = new AbortController();
  t.after(() => stop.abort());
  const clock = new FakeClock();
  const watches = createServiceWatches({
    backend,
    logger,
    onChange: () => assert.fail('no change without an answer'),
    signal: stop.signal,
    clock,
  });
  watches.use('service:web', lookup('web'), 'a.toml');
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) delays.push(await clock.nextSleep(`retry ${i + 1}`));
  await waitFor(() => clock.pending === 1, { what: 'the 7th failure' });
  stop.abort();
  assert.deepEqual(delays, [250, 500, 1000, 1000, 1000, 1000]);
  // Attempts at 0, 0.25, 0.75, 1.75, 2.75, 3.75, 4.75 s: logged at 0, 0.25, 0.75, 1.75, 3.75.
  assert.equal(lines.length, 5, lines.join(''));
  assert.match(lines[0] ?? '', /ERROR Watching service:web: .*connection refused\n$/);
  assert.match(lines[4] ?? '', /ERROR Watching service:web: .*connection refused \(attempt 6\)\n$/);
});

test('a server that answers lookups without blocking slows the loop down instead of spinning', async (t) => {
  const consul = await startNonBlockingConsul(t, 9);
  const backend = await createConsulBackend({ node: consul.node });
  t.after(() => backend.close());
  const stop = new AbortController();
  t.after(() => stop.abort());
  const lines: string[] = [];
  const clock = new FakeClock();
  const watches = createServiceWatches({
    backend,
    logger: createLogger({ level: 'warning', write: (l) => lines.push(l) }),
    onChange: () => assert.fail('the index never moves'),
    signal: stop.signal,
    clock,
  });
  watches.use('service:web', lookup('web'), 'a.toml');
  // The first read, one idle round let through, then the second idle round waits.
  assert.equal(await clock.nextSleep(), 250);
  assert.equal(consul.requests(), 3);
  assert.equal(await clock.nextSleep(), 500);
  assert.equal(consul.requests(), 4);
  assert.deepEqual(
    lines.map((l) => l.replace(/^.*WARNING /, '')),
    ['Watching service:web answers without blocking; slowing down\n'],
  );
});
