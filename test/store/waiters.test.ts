/** waitForChange: scoped wake-ups, missing-key waiters, abort cleanup and scale. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../../src/store/store.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import type { WatchScope } from '../../src/store/types.js';

const b = (s: string) => Buffer.from(s);

async function devStore(t: { after(fn: () => unknown): void }) {
  const store = await createStore({ dev: true, nodeName: 'n', timerIntervalMs: 0 });
  t.after(() => store.close());
  return store;
}

/** track parks a waiter and records whether it resolved. */
function track(
  store: Awaited<ReturnType<typeof devStore>>,
  scope: WatchScope,
  t: { after(fn: () => unknown): void },
) {
  const ac = new AbortController();
  t.after(() => ac.abort());
  const state = { woken: false };
  store.waitForChange(scope, ac.signal).then(
    () => (state.woken = true),
    () => undefined,
  );
  return state;
}

test('a write wakes the key, its prefixes and the kv table, and nobody else', async (t) => {
  const s = await devStore(t);
  await s.kvSet('nginx/conf', b('1'));
  const w = {
    key: track(s, { kind: 'key', key: 'app/x' }, t),
    otherKey: track(s, { kind: 'key', key: 'app/y' }, t),
    root: track(s, { kind: 'prefix', prefix: '' }, t),
    a: track(s, { kind: 'prefix', prefix: 'a' }, t),
    app: track(s, { kind: 'prefix', prefix: 'app/' }, t),
    exact: track(s, { kind: 'prefix', prefix: 'app/x' }, t),
    longer: track(s, { kind: 'prefix', prefix: 'app/xy' }, t),
    nginx: track(s, { kind: 'prefix', prefix: 'nginx/' }, t),
    table: track(s, { kind: 'table', table: 'kv' }, t),
    sessions: track(s, { kind: 'table', table: 'sessions' }, t),
  };
  await s.kvSet('app/x', b('v'));
  await Promise.resolve();
  const woken = Object.entries(w)
    .filter(([, v]) => v.woken)
    .map(([k]) => k)
    .sort();
  assert.deepEqual(woken, ['a', 'app', 'exact', 'key', 'root', 'table']);
  assert.equal(s.stats().waiters, 4);
});

test('a missing-key waiter ignores unrelated writes and wakes when its key is written', async (t) => {
  const s = await devStore(t);
  const ac = new AbortController();
  let woken = false;
  const p = s.waitForChange({ kind: 'key', key: 'missing' }, ac.signal).then(() => (woken = true));
  for (let i = 0; i < 20; i++) await s.kvSet(`other/${i}`, b('x'));
  await s.kvDelete('other/1');
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, false);
  await s.kvSet('missing', b('now'));
  await p;
  assert.equal(woken, true);
});

test('skipped writes wake nobody; deletes and sessions wake their scopes', async (t) => {
  const s = await devStore(t);
  await s.kvSet('k', b('same'));
  const keyW = track(s, { kind: 'key', key: 'k' }, t);
  await s.kvSet('k', b('same'));
  await s.kvDelete('absent');
  await new Promise((r) => setImmediate(r));
  assert.equal(keyW.woken, false, 'an equal PUT or a no-op delete wakes nobody');
  const sessW = track(s, { kind: 'table', table: 'sessions' }, t);
  await s.sessionCreate({});
  await s.kvDelete('k');
  await new Promise((r) => setImmediate(r));
  assert.equal(keyW.woken, true);
  assert.equal(sessW.woken, true);
});

test('abort rejects with ABORTED and removes the waiter', async (t) => {
  const s = await devStore(t);
  const ac = new AbortController();
  const scopes: WatchScope[] = [
    { kind: 'key', key: 'a' },
    { kind: 'prefix', prefix: 'p/' },
    { kind: 'table', table: 'kv' },
    { kind: 'table', table: 'sessions' },
  ];
  const ps = scopes.map((scope) => s.waitForChange(scope, ac.signal));
  assert.equal(s.stats().waiters, 4);
  ac.abort();
  for (const p of ps) await assert.rejects(p, (e) => isConfdError(e, ErrorCode.ABORTED));
  assert.equal(s.stats().waiters, 0);
  await assert.rejects(s.waitForChange({ kind: 'key', key: 'a' }, ac.signal), (e) =>
    isConfdError(e, ErrorCode.ABORTED),
  );
});

test('close rejects parked waiters with STORE_CLOSED', async () => {
  const s = await createStore({ dev: true, nodeName: 'n', timerIntervalMs: 0 });
  const p = s.waitForChange({ kind: 'key', key: 'x' }, new AbortController().signal);
  await s.close();
  await assert.rejects(p, (e) => isConfdError(e, ErrorCode.STORE_CLOSED));
});

// The speed goal (the last of 10,000 answered within 250 ms) lives in bench/blocking.bench.ts.
test('10,000 waiters on one key are all resolved by one write; unrelated waiters stay parked', async (t) => {
  const s = await devStore(t);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const n = 10_000;
  let done = 0;
  // One signal per waiter, as one HTTP request each.
  const all = Array.from({ length: n }, () =>
    s.waitForChange({ kind: 'key', key: 'hot' }, new AbortController().signal).then(() => done++),
  );
  // unrelated waiters that must stay parked
  const others = Array.from({ length: 1000 }, (_, i) =>
    s.waitForChange({ kind: 'key', key: `cold/${i}` }, ac.signal).catch(() => undefined),
  );
  await s.kvSet('hot', b('x'));
  await Promise.all(all);
  assert.equal(done, n);
  assert.equal(s.stats().waiters, 1000);
  ac.abort();
  await Promise.all(others);
  assert.equal(s.stats().waiters, 0);
});
