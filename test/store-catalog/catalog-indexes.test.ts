import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import {
  CatalogState,
  CatalogWaiters,
  decodeCatalog,
  encodeCatalog,
  parseCatalogRegister,
  type CatalogCommand,
  type CatalogEffects,
} from '../../src/store/catalog/index.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { EventLog, LocalAgent } from '../../src/store/catalog/index.js';
import { createHttpApi } from '../../src/store/http/index.js';
import { createStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startServiceApi } from './service-api.js';

function reg(body: unknown): CatalogCommand {
  const parsed = parseCatalogRegister(body, 'dc1');
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.value;
}

function catalog(): { state: CatalogState; next: (c: CatalogCommand) => CatalogEffects } {
  const state = new CatalogState();
  let index = 0;
  const next = (c: CatalogCommand) => {
    const { outcome, effects } = state.apply(++index, c);
    if (!outcome.ok) throw outcome.error;
    return effects;
  };
  return { state, next };
}

const node = { Node: 'n1', Address: '10.0.0.1', SkipNodeUpdate: true };

function service(name: string, id: string, checkId: string): CatalogCommand {
  return reg({
    ...node,
    Service: { Service: name, ID: id, Port: 80 },
    Check: { CheckID: checkId, Name: checkId, ServiceID: id, Status: 'passing' },
  });
}

async function healthIndex(port: number, name: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}/v1/health/service/${name}`);
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  return Number(res.headers['x-consul-index']);
}

async function put(port: number, path: string, body?: unknown): Promise<void> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: 'PUT',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
}

test('agent: registering or removing another service and its check keeps a service index', async (t) => {
  const api = await startServiceApi(t);
  await put(api.port, '/v1/agent/service/register', {
    Name: 'web',
    ID: 'web-1',
    Check: { TTL: '1h' },
  });
  const before = await healthIndex(api.port, 'web');
  for (let i = 0; i < 3; i++) {
    await put(api.port, '/v1/agent/service/register', {
      Name: `other-${i}`,
      Check: { TTL: '1h' },
    });
  }
  await put(api.port, '/v1/agent/check/pass/service:other-1');
  await put(api.port, '/v1/agent/service/deregister/other-2');
  // Consul's ensureCheckTxn / deleteCheckTxn move only the check's own service.
  assert.equal(await healthIndex(api.port, 'web'), before);
  assert.ok((await healthIndex(api.port, 'other-1')) > before);

  // A node-level check changes the health of every instance on the node.
  await put(api.port, '/v1/agent/check/register', { Name: 'disk', CheckID: 'disk', TTL: '1h' });
  const afterNodeCheck = await healthIndex(api.port, 'web');
  assert.ok(afterNodeCheck > before);
  assert.equal(await healthIndex(api.port, 'other-0'), afterNodeCheck);
  const res = await request(`http://127.0.0.1:${api.port}/v1/health/service/web`);
  const entries = (await res.body.json()) as { Checks: { CheckID: string }[] }[];
  assert.deepEqual(
    entries[0].Checks.map((c) => c.CheckID),
    ['serfHealth', 'disk', 'service:web-1'],
  );
});

test('a check moved to another instance leaves the first one and moves both indexes', () => {
  const { state, next } = catalog();
  next(reg({ Node: 'n1', Address: '10.0.0.1' }));
  next(service('web', 'web-1', 'c1'));
  next(service('api', 'api-1', 'c2'));
  const effects = next(
    reg({ ...node, Check: { CheckID: 'c1', Name: 'c1', ServiceID: 'api-1', Status: 'passing' } }),
  );
  assert.deepEqual([...effects.services].sort(), ['api', 'web']);
  assert.equal(state.serviceIndex('web'), 4);
  assert.equal(state.serviceIndex('api'), 4);
  assert.deepEqual(
    state.healthService('web').value[0].checks.map((c) => c.checkId),
    [],
  );
  assert.deepEqual(
    state.healthService('api').value[0].checks.map((c) => c.checkId),
    ['c1', 'c2'],
  );
  assert.deepEqual(
    state.serviceChecks('api').value.map((c) => c.checkId),
    ['c1', 'c2'],
  );
});

test('after a snapshot restore, instance checks are found and removed with their service', () => {
  const { state, next } = catalog();
  next(
    reg({
      Node: 'n1',
      Address: '10.0.0.1',
      Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
    }),
  );
  for (let i = 0; i < 50; i++) next(service(`svc-${i}`, `svc-${i}`, `service:svc-${i}`));
  const copy = decodeCatalog(JSON.parse(JSON.stringify(encodeCatalog(state))));
  assert.deepEqual(
    copy.healthService('svc-7').value[0].checks.map((c) => c.checkId),
    ['serfHealth', 'service:svc-7'],
  );
  const { outcome, effects } = copy.apply(100, {
    type: 'catalog-deregister',
    node: 'n1',
    serviceId: 'svc-7',
  });
  assert.ok(outcome.ok);
  assert.deepEqual([...effects.services], ['svc-7']);
  assert.equal(copy.check('n1', 'service:svc-7'), undefined);
  assert.equal(copy.check('n1', 'service:svc-8')?.serviceId, 'svc-8');
  assert.equal(copy.nodeChecks('n1').value.length, 50);
  assert.deepEqual(copy.serviceChecksOf('n1', 'svc-7'), []);
});

