/**
 * A client agent serves the whole HTTP API by sending it to its server (127.0.11.0/24): every
 * route family answers through the client as it does on the server; the client's own services
 * reach the catalog by anti-entropy; DNS on the client answers from the server's catalog.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Consul from 'consul';
import {
  ALIVE,
  FAILED,
  LEFT,
  startClusterAgent,
  waitForStatus,
  type ClusterAgent,
} from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';
import { query } from '../store-dns/dns-client.js';

const SERVER = '127.0.11.2';
const CLIENT = '127.0.11.3';

async function cluster(t: TestContext, clientExtra: string[] = []) {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const client = await startClusterAgent(t, {
    name: 'client1',
    ip: CLIENT,
    extra: ['-retry-join', SERVER, ...clientExtra],
  });
  await waitForStatus(server, 'client1', ALIVE);
  await waitForStatus(client, 'server1', ALIVE);
  return { server, client };
}

/** call sends one request and reads status, the Consul headers and the body. */
async function call(agent: ClusterAgent, method: string, path: string, body?: string) {
  const res = await fetch(`${agent.url}${path}`, { method, body });
  const headers: Record<string, string> = {};
  for (const name of [
    'x-consul-index',
    'x-consul-knownleader',
    'x-consul-effective-consistency',
    'content-type',
  ]) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: res.status, headers, body: await res.text() };
}

test('every route family answers through the client exactly as on the server', async (t) => {
  const { server, client } = await cluster(t);
  assert.equal((await call(client, 'PUT', '/v1/kv/app/a', 'one')).body, 'true');
  assert.equal((await call(server, 'PUT', '/v1/kv/app/b?flags=7', 'two')).body, 'true');
  const txn = JSON.stringify([
    { KV: { Verb: 'set', Key: 'app/c', Value: Buffer.from('three').toString('base64') } },
    { KV: { Verb: 'get', Key: 'app/a' } },
  ]);
  const viaClient = await call(client, 'PUT', '/v1/txn', txn);
  assert.equal(viaClient.status, 200, viaClient.body);
  await call(
    client,
    'PUT',
    '/v1/catalog/register',
    JSON.stringify({
      Node: 'ext1',
      Address: '10.1.1.1',
      Service: { Service: 'db', Port: 5432, Tags: ['primary'] },
      Check: { CheckID: 'db-alive', ServiceID: 'db', Status: 'passing' },
    }),
  );
  for (const path of [
    '/v1/kv/app/a',
    '/v1/kv/app/?recurse',
    '/v1/kv/app/?keys',
    '/v1/kv/app/b?raw',
    '/v1/kv/missing',
    '/v1/kv/app/a?consistent',
    '/v1/kv/app/a?stale',
    '/v1/catalog/services',
    '/v1/catalog/nodes',
    '/v1/catalog/service/db',
    '/v1/catalog/node/ext1',
    '/v1/health/service/db?passing',
    '/v1/health/node/ext1',
    '/v1/health/state/any',
    '/v1/catalog/datacenters',
    '/v1/status/leader',
    '/v1/status/peers',
    '/v1/session/list',
  ]) {
    const [a, b] = [await call(client, 'GET', path), await call(server, 'GET', path)];
    assert.deepEqual(a, b, path);
  }
  // Errors too: the server's own texts.
  for (const path of ['/v1/kv/?cas=x', '/v1/nope', '/v1/kv/a?stale&consistent']) {
    assert.deepEqual(
      await call(client, 'PUT', path, 'x'),
      await call(server, 'PUT', path, 'x'),
      path,
    );
  }
});

test('blocking queries, sessions and locks through the client', async (t) => {
  const { server, client } = await cluster(t);
  await call(server, 'PUT', '/v1/kv/watched', 'v1');
  const first = await call(client, 'GET', '/v1/kv/watched');
  const index = first.headers['x-consul-index'];
  // A blocking query parked on the client wakes on a write made on the server.
  const parked = call(client, 'GET', `/v1/kv/watched?index=${index}&wait=30s`);
  await call(server, 'PUT', '/v1/kv/watched', 'v2');
  const woke = await parked;
  assert.notEqual(woke.headers['x-consul-index'], index);
  assert.equal(
    (JSON.parse(woke.body) as { Value: string }[])[0]?.Value,
    Buffer.from('v2').toString('base64'),
  );

  // A session created on the client is the client's (Consul's agent fills in its node).
  const created = await call(client, 'PUT', '/v1/session/create', JSON.stringify({ Name: 'lock' }));
  const { ID } = JSON.parse(created.body) as { ID: string };
  const info = JSON.parse((await call(server, 'GET', `/v1/session/info/${ID}`)).body) as {
    Node: string;
    NodeChecks: string[];
  }[];
  assert.equal(info[0]?.Node, 'client1');
  assert.deepEqual(info[0]?.NodeChecks, ['serfHealth']);
  assert.equal((await call(client, 'PUT', `/v1/kv/lock?acquire=${ID}`, 'me')).body, 'true');
  assert.equal((await call(server, 'PUT', `/v1/kv/lock?acquire=${ID}`, 'me')).body, 'true');
  const locked = JSON.parse((await call(server, 'GET', '/v1/kv/lock')).body) as {
    Session: string;
  }[];
  assert.equal(locked[0]?.Session, ID);
  assert.equal((await call(client, 'PUT', `/v1/kv/lock?release=${ID}`)).body, 'true');
});

