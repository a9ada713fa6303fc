/** PUT /v1/txn semantics: one atomic command, all-or-nothing, Consul's error strings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../../src/store/store.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import type { TxnKvOp } from '../../src/store/types.js';

const b = (s: string) => Buffer.from(s);

async function devStore(t: { after(fn: () => unknown): void }) {
  const store = await createStore({ dev: true, nodeName: 'n', timerIntervalMs: 0 });
  t.after(() => store.close());
  return store;
}

test('a successful txn applies at one index; only get verbs carry values; deletes give no result', async (t) => {
  const s = await devStore(t);
  await s.kvSet('t/old', b('o'));
  await s.kvSet('t/gone', b('g'));
  const r = await s.txn([
    { verb: 'set', key: 't/a', value: b('A'), flags: 7n },
    { verb: 'cas', key: 't/old', value: b('O2'), index: 2 },
    { verb: 'get', key: 't/a' },
    { verb: 'delete', key: 't/gone' },
    { verb: 'check-not-exists', key: 't/gone' },
    { verb: 'get-tree', key: 't/' },
  ]);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.index, 4);
  assert.equal(s.lastIndex, 4);
  assert.deepEqual(
    r.results.map((e) => [e.key, e.value && Buffer.from(e.value).toString(), e.modifyIndex]),
    [
      ['t/a', null, 4],
      ['t/old', null, 4],
      ['t/a', 'A', 4],
      ['t/a', 'A', 4],
      ['t/old', 'O2', 4],
    ],
  );
  assert.equal(s.kvGet('t/a').value?.flags, 7n);
  assert.equal(s.kvGet('t/gone').value, undefined);
});

test('a failing txn rolls back everything and reports every failed op', async (t) => {
  const s = await devStore(t);
  await s.kvSet('k', b('v')); // index 2 (index 1 is reserved)
  const sess = await s.sessionCreate({}); // 3
  await s.kvSet('locked', b('v'), { acquire: sess.id }); // 4
  const ops: TxnKvOp[] = [
    { verb: 'set', key: 'new', value: b('n') },
    { verb: 'delete', key: 'k' },
    { verb: 'get', key: 'nope' },
    { verb: 'check-index', key: 'nope', index: 1 },
    { verb: 'check-session', key: 'nope', session: 'x' },
    { verb: 'check-index', key: 'locked', index: 5 },
    { verb: 'check-session', key: 'locked', session: 'b' },
    { verb: 'lock', key: 'x', session: '' },
    { verb: 'lock', key: 'x', session: 'no-such' },
    { verb: 'cas', key: 'k', value: b('z'), index: 9 },
    { verb: 'delete-cas', key: 'locked', index: 1 },
    { verb: 'check-not-exists', key: 'locked' },
    { verb: 'unlock', key: 'locked', session: 'other' },
  ];
  const r = await s.txn(ops);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.errors, [
    { opIndex: 2, what: 'key "nope" doesn\'t exist' },
    { opIndex: 3, what: 'failed to check index, key "nope" doesn\'t exist' },
    { opIndex: 4, what: 'failed to check session, key "nope" doesn\'t exist' },
    { opIndex: 5, what: 'failed index check for key "locked", current modify index 4 != 5' },
    {
      opIndex: 6,
      what: `failed session check for key "locked", current session "${sess.id}" != "b"`,
    },
    { opIndex: 7, what: 'missing session' },
    { opIndex: 8, what: 'invalid session "no-such"' },
    { opIndex: 9, what: 'failed to set key "k", index is stale' },
    { opIndex: 10, what: 'failed to delete key "locked", index is stale' },
    { opIndex: 11, what: 'key "locked" exists' },
    {
      opIndex: 12,
      what: 'failed to unlock key "locked", lock isn\'t held, or is held by another session',
    },
  ]);
  assert.equal(s.kvGet('new').value, undefined, 'set rolled back');
  assert.equal(Buffer.from(s.kvGet('k').value!.value!).toString(), 'v', 'delete rolled back');
  assert.equal(s.kvGet('k').value?.modifyIndex, 2);
  assert.deepEqual(s.kvKeys('').value, ['k', 'locked']);
  assert.equal(s.kvList('').index, 4, 'a rolled-back txn leaves the indexes alone');
  assert.equal(s.kvList('new').index, 4);
});

test('txn lock/unlock and read-only txns', async (t) => {
  const s = await devStore(t);
  const sess = await s.sessionCreate({});
  const r = await s.txn([{ verb: 'lock', key: 'l', value: b('1'), session: sess.id }]);
  assert.equal(r.ok && r.results[0]?.session, sess.id);
  const before = s.lastIndex;
  const read = await s.txn([
    { verb: 'get', key: 'l' },
    { verb: 'check-session', key: 'l', session: sess.id },
    { verb: 'get-or-empty', key: 'none' },
  ]);
  assert.equal(read.ok, true);
  assert.equal(s.lastIndex, before, 'a read-only txn is not logged');
  if (read.ok)
    assert.deepEqual(
      read.results.map((e) => e.key),
      ['l', 'l', 'none'],
    );
  const u = await s.txn([{ verb: 'unlock', key: 'l', value: b('2'), session: sess.id }]);
  assert.equal(u.ok, true);
  assert.equal(s.kvGet('l').value?.session, undefined);
});

test('txn limits: 128 operations, value size, unknown verbs', async (t) => {
  const s = await devStore(t);
  const many = (n: number): TxnKvOp[] =>
    Array.from({ length: n }, (_, i) => ({ verb: 'set', key: `k${i}`, value: b('v') }));
  assert.equal((await s.txn(many(128))).ok, true);
  await assert.rejects(
    s.txn(many(129)),
    (e) =>
      isConfdError(e, ErrorCode.STORE_TXN_TOO_LARGE) &&
      e.message === 'Transaction contains too many operations (129 > 128)',
  );
  await assert.rejects(s.txn([{ verb: 'set', key: 'big', value: new Uint8Array(524289) }]), (e) =>
    isConfdError(e, ErrorCode.STORE_VALUE_TOO_LARGE),
  );
  await assert.rejects(s.txn([{ verb: 'frob' as 'set', key: 'x' }]), (e) =>
    isConfdError(e, ErrorCode.STORE_INVALID_COMMAND),
  );
  assert.deepEqual(await s.txn([]), { ok: true, results: [], index: s.lastIndex });
});

test('a txn op without a key fails the txn before it is logged (Consul: Must provide key)', async (t) => {
  const s = await devStore(t);
  await s.kvSet('keep', b('v'));
  const before = s.lastIndex;
  const r = await s.txn([
    { verb: 'set', key: 'a', value: b('1') },
    { verb: 'set', key: '', value: b('x') },
    { verb: 'get', key: '' },
    { verb: 'delete-tree', key: '' },
  ]);
  assert.deepEqual(r, {
    ok: false,
    errors: [
      { opIndex: 1, what: 'Must provide key' },
      { opIndex: 2, what: 'Must provide key' },
    ],
  });
  assert.equal(s.lastIndex, before, 'nothing was logged');
  assert.equal(s.kvGet('a').value, undefined);
  assert.equal(s.kvGet('').value, undefined);
  assert.deepEqual(
    s.kvList('').value.map((e) => e.key),
    ['keep'],
  );
  // delete-tree alone may name the empty prefix: it empties the store.
  assert.equal((await s.txn([{ verb: 'delete-tree', key: '' }])).ok, true);
  assert.deepEqual(s.kvList('').value, []);
});
