import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import Consul from 'consul';
import { request } from 'undici';
import { waitFor } from '../helpers/wait-for.js';
import { startServiceApi } from './service-api.js';

type Json = Record<string, unknown>;

function client(port: number) {
  return new Consul({ host: '127.0.0.1', port });
}

async function flipServer(t: TestContext): Promise<{ port: number; setCode: (c: number) => void }> {
  let code = 200;
  const server: Server = createServer((_req, res) => res.writeHead(code).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, setCode: (c) => (code = c) };
}

test('consul client: agent service register with an HTTP check, catalog and health views', async (t) => {
  const api = await startServiceApi(t);
  const consul = client(api.port);
  const target = await flipServer(t);
  await consul.agent.service.register({
    name: 'web',
    id: 'web-1',
    tags: ['rails'],
    port: 8080,
    check: { http: `http://127.0.0.1:${target.port}/health`, interval: '50ms' },
  } as never);
  const services = (await consul.agent.service.list()) as unknown as Record<string, Json>;
  assert.deepEqual(Object.keys(services), ['web-1']);
  assert.equal(services['web-1'].Service, 'web');
  assert.deepEqual(services['web-1'].Tags, ['rails']);

  const catalogServices = (await consul.catalog.service.list()) as unknown as Record<
    string,
    string[]
  >;
  assert.deepEqual(catalogServices, { consul: [], web: ['rails'] });
  const nodes = (await consul.catalog.service.nodes('web')) as unknown as Json[];
  assert.equal(nodes.length, 1);
  assert.equal(nodes[0].Node, 'node1');
  assert.equal(nodes[0].ServiceID, 'web-1');
  assert.equal(nodes[0].ServicePort, 8080);

  // Initially critical; the HTTP check turns it passing.
  await waitFor(
    async () =>
      ((await consul.health.service({ service: 'web', passing: true })) as unknown as Json[])
        .length === 1,
    { what: 'passing' },
  );
  const entries = (await consul.health.service('web')) as unknown as { Checks: Json[] }[];
  assert.deepEqual(
    entries[0].Checks.map((c) => [c.CheckID, c.Status]),
    [
      ['serfHealth', 'passing'],
      ['service:web-1', 'passing'],
    ],
  );
  target.setCode(500);
  await waitFor(
    async () =>
      ((await consul.health.service({ service: 'web', passing: true })) as unknown as Json[])
        .length === 0,
    { what: 'critical' },
  );
  const critical = (await consul.health.state('critical')) as unknown as Json[];
  assert.deepEqual(
    critical.map((c) => c.CheckID),
    ['service:web-1'],
  );
  assert.equal(critical[0].ServiceName, 'web');

  await consul.agent.service.deregister('web-1');
  assert.deepEqual(await consul.catalog.service.nodes('web'), []);
  assert.deepEqual(await consul.agent.check.list(), {});
});

test('consul client: TTL check pass/warn/fail and expiry, unknown check 404', async (t) => {
  const api = await startServiceApi(t);
  const consul = client(api.port);
  await consul.agent.check.register({ name: 'batch', ttl: '300ms', notes: 'cron' } as never);
  let checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.equal(checks.batch.Status, 'critical');
  assert.equal(checks.batch.Notes, 'cron');
  await consul.agent.check.pass({ id: 'batch', note: 'done' });
  checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.deepEqual([checks.batch.Status, checks.batch.Output], ['passing', 'done']);
  await consul.agent.check.warn('batch');
  checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.equal(checks.batch.Status, 'warning');
  // No update within the TTL: critical with "TTL expired".
  await waitFor(
    async () => {
      const c = ((await consul.agent.check.list()) as unknown as Record<string, Json>).batch;
      return c.Status === 'critical' && c.Output === 'TTL expired';
    },
    { what: 'TTL expiry' },
  );
  await assert.rejects(consul.agent.check.fail('nope'), (err: Error & { statusCode?: number }) => {
    assert.equal(err.statusCode, 404);
    return true;
  });
  const res = await request(`http://127.0.0.1:${api.port}/v1/agent/check/update/batch`, {
    method: 'PUT',
    body: JSON.stringify({ Status: 'passing', Output: 'manual' }),
  });
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), '');
  checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.deepEqual([checks.batch.Status, checks.batch.Output], ['passing', 'manual']);
});

test('consul client: catalog register/deregister with node-meta and tag filters, node view', async (t) => {
  const api = await startServiceApi(t);
  const consul = client(api.port);
  await consul.catalog.register({
    node: 'ext1',
    address: '10.0.0.7',
    nodemeta: { env: 'prod' },
    service: { service: 'db', tags: ['primary', 'v1'], port: 5432 },
    check: { checkid: 'db-check', name: 'db', serviceid: 'db', status: 'passing' },
  } as never);
  await consul.catalog.register({
    node: 'ext2',
    address: '10.0.0.8',
    service: { service: 'db', tags: ['replica'], port: 5432 },
  } as never);
  const base = `http://127.0.0.1:${api.port}`;
  const get = async (path: string) => {
    const res = await request(base + path);
    return {
      status: res.statusCode,
      index: res.headers['x-consul-index'],
      body: await res.body.json(),
    };
  };
  assert.deepEqual(
    ((await get('/v1/catalog/service/db?tag=primary&tag=v1')).body as Json[]).map((s) => s.Node),
    ['ext1'],
  );
  assert.deepEqual((await get('/v1/catalog/service/db?tag=primary&tag=replica')).body, []);
  assert.deepEqual(
    ((await get('/v1/catalog/nodes?node-meta=env:prod')).body as Json[]).map((n) => n.Node),
    ['ext1'],
  );
  const node = (await get('/v1/catalog/node/ext1')).body as {
    Node: Json;
    Services: Record<string, Json>;
  };
  assert.equal(node.Node.Address, '10.0.0.7');
  assert.deepEqual(Object.keys(node.Services), ['db']);
  assert.equal((await get('/v1/catalog/node/ghost')).body, null);
  const nodeHealth = (await get('/v1/health/node/ext1')).body as Json[];
  assert.deepEqual(
    nodeHealth.map((c) => c.CheckID),
    ['db-check'],
  );
  assert.deepEqual(
    ((await get('/v1/health/checks/db')).body as Json[]).map((c) => c.Node),
    ['ext1'],
  );
  const bad = await request(`${base}/v1/health/service/db?passing=maybe`);
  assert.equal(bad.statusCode, 400);
  assert.equal(await bad.body.text(), 'Invalid value for ?passing');

  await consul.catalog.deregister({ node: 'ext1' } as never);
  assert.deepEqual(
    ((await get('/v1/catalog/service/db')).body as Json[]).map((s) => s.Node),
    ['ext2'],
  );
  assert.deepEqual(
    ((await get('/v1/catalog/nodes')).body as Json[]).map((n) => n.Node),
    ['ext2', 'node1'],
  );
});

