/** Sessions, locks (acquire/release), lock-delay and TTL expiry with an injected clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type StoreEngine } from '../../src/store/store.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';

const b = (s: string) => Buffer.from(s);

async function clockStore(t: { after(fn: () => unknown): void }) {
  const clock = { now: 1_700_000_000_000 };
  const store: StoreEngine = await createStore({
    dev: true,
    nodeName: 'node1',
    now: () => clock.now,
    timerIntervalMs: 0,
  });
  t.after(() => store.close());
  return { store, clock };
}

test('session create fills Consul defaults and validates the TTL', async (t) => {
  const { store } = await clockStore(t);
  const s = await store.sessionCreate({});
  assert.match(s.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(
    { ...s, id: 'x' },
    {
      id: 'x',
      name: '',
      node: 'node1',
      lockDelayNs: 15e9,
      behavior: 'release',
      ttl: '',
      nodeChecks: ['serfHealth'],
      serviceChecks: null,
      createIndex: 2,
      modifyIndex: 2,
    },
  );
  await assert.rejects(
    store.sessionCreate({ ttl: '5s' }),
    (e) =>
      isConfdError(e, ErrorCode.STORE_INVALID_COMMAND) &&
      e.message === "Invalid Session TTL '5s', must be between [10s=24h0m0s]",
  );
  await assert.rejects(store.sessionCreate({ ttl: '86401s' }), /must be between/);
  await assert.rejects(store.sessionCreate({ ttl: 'soon' }), /Invalid Session TTL 'soon'/);
  const other = await store.sessionCreate({ node: 'node2', name: 'n2', ttl: '10s' });
  assert.deepEqual(
    store.sessionsOfNode('node2').value.map((x) => x.id),
    [other.id],
  );
  assert.equal(store.sessionList().value.length, 2);
  assert.equal(store.sessionInfo(other.id).value?.name, 'n2');
  assert.equal(store.sessionInfo('nope').value, undefined);
  assert.equal(await store.sessionRenew('nope'), undefined);
  await store.sessionDestroy('nope'); // idempotent
  await store.sessionDestroy(other.id);
  await store.sessionDestroy(other.id);
  assert.equal(store.sessionInfo(other.id).value, undefined);
});

test('acquire/release table', async (t) => {
  const { store } = await clockStore(t);
  const s1 = (await store.sessionCreate({})).id;
  const s2 = (await store.sessionCreate({})).id;
  await assert.rejects(
    store.kvSet('l', b('x'), { acquire: 'no-such' }),
    (e) =>
      isConfdError(e, ErrorCode.STORE_SESSION_INVALID) && e.message === 'invalid session "no-such"',
  );
  const steps: [
    string,
    () => Promise<boolean>,
    boolean,
    { lockIndex: number; session?: string },
  ][] = [
    [
      's1 acquires',
      () => store.kvSet('l', b('1'), { acquire: s1 }),
      true,
      { lockIndex: 1, session: s1 },
    ],
    [
      's1 re-acquires',
      () => store.kvSet('l', b('2'), { acquire: s1 }),
      true,
      { lockIndex: 1, session: s1 },
    ],
    [
      's2 refused',
      () => store.kvSet('l', b('3'), { acquire: s2 }),
      false,
      { lockIndex: 1, session: s1 },
    ],
    // Consul quirk: a plain PUT keeps the holder but resets LockIndex to 0.
    ['plain put keeps holder', () => store.kvSet('l', b('4')), true, { lockIndex: 0, session: s1 }],
    [
      's2 cannot release',
      () => store.kvSet('l', b('5'), { release: s2 }),
      false,
      { lockIndex: 0, session: s1 },
    ],
    ['s1 releases', () => store.kvSet('l', b('6'), { release: s1 }), true, { lockIndex: 0 }],
    [
      's2 acquires, no delay after release',
      () => store.kvSet('l', b('7'), { acquire: s2 }),
      true,
      { lockIndex: 1, session: s2 },
    ],
  ];
  for (const [name, run, want, fields] of steps) {
    const before = store.kvGet('l').value?.modifyIndex;
    assert.equal(await run(), want, name);
    const entry = store.kvGet('l').value!;
    assert.equal(entry.lockIndex, fields.lockIndex, name);
    assert.equal(entry.session, fields.session, name);
    if (!want) assert.equal(entry.modifyIndex, before, `${name}: no write`);
  }
  assert.equal(Buffer.from(store.kvGet('l').value!.value!).toString(), '7');
  assert.equal(await store.kvSet('free', b('x'), { release: s1 }), false);
});

test('destroy releases locks and arms lock-delay; behavior delete deletes', async (t) => {
  const { store, clock } = await clockStore(t);
  const s1 = (await store.sessionCreate({ lockDelayNs: 10e9 })).id;
  const s2 = (await store.sessionCreate({ lockDelayNs: 0 })).id;
  const s3 = (await store.sessionCreate({ behavior: 'delete' })).id;
  assert.equal(await store.kvSet('held', b('v'), { acquire: s1 }), true);
  assert.equal(await store.kvSet('gone', b('v'), { acquire: s3 }), true);
  await store.sessionDestroy(s1);
  const held = store.kvGet('held').value!;
  assert.equal(held.session, undefined);
  assert.equal(Buffer.from(held.value!).toString(), 'v');
  // lock-delay: refused for 10 s, then allowed
  assert.equal(await store.kvSet('held', b('w'), { acquire: s2 }), false);
  clock.now += 9_999;
  assert.equal(await store.kvSet('held', b('w'), { acquire: s2 }), false);
  clock.now += 2;
  assert.equal(await store.kvSet('held', b('w'), { acquire: s2 }), true);
  await store.sessionDestroy(s3);
  assert.equal(store.kvGet('gone').value, undefined);
  // LockDelay 0 arms nothing
  await store.sessionDestroy(s2);
  const s4 = (await store.sessionCreate({})).id;
  assert.equal(await store.kvSet('held', b('x'), { acquire: s4 }), true);
});

test('TTL sessions are invalidated after 2×TTL without renew', async (t) => {
  const { store, clock } = await clockStore(t);
  const s = await store.sessionCreate({ ttl: '10s' });
  assert.equal(await store.kvSet('ttl/lock', b('v'), { acquire: s.id }), true);
  clock.now += 15_000;
  await store.runTimers();
  assert.ok(store.sessionInfo(s.id).value, 'alive before 2×TTL');
  assert.equal((await store.sessionRenew(s.id))?.id, s.id);
  clock.now += 19_000;
  await store.runTimers();
  assert.ok(store.sessionInfo(s.id).value, 'renew restarted the TTL');
  clock.now += 1_001;
  await store.runTimers();
  assert.equal(store.sessionInfo(s.id).value, undefined);
  assert.equal(store.kvGet('ttl/lock').value?.session, undefined);
  const other = await store.sessionCreate({});
  assert.equal(await store.kvSet('ttl/lock', b('v'), { acquire: other.id }), false, 'lock-delay');
});
