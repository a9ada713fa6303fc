/** Consul KV semantics of the store's state machine, through the public Store API (dev mode). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type StoreEngine } from '../../src/store/store.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';

const b = (s: string) => Buffer.from(s);
const text = (v: Uint8Array | null | undefined) =>
  v === null || v === undefined ? v : Buffer.from(v).toString();

async function devStore(t: { after(fn: () => unknown): void }): Promise<StoreEngine> {
  const store = await createStore({ dev: true, nodeName: 'node1', timerIntervalMs: 0 });
  t.after(() => store.close());
  return store;
}

test('put/get: indexes, flags, empty value is null, equal PUT is skipped', async (t) => {
  const s = await devStore(t);
  assert.equal(s.kvGet('missing').index, 0);
  assert.equal(await s.kvSet('a', b('1'), { flags: 42n }), true);
  const first = s.kvGet('a');
  assert.equal(first.index, 2);
  assert.deepEqual(
    { ...first.value, value: text(first.value?.value) },
    {
      key: 'a',
      value: '1',
      flags: 42n,
      createIndex: 2,
      modifyIndex: 2,
      lockIndex: 0,
    },
  );
  // Same value and flags: no index change.
  assert.equal(await s.kvSet('a', b('1'), { flags: 42n }), true);
  assert.equal(s.kvGet('a').value?.modifyIndex, 2);
  assert.equal(s.kvGet('missing').index, 2);
  await s.kvSet('a', b('2'), { flags: 42n });
  assert.equal(s.kvGet('a').value?.modifyIndex, 4);
  assert.equal(s.kvGet('a').value?.createIndex, 2);
  await s.kvSet('empty', new Uint8Array(0));
  assert.equal(s.kvGet('empty').value?.value, null);
  await s.kvSet('nul', null);
  assert.equal(s.kvGet('nul').value?.value, null);
  // binary values round-trip byte for byte
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  await s.kvSet('bin', bytes);
  assert.deepEqual([...s.kvGet('bin').value!.value!], [...bytes]);
});

test('cas table: create-only, matching index, stale index, missing key', async (t) => {
  const s = await devStore(t);
  const cases: { name: string; key: string; cas: number; want: boolean }[] = [
    { name: 'cas=0 creates when absent', key: 'k', cas: 0, want: true },
    { name: 'cas=0 refuses when present', key: 'k', cas: 0, want: false },
    { name: 'cas=N matches ModifyIndex', key: 'k', cas: 2, want: true },
    { name: 'cas=N stale', key: 'k', cas: 2, want: false },
    { name: 'cas=N on a missing key fails', key: 'other', cas: 5, want: false },
  ];
  for (const c of cases) {
    assert.equal(await s.kvSet(c.key, b(c.name), { cas: c.cas }), c.want, c.name);
  }
  assert.equal(text(s.kvGet('k').value?.value), 'cas=N matches ModifyIndex');
  assert.equal(s.kvGet('other').value, undefined);
});

test('delete: true when absent, cas delete, cas=0 never deletes, recurse', async (t) => {
  const s = await devStore(t);
  assert.equal(await s.kvDelete('nope'), true);
  await s.kvSet('d/1', b('x'));
  await s.kvSet('d/2', b('y'));
  await s.kvSet('e', b('z'));
  assert.equal(await s.kvDelete('d/1', { cas: 0 }), false);
  assert.equal(await s.kvDelete('d/1', { cas: 99 }), false);
  const idx = s.kvGet('d/1').value!.modifyIndex;
  assert.equal(await s.kvDelete('d/1', { cas: idx }), true);
  assert.equal(s.kvGet('d/1').value, undefined);
  assert.equal(await s.kvDelete('d/', { recurse: true }), true);
  assert.deepEqual(s.kvKeys('').value, ['e']);
  await assert.rejects(s.kvDelete('', {}), (e) => isConfdError(e, ErrorCode.STORE_INVALID_COMMAND));
  assert.equal(await s.kvDelete('', { recurse: true }), true);
  assert.deepEqual(s.kvKeys('').value, []);
});

test('list and keys with separator are sorted and de-duplicated', async (t) => {
  const s = await devStore(t);
  for (const k of ['a/x/1', 'a/x/2', 'a/y', 'a/', 'b', 'a/z/q/r', 'ab', 'a/x']) {
    await s.kvSet(k, b(k));
  }
  assert.deepEqual(
    s.kvList('a/').value.map((e) => e.key),
    ['a/', 'a/x', 'a/x/1', 'a/x/2', 'a/y', 'a/z/q/r'],
  );
  assert.deepEqual(s.kvKeys('a/', '/').value, ['a/', 'a/x', 'a/x/', 'a/y', 'a/z/']);
  assert.deepEqual(s.kvKeys('', '/').value, ['a/', 'ab', 'b']);
  assert.deepEqual(s.kvKeys('a').value, ['a/', 'a/x', 'a/x/1', 'a/x/2', 'a/y', 'a/z/q/r', 'ab']);
  assert.deepEqual(s.kvKeys('a/x', '/').value, ['a/x', 'a/x/']);
  assert.deepEqual(s.kvKeys('zz', '/').value, []);
  assert.deepEqual(
    s.kvList('a/x/').value.map((e) => text(e.value)),
    ['a/x/1', 'a/x/2'],
  );
  // multi-character separator
  await s.kvSet('m::a::b', b('1'));
  await s.kvSet('m::c', b('1'));
  assert.deepEqual(s.kvKeys('m', '::').value, ['m::']);
  assert.deepEqual(s.kvKeys('m::', '::').value, ['m::a::', 'm::c']);
});

test('tombstone index rules: prefix index never goes backwards, reaping falls back safely', async (t) => {
  let now = 1_000_000;
  const s = await createStore({
    dev: true,
    nodeName: 'n',
    now: () => now,
    timerIntervalMs: 0,
    tombstoneTtlMs: 60_000,
  });
  t.after(() => s.close());
  await s.kvSet('app/a', b('1')); // 2 (index 1 is reserved)
  await s.kvSet('app/b', b('2')); // 3
  await s.kvSet('other', b('3')); // 4
  assert.equal(s.kvList('app/').index, 3);
  await s.kvDelete('app/b'); // 5: tombstone
  assert.equal(s.kvList('app/').index, 5, 'the tombstone keeps the prefix index');
  assert.deepEqual(s.kvKeys('app/').value, ['app/a']);
  await s.kvSet('other', b('4')); // 6
  assert.equal(s.kvList('app/').index, 5);
  assert.equal(s.kvList('').index, 6, 'empty prefix answers the table index');
  assert.equal(s.kvGet('app/b').index, 6, 'a missing key answers the table index');
  await s.kvDelete('gone/x'); // 7: nothing deleted, no tombstone
  assert.equal(s.kvList('gone/').index, 6);
  assert.equal(s.stats().tombstones, 1);
  // Reap after the tombstone TTL: the prefix still has a match and keeps its index.
  now += 61_000;
  await s.runTimers();
  assert.equal(s.stats().tombstones, 0);
  assert.equal(s.kvList('app/').index, 5);
  assert.equal(s.kvList('app/b').index, s.kvList('').index, 'no match: the table index');
  assert.ok(s.kvList('app/b').index >= 5);
  // Deleting the last key of a prefix then reaping: no match, table index (not smaller).
  await s.kvDelete('app/a');
  const before = s.kvList('app/').index;
  now += 61_000;
  await s.runTimers();
  assert.deepEqual(s.kvList('app/').value, []);
  assert.ok(s.kvList('app/').index >= before);
});

test('value limit and bad input give typed errors', async (t) => {
  const s = await devStore(t);
  await assert.rejects(s.kvSet('big', new Uint8Array(524289)), (e) =>
    isConfdError(e, ErrorCode.STORE_VALUE_TOO_LARGE),
  );
  assert.equal(await s.kvSet('max', new Uint8Array(524288)), true);
  await assert.rejects(s.kvSet('', b('x')), (e) =>
    isConfdError(e, ErrorCode.STORE_INVALID_COMMAND),
  );
  await assert.rejects(s.kvSet('k', b('x'), { cas: 1, acquire: 's' }), /Conflicting flags/);
  await assert.rejects(s.kvSet('k', b('x'), { flags: -1n }), /flags/);
  await assert.rejects(s.kvSet('k', b('x'), { cas: -3 }), /cas/);
});

test('close is idempotent and later calls reject with STORE_CLOSED', async () => {
  const s = await createStore({ dev: true, nodeName: 'n', timerIntervalMs: 0 });
  await s.kvSet('a', b('1'));
  await Promise.all([s.close(), s.close()]);
  await s.close();
  await assert.rejects(s.kvSet('a', b('2')), (e) => isConfdError(e, ErrorCode.STORE_CLOSED));
  assert.throws(
    () => s.kvGet('a'),
    (e) => isConfdError(e, ErrorCode.STORE_CLOSED),
  );
  await assert.rejects(
    s.waitForChange({ kind: 'key', key: 'a' }, new AbortController().signal),
    (e) => isConfdError(e, ErrorCode.STORE_CLOSED),
  );
});
