import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { createBackend } from '../../src/backends/index.js';
import { createEmbeddedBackend } from '../../src/backends/embedded.js';
import { assertWatchStopsOnAbortAndClose } from './watch-contract.js';

const sorted = (m: Map<string, string>) => Object.fromEntries([...m].sort());
const bytes = (s: string) => new TextEncoder().encode(s);

async function seededStore(t: TestContext): Promise<Store> {
  const store = await createStore({ dev: true, nodeName: 'test-node' });
  t.after(() => store.close());
  await store.kvSet('key', bytes('foobar'));
  await store.kvSet('database/host', bytes('127.0.0.1'));
  await store.kvSet('database/port', bytes('3306'));
  await store.kvSet('database2', bytes('sibling'));
  await store.kvSet('upstream/', null);
  await store.kvSet('upstream/app1', bytes('10.0.1.10:8080'));
  return store;
}

test('embedded getValues maps keys exactly as the consul backend', async (t) => {
  const store = await seededStore(t);
  const backend = await createBackend(
    { backend: 'embedded', nodes: [], scheme: 'http', basicAuth: false, files: [], filter: '*' },
    { logger: silentLogger, env: {}, store },
  );
  t.after(() => backend.close());
  assert.equal(backend.name, 'embedded');
  assert.deepEqual(sorted(await backend.getValues(['/database', '/key', '/upstream', '/none'])), {
    '/database/host': '127.0.0.1',
    '/database/port': '3306',
    '/database2': 'sibling',
    '/key': 'foobar',
    '/upstream': '',
    '/upstream/app1': '10.0.1.10:8080',
  });
  assert.equal((await backend.getValues(['/'])).size, 6);
});

test('embedded watchPrefix wakes on writes under the prefix only', async (t) => {
  const store = await seededStore(t);
  const backend = createEmbeddedBackend({ store });
  t.after(() => backend.close());
  const signal = AbortSignal.timeout(10_000);
  const first = await backend.watchPrefix('/database', { keys: [], waitIndex: 0, signal });
  assert.equal(first, store.kvList('database').index);
  let woke = false;
  const pending = backend.watchPrefix('/database', { keys: [], waitIndex: first, signal });
  void pending.then(() => (woke = true));
  await store.kvSet('elsewhere', bytes('x'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(woke, false, 'a write outside the prefix must not wake the watch');
  await store.kvSet('database/host', bytes('10.0.0.1'));
  const next = await pending;
  assert.ok(next > first);
  assert.equal(next, store.lastIndex);
  // A delete under the prefix also wakes it (tombstone index).
  const deleted = backend.watchPrefix('/database', { keys: [], waitIndex: next, signal });
  await store.kvDelete('database/port');
  assert.ok((await deleted) > next);
});

test('embedded watchPrefix rejects with ABORTED on abort and on close', async (t) => {
  const store = await seededStore(t);
  const backend = createEmbeddedBackend({ store });
  await assertWatchStopsOnAbortAndClose(backend);
});
