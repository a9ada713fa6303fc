import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCatalogRegister, type CatalogCommand } from '../../src/store/catalog/index.js';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import { createStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

function reg(body: unknown): CatalogCommand {
  const parsed = parseCatalogRegister(body, 'dc1');
  assert.ok(parsed.ok);
  return parsed.value;
}

const web = (node: string, address: string) =>
  reg({
    Node: node,
    Address: address,
    Service: { Service: 'web', Port: 80 },
    Checks: [
      { CheckID: 'serfHealth', Status: 'passing' },
      { CheckID: 'service:web', ServiceID: 'web', Status: 'passing' },
    ],
  });

test('catalog commands share the KV log indexes and survive restart (log replay and snapshot)', async (t) => {
  const dir = await tempDir(t);
  let store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  await store.kvSet('a', Buffer.from('1'));
  const kvIndex = store.lastIndex;
  await store.catalogApply(web('n1', '10.0.0.1'));
  // The same index sequence as KV writes.
  assert.equal(store.lastIndex, kvIndex + 1);
  assert.equal(store.catalogState().serviceIndex('web'), kvIndex + 1);
  await store.kvSet('b', Buffer.from('2'));
  await store.catalogApply({
    type: 'check-status',
    node: 'n1',
    checkId: 'service:web',
    status: 'critical',
    output: 'down',
  });
  const statusIndex = store.lastIndex;
  await store.close();

  // Replayed from the log.
  store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  assert.equal(store.lastIndex, statusIndex);
  assert.equal(store.catalogState().check('n1', 'service:web')?.output, 'down');
  assert.equal(store.catalogState().serviceIndex('web'), statusIndex);
  await store.snapshot();
  await store.catalogApply(web('n2', '10.0.0.2'));
  await store.close();

  // From the snapshot plus the log tail.
  store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const entries = store.catalogState().healthService('web').value;
  assert.deepEqual(
    entries.map((e) => [e.node.node, e.checks.map((c) => c.status).join(',')]),
    [
      ['n1', 'passing,critical'],
      ['n2', 'passing,passing'],
    ],
  );
  assert.equal(store.catalogState().serviceIndex('web'), statusIndex + 1);
  assert.equal(store.kvGet('b').value?.value?.toString(), '2');
});

test('sessions are invalidated when their node goes or a bound check turns critical', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.catalogApply(web('n1', '10.0.0.1'));
  await store.catalogApply(web('n2', '10.0.0.2'));
  const s1 = await store.sessionCreate({ node: 'n1' });
  const s2 = await store.sessionCreate({
    node: 'n2',
    nodeChecks: [],
    serviceChecks: [{ id: 'service:web' }],
  });
  const s3 = await store.sessionCreate({ node: 'n2' });
  assert.equal(await store.kvSet('lock', Buffer.from('x'), { acquire: s2.id }), true);

  await store.catalogApply({
    type: 'check-status',
    node: 'n2',
    checkId: 'service:web',
    status: 'critical',
    output: '',
  });
  assert.equal(store.sessionInfo(s2.id).value, undefined);
  assert.equal(store.kvGet('lock').value?.session, undefined);
  assert.ok(store.sessionInfo(s3.id).value);

  await store.catalogApply({ type: 'catalog-deregister', node: 'n1' });
  assert.equal(store.sessionInfo(s1.id).value, undefined);
  assert.ok(store.sessionInfo(s3.id).value);
});

test("session create checks the catalog like Consul's state store, also on replay", async (t) => {
  const dir = await tempDir(t);
  let store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  // A store whose catalog never held a node (a plain KV store) has nothing to check against.
  const plain = await store.sessionCreate({ node: 'anywhere', nodeChecks: ['anything'] });
  await store.catalogApply(web('n1', '10.0.0.1'));
  const refused = (message: string) => (e: unknown) =>
    isConfdError(e, ErrorCode.STORE_SESSION_REFUSED) && e.message === message;
  await assert.rejects(store.sessionCreate({ node: 'n2' }), refused('Missing node registration'));
  await assert.rejects(
    store.sessionCreate({ nodeChecks: ['serfHealth', 'disk'] }),
    refused("Missing check 'disk' registration"),
  );
  await assert.rejects(
    store.sessionCreate({ serviceChecks: [{ id: 'service:db' }] }),
    refused("Missing check 'service:db' registration"),
  );
  const ok = await store.sessionCreate({ serviceChecks: [{ id: 'service:web' }] });
  assert.equal(ok.node, 'n1', "the default node is the store's own");
  await store.catalogApply({
    type: 'check-status',
    node: 'n1',
    checkId: 'service:web',
    status: 'critical',
    output: '',
  });
  assert.equal(store.sessionInfo(ok.id).value, undefined, 'invalidated by the critical check');
  await assert.rejects(
    store.sessionCreate({ serviceChecks: [{ id: 'service:web' }] }),
    refused("Check 'service:web' is in critical state"),
  );
  // Deregistering every node keeps the rule: there is a catalog, the node is just gone.
  await store.catalogApply({ type: 'catalog-deregister', node: 'n1' });
  await assert.rejects(store.sessionCreate({}), refused('Missing node registration'));
  const sessions = store.sessionList().value.map((s) => s.id);
  assert.deepEqual(sessions, [plain.id]);
  await store.close();

  // Replaying the log takes the same decisions.
  store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  assert.deepEqual(
    store.sessionList().value.map((s) => s.id),
    sessions,
  );
});

test('a blocking catalog wait wakes only for its scope', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const controller = new AbortController();
  t.after(() => controller.abort());
  let woke = false;
  const waiting = store
    .waitForCatalog({ kind: 'service', name: 'db' }, controller.signal)
    .then(() => (woke = true));
  await store.catalogApply(web('n1', '10.0.0.1'));
  await store.kvSet('k', Buffer.from('v'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(woke, false);
  await store.catalogApply(reg({ Node: 'n1', Address: '10.0.0.1', Service: { Service: 'db' } }));
  await waiting;
  assert.equal(woke, true);
});
