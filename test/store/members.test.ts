/** The member table in the store engine: status changes, their catalog effects, durability. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCatalogRegister } from '../../src/store/catalog/index.js';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import type { MemberRecord, MemberStatus } from '../../src/store/members/index.js';
import { cp, readdir } from 'node:fs/promises';
import { createStore, type StoreEngine } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

function member(
  name: string,
  status: MemberStatus,
  extra: Partial<MemberRecord> = {},
): MemberRecord {
  return {
    name,
    id: `id-${name}`,
    addr: '127.0.0.2',
    port: 8301,
    tags: { role: 'node', dc: 'dc1', id: `id-${name}` },
    status,
    statusTime: 1_700_000_000_000,
    ...extra,
  };
}

const webOn = (node: string) => {
  const parsed = parseCatalogRegister(
    {
      Node: node,
      Address: '127.0.0.2',
      SkipNodeUpdate: true,
      Service: { Service: 'web', Port: 80 },
      Check: { CheckID: 'service:web', ServiceID: 'web', Status: 'passing' },
    },
    'dc1',
  );
  assert.ok(parsed.ok);
  return parsed.value;
};

test('alive registers the node with serfHealth passing; a server also gets the consul service', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  const catalog = store.catalogState();
  assert.equal(catalog.node('c1')?.address, '127.0.0.2');
  assert.equal(catalog.node('c1')?.id, 'id-c1');
  assert.equal(catalog.check('c1', 'serfHealth')?.status, 'passing');
  assert.equal(catalog.check('c1', 'serfHealth')?.output, 'Agent alive and reachable');
  assert.equal(catalog.serviceOf('c1', 'consul'), undefined);

  const server = member('s1', 'alive', { tags: { role: 'consul', dc: 'dc1', port: '8300' } });
  await store.memberApply({ type: 'member-set', member: server });
  assert.equal(catalog.serviceOf('s1', 'consul')?.port, 8300);
  assert.deepEqual(
    store
      .membersState()
      .list()
      .map((m) => [m.name, m.status]),
    [
      ['c1', 'alive'],
      ['s1', 'alive'],
    ],
  );
  // The same alive member again writes nothing to the catalog.
  const before = catalog.nodesIndex;
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  assert.equal(catalog.nodesIndex, before);
});

test('failed keeps the node and its services with serfHealth critical; alive again passes it', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await store.catalogApply(webOn('c1'));
  const session = await store.sessionCreate({ node: 'c1' });
  await store.memberApply({ type: 'member-set', member: member('c1', 'failed') });
  const catalog = store.catalogState();
  assert.equal(catalog.check('c1', 'serfHealth')?.status, 'critical');
  assert.equal(catalog.check('c1', 'serfHealth')?.output, 'Agent not live or unreachable');
  assert.equal(catalog.serviceOf('c1', 'web')?.port, 80, 'services stay');
  assert.equal(catalog.healthService('web', { passing: true }).value.length, 0);
  // A session bound to serfHealth (the default) ends with the node's health, as in Consul.
  assert.equal(store.sessionInfo(session.id).value, undefined);

  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  assert.equal(catalog.check('c1', 'serfHealth')?.status, 'passing');
  assert.equal(catalog.healthService('web', { passing: true }).value.length, 1);
});

test('left deregisters the node, its services and checks; remove forgets the member', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await store.catalogApply(webOn('c1'));
  await store.memberApply({ type: 'member-set', member: member('c1', 'leaving') });
  assert.ok(store.catalogState().node('c1'), 'leaving changes nothing in the catalog yet');
  await store.memberApply({ type: 'member-set', member: member('c1', 'left') });
  assert.equal(store.catalogState().node('c1'), undefined);
  assert.equal(store.catalogState().serviceNodes('web').value.length, 0);
  assert.equal(store.membersState().get('c1')?.status, 'left');

  await store.memberApply({ type: 'member-remove', name: 'c1', deregister: false });
  assert.equal(store.membersState().get('c1'), undefined);

  // A failed member reaped: forgotten and deregistered.
  await store.memberApply({ type: 'member-set', member: member('c2', 'alive') });
  await store.memberApply({ type: 'member-set', member: member('c2', 'failed') });
  await store.memberApply({ type: 'member-remove', name: 'c2', deregister: true });
  assert.equal(store.catalogState().node('c2'), undefined);
});

test("a live member's name cannot be taken by another node ID; a failed one's can", async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await assert.rejects(
    store.memberApply({ type: 'member-set', member: member('c1', 'alive', { id: 'other' }) }),
    (err) =>
      isConfdError(err, ErrorCode.CLUSTER_MEMBER_CONFLICT) &&
      /Member 'c1' has conflicting node ID 'other'/.test((err as Error).message),
  );
  await store.memberApply({ type: 'member-set', member: member('c1', 'failed') });
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive', { id: 'other' }) });
  assert.equal(store.catalogState().node('c1')?.id, 'other');
});

test('bad member records are refused before they reach the log', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const index = store.lastIndex;
  for (const bad of [
    { ...member('x', 'alive'), name: '' },
    { ...member('x', 'alive'), port: 70000 },
    { ...member('x', 'alive'), status: 'dead' },
    { ...member('x', 'alive'), tags: { a: 1 } },
    { ...member('x', 'alive'), name: 'a\nb' },
  ]) {
    await assert.rejects(
      store.memberApply({ type: 'member-set', member: bad as MemberRecord }),
      (err) => isConfdError(err, ErrorCode.STORE_INVALID_COMMAND),
    );
  }
  assert.equal(store.lastIndex, index);
});

test('the member table survives a restart, from the log and from a snapshot', async (t) => {
  const dir = await tempDir(t);
  const store = await createStore({ dataDir: dir, nodeName: 's1', timerIntervalMs: 0 });
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await store.memberApply({ type: 'member-set', member: member('c2', 'alive') });
  await store.memberApply({ type: 'member-set', member: member('c2', 'failed') });
  const index = store.membersState().membersIndex;
  const expected = [
    ['c1', 'alive', index - 2],
    ['c2', 'failed', index],
  ];
  const view = (s: StoreEngine) =>
    s
      .membersState()
      .list()
      .map((m) => [m.name, m.status, m.modifyIndex]);
  // A crash image holds only the log: replay rebuilds the table.
  await store.idle();
  const image = `${dir}-crash`;
  await cp(dir, image, { recursive: true, filter: (src) => !src.endsWith('/LOCK') });
  await store.close(); // a clean stop writes a snapshot
  for (const from of [image, dir]) {
    const again = await createStore({ dataDir: from, nodeName: 's1', timerIntervalMs: 0 });
    t.after(() => again.close());
    assert.deepEqual(view(again), expected, from);
    assert.equal(again.membersState().membersIndex, index);
    assert.equal(again.catalogState().check('c2', 'serfHealth')?.status, 'critical');
  }
  assert.ok((await readdir(dir)).some((n) => n.startsWith('snapshot-')));
});

test('waitForMembers wakes on a member change only', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const ac = new AbortController();
  let woken = false;
  const waiting = store.waitForMembers(ac.signal).then(() => (woken = true));
  await store.kvSet('k', Buffer.from('v'));
  await store.catalogApply(webOn('s1'));
  assert.equal(woken, false);
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await waiting;
  assert.equal(woken, true);
  const aborted = store.waitForMembers(ac.signal);
  ac.abort();
  await assert.rejects(aborted, (err) => isConfdError(err, ErrorCode.ABORTED));
});

test('a member-set with cas applies only while the row is unchanged', async (t) => {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  assert.equal(
    await store.memberApply({ type: 'member-set', member: member('c1', 'alive'), cas: 5 }),
    undefined,
    'no row yet: cas 5 fails',
  );
  const row = (await store.memberApply({
    type: 'member-set',
    member: member('c1', 'alive'),
    cas: 0,
  })) as {
    modifyIndex: number;
  };
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  // A detector that saw the first row must not mark the member failed over the newer write.
  await store.memberApply({
    type: 'member-set',
    member: member('c1', 'failed'),
    cas: row.modifyIndex,
  });
  assert.equal(store.membersState().get('c1')?.status, 'alive');
});