test('blocking health query wakes on a health change of that service only', async (t) => {
  const api = await startServiceApi(t);
  const consul = client(api.port);
  await consul.agent.service.register({ name: 'api', check: { ttl: '1h' } } as never);
  await consul.agent.service.register({ name: 'other', check: { ttl: '1h' } } as never);
  const base = `http://127.0.0.1:${api.port}`;
  const first = await request(`${base}/v1/health/service/api`);
  const index = first.headers['x-consul-index'] as string;
  await first.body.dump();
  let done = false;
  const parked = request(`${base}/v1/health/service/api?index=${index}&wait=5s`).then(async (r) => {
    done = true;
    return {
      index: r.headers['x-consul-index'] as string,
      body: (await r.body.json()) as { Checks: Json[] }[],
    };
  });
  await consul.agent.check.pass('service:other');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(done, false);
  await consul.agent.check.pass('service:api');
  const woke = await parked;
  assert.ok(Number(woke.index) > Number(index));
  assert.equal(woke.body[0].Checks[1].Status, 'passing');
});

test('consul client: maintenance modes and events', async (t) => {
  const api = await startServiceApi(t);
  const consul = client(api.port);
  await consul.agent.service.register({
    name: 'web',
    check: { ttl: '1h', status: 'passing' },
  } as never);
  await consul.agent.service.maintenance({ id: 'web', enable: true, reason: 'deploy' });
  let checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.equal(checks['_service_maintenance:web'].Status, 'critical');
  assert.equal(checks['_service_maintenance:web'].Notes, 'deploy');
  assert.deepEqual(await consul.health.service({ service: 'web', passing: true }), []);
  await consul.agent.service.maintenance({ id: 'web', enable: false });
  assert.equal(
    ((await consul.health.service({ service: 'web', passing: true })) as unknown as Json[]).length,
    1,
  );
  const res = await request(`http://127.0.0.1:${api.port}/v1/agent/maintenance?enable=true`, {
    method: 'PUT',
  });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
  checks = (await consul.agent.check.list()) as unknown as Record<string, Json>;
  assert.equal(checks._node_maintenance.Status, 'critical');

  const fired = (await consul.event.fire({
    name: 'deploy',
    payload: 'v2',
    service: 'web',
  })) as unknown as Json;
  assert.equal(fired.Name, 'deploy');
  assert.equal(fired.ServiceFilter, 'web');
  assert.equal(fired.LTime, 1);
  await consul.event.fire('other');
  const list = (await consul.event.list({ name: 'deploy' })) as unknown as Json[];
  assert.equal(list.length, 1);
  // The client decodes the base64 Payload.
  assert.equal(list[0].Payload, 'v2');
  assert.equal(fired.Payload, 'v2');
  assert.equal(((await consul.event.list()) as unknown as Json[]).length, 2);
});

test('blocking catalog node read wakes when only the node row changes', async (t) => {
  const api = await startServiceApi(t);
  const base = `http://127.0.0.1:${api.port}`;
  const put = async (body: unknown) => {
    const res = await request(`${base}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify(body),
    });
    assert.equal(await res.body.text(), 'true');
  };
  await put({ Node: 'bare', Address: '10.9.9.9' });
  const first = await request(`${base}/v1/catalog/node/bare`);
  const index = Number(first.headers['x-consul-index']);
  assert.ok(index > 0);
  await first.body.dump();
  const parked = request(`${base}/v1/catalog/node/bare?index=${index}&wait=5s`).then(
    async (r) => (await r.body.json()) as { Node: Json },
  );
  await put({ Node: 'bare', Address: '10.9.9.10' });
  assert.equal((await parked).Node.Address, '10.9.9.10');
  const bad = await request(`${base}/v1/catalog/register`, { method: 'PUT', body: '{"Node":' });
  assert.equal(bad.statusCode, 400);
  assert.match(await bad.body.text(), /^Request decode failed/);
  const missing = await request(`${base}/v1/catalog/register`, {
    method: 'PUT',
    body: JSON.stringify({ Node: 'x' }),
  });
  assert.equal(missing.statusCode, 400);
  assert.equal(await missing.body.text(), 'Must provide address');
  const wrong = await request(`${base}/v1/catalog/services`, { method: 'PUT' });
  assert.equal(wrong.statusCode, 405);
  assert.equal(wrong.headers.allow, 'OPTIONS,GET');
  await wrong.body.dump();
});