test("a client's services reach the catalog by anti-entropy; its DNS answers from the server", async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const client = await startClusterAgent(t, {
    name: 'client1',
    ip: CLIENT,
    extra: ['-retry-join', SERVER, '-dns-port', '0'],
  });
  await waitForStatus(server, 'client1', ALIVE);
  const dnsPort = Number(/DNS: (\d+)\)/.exec(client.output())?.[1]);
  assert.ok(dnsPort > 0, client.output());

  const register = await call(
    client,
    'PUT',
    '/v1/agent/service/register',
    JSON.stringify({
      Name: 'web',
      ID: 'web-1',
      Port: 8080,
      Tags: ['v1'],
      Check: { CheckID: 'web-ttl', TTL: '30s' },
    }),
  );
  assert.equal(register.status, 200, register.body);
  // Listed by the server's catalog, from any node.
  for (const agent of [server, client]) {
    await waitFor(
      async () =>
        (JSON.parse((await call(agent, 'GET', '/v1/catalog/service/web')).body) as unknown[])
          .length === 1,
      { what: 'web-1 in the catalog' },
    );
  }
  const entry = (
    JSON.parse((await call(server, 'GET', '/v1/catalog/service/web')).body) as {
      Node: string;
      ServiceID: string;
      ServicePort: number;
      ServiceTags: string[];
    }[]
  )[0];
  assert.deepEqual(
    [entry?.Node, entry?.ServiceID, entry?.ServicePort, entry?.ServiceTags],
    ['client1', 'web-1', 8080, ['v1']],
  );
  // Its TTL check passes on the client; the server's health follows.
  assert.equal((await call(client, 'PUT', '/v1/agent/check/pass/web-ttl?note=ok')).status, 200);
  await waitFor(
    async () =>
      (JSON.parse((await call(server, 'GET', '/v1/health/service/web?passing')).body) as unknown[])
        .length === 1,
    { what: 'web-1 passing on the server' },
  );
  const answer = await query(
    dnsPort,
    { name: 'web.service.consul', type: 'SRV' },
    { host: CLIENT },
  );
  assert.deepEqual(
    answer.answers?.map((a) => (a.type === 'SRV' ? [a.data.port, a.data.target] : [])),
    [[8080, 'client1.node.dc1.consul']],
  );
  // Deregistered on the client: gone from the catalog.
  await call(client, 'PUT', '/v1/agent/service/deregister/web-1');
  await waitFor(
    async () =>
      (JSON.parse((await call(server, 'GET', '/v1/catalog/service/web')).body) as unknown[])
        .length === 0,
    { what: 'web-1 gone' },
  );
  // A registration made on the catalog directly for the client's node is undone by the agent's
  // next full sync (at start-up, then every minute): the agent wins, as in Consul.
  await call(
    server,
    'PUT',
    '/v1/catalog/register',
    JSON.stringify({
      Node: 'client1',
      Address: CLIENT,
      SkipNodeUpdate: true,
      Service: { ID: 'stray', Service: 'stray', Port: 1 },
    }),
  );
  assert.equal(
    (JSON.parse((await call(server, 'GET', '/v1/catalog/service/stray')).body) as unknown[]).length,
    1,
  );
  await client.stop();
  await startClusterAgent(t, { name: 'client1', ip: CLIENT, dataDir: client.dataDir });
  await waitFor(
    async () =>
      (JSON.parse((await call(server, 'GET', '/v1/catalog/service/stray')).body) as unknown[])
        .length === 0,
    { what: 'the stray registration undone' },
  );
});

test("the consul npm client's join and force-leave work against our agents", async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  await startClusterAgent(t, { name: 'client1', ip: CLIENT });
  const consul = new Consul({ host: CLIENT, port: 8500 });
  t.after(() => consul.destroy());
  await consul.agent.join({ address: SERVER });
  await waitForStatus(server, 'client1', ALIVE);
  const listed = (await consul.agent.members()) as { Name: string; Status: number }[];
  assert.deepEqual(listed.map((m) => [m.Name, m.Status]).sort(), [
    ['client1', ALIVE],
    ['server1', ALIVE],
  ]);
  const third = await startClusterAgent(t, {
    name: 'client2',
    ip: '127.0.11.4',
    extra: ['-retry-join', SERVER],
  });
  await waitForStatus(server, 'client2', ALIVE);
  third.kill();
  await waitForStatus(server, 'client2', FAILED);
  await consul.agent.forceLeave({ node: 'client2' });
  await waitForStatus(server, 'client2', LEFT);
  // Nothing there: the agent answers 500, which the npm client turns into its error.
  await assert.rejects(consul.agent.join({ address: '127.0.11.250' }), /internal server error/);
});