test('catalog waiters: a multi-table waiter wakes once, aborted ones leave nothing parked', async () => {
  const waiters = new CatalogWaiters();
  const effects = (tables: string[], services: string[]) =>
    ({
      tables: new Set(tables),
      services: new Set(services),
      removedNodes: [],
      checkStatuses: [],
    }) as unknown as CatalogEffects;
  const controller = new AbortController();
  let wakes = 0;
  const both = waiters
    .wait({ kind: 'catalog-tables', tables: ['nodes', 'services'] }, controller.signal)
    .then(() => wakes++);
  const web = waiters.wait({ kind: 'service', name: 'web' }, controller.signal);
  assert.equal(waiters.size, 2);
  waiters.wake(effects(['nodes', 'services'], ['db']));
  await both;
  assert.equal(wakes, 1);
  assert.equal(waiters.size, 1);
  controller.abort();
  await assert.rejects(web, (err: unknown) => isConfdError(err, ErrorCode.ABORTED));
  assert.equal(waiters.size, 0);
  waiters.wake(effects(['nodes'], ['web']));
  assert.equal(wakes, 1);
});

test('durable agent: a TTL check update is answered once written, so the next read sees it', async (t) => {
  const store = await createStore({
    dataDir: await tempDir(t),
    nodeName: 'n1',
    timerIntervalMs: 0,
  });
  const agent = new LocalAgent({
    store,
    logger: silentLogger,
    nodeName: 'n1',
    nodeId: '11111111-2222-3333-4444-555555555555',
    address: '127.0.0.1',
    datacenter: 'dc1',
  });
  await agent.start();
  const api = createHttpApi({
    store,
    nodeName: 'n1',
    services: { catalog: store, agent, events: new EventLog() },
  });
  const { port } = await api.listen(0, '127.0.0.1');
  t.after(async () => {
    await api.close();
    await agent.close();
    await store.close();
  });
  await put(port, '/v1/agent/service/register', { Name: 'web', Check: { TTL: '1h' } });
  const passing = async (): Promise<number> => {
    const res = await request(`http://127.0.0.1:${port}/v1/health/service/web?passing`);
    return ((await res.body.json()) as unknown[]).length;
  };
  for (let i = 0; i < 5; i++) {
    await put(port, '/v1/agent/check/pass/service:web');
    assert.equal(await passing(), 1, `after pass ${i}`);
    await put(port, '/v1/agent/check/fail/service:web');
    assert.equal(await passing(), 0, `after fail ${i}`);
  }
});

test('after a restart from a snapshot, a check turning critical still ends its sessions', async (t) => {
  const dir = await tempDir(t);
  const status = (node: string, status: 'passing' | 'critical'): CatalogCommand => ({
    type: 'check-status',
    node,
    checkId: 'serfHealth',
    status,
    output: '',
  });
  const first = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  for (const n of ['n1', 'n2']) {
    await first.catalogApply(
      reg({ Node: n, Address: '10.0.0.1', Check: { CheckID: 'serfHealth', Status: 'passing' } }),
    );
  }
  const s1 = await first.sessionCreate({ node: 'n1' });
  const s2 = await first.sessionCreate({ node: 'n2' });
  assert.equal(await first.kvSet('lock', Buffer.from('x'), { acquire: s1.id }), true);
  await first.snapshot();
  await first.close();

  const store = await createStore({ dataDir: dir, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const s3 = await store.sessionCreate({ node: 'n1' });
  await store.catalogApply(status('n1', 'critical'));
  assert.equal(store.sessionInfo(s1.id).value, undefined);
  assert.equal(store.sessionInfo(s3.id).value, undefined);
  assert.equal(store.kvGet('lock').value?.session, undefined);
  assert.equal(store.sessionInfo(s2.id).value?.node, 'n2');
  await store.catalogApply(status('n1', 'passing'));
  const s4 = await store.sessionCreate({ node: 'n1' });
  await store.catalogApply(status('n2', 'critical'));
  assert.equal(store.sessionInfo(s2.id).value, undefined);
  assert.equal(store.sessionInfo(s4.id).value?.node, 'n1');
});

test('deleting a check ends the sessions bound to it, even a passing one (consul deleteCheckTxn)', async (t) => {
  const store = await createStore({ dev: true, nodeName: 'n1', timerIntervalMs: 0 });
  t.after(() => store.close());
  await store.catalogApply(
    reg({
      Node: 'n1',
      Address: '10.0.0.1',
      Checks: [
        { CheckID: 'serfHealth', Status: 'passing' },
        { CheckID: 'disk', Status: 'passing' },
      ],
    }),
  );
  await store.catalogApply(service('web', 'web-1', 'service:web-1'));
  const onWeb = await store.sessionCreate({ node: 'n1', serviceChecks: [{ id: 'service:web-1' }] });
  const onDisk = await store.sessionCreate({ node: 'n1', nodeChecks: ['serfHealth', 'disk'] });
  const unbound = await store.sessionCreate({ node: 'n1' });
  assert.equal(await store.kvSet('lock', Buffer.from('x'), { acquire: onWeb.id }), true);

  // The service goes, and its check with it.
  await store.catalogApply({ type: 'catalog-deregister', node: 'n1', serviceId: 'web-1' });
  assert.equal(store.sessionInfo(onWeb.id).value, undefined);
  assert.equal(store.kvGet('lock').value?.session, undefined, 'its lock is released');
  assert.equal(store.sessionInfo(onDisk.id).value?.id, onDisk.id);

  await store.catalogApply({ type: 'catalog-deregister', node: 'n1', checkId: 'disk' });
  assert.equal(store.sessionInfo(onDisk.id).value, undefined);
  assert.equal(store.sessionInfo(unbound.id).value?.id, unbound.id);
});
