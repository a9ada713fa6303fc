/**
 * The cluster walkthrough of the project's source document, with real agents on their own
 * loopback addresses and default ports (127.0.10.0/24): a server, clients joining it, `members` on
 * every node, a killed agent `failed`, a restarted one `alive` again, a client leaving (`left`,
 * deregistered), force-leave and `-prune`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALIVE,
  FAILED,
  LEFT,
  confd,
  members,
  startClusterAgent,
  statusOf,
  waitForStatus,
} from '../helpers/cluster.js';

const SERVER = '127.0.10.2';
const CLIENT1 = '127.0.10.3';
const CLIENT2 = '127.0.10.4';

/** memberLine matches one `confd members` row: name, address, status, type, build, DC. */
function memberLine(name: string, ip: string, status: string, type: 'server' | 'client'): RegExp {
  const segment = type === 'server' ? '<all>' : '<default>';
  return new RegExp(
    `^${name}\\s+${ip.replace(/\./g, '\\.')}:8301\\s+${status}\\s+${type}\\s+1\\.21\\.4\\s+2\\s+dc1\\s+default\\s+${segment}$`,
    'm',
  );
}

test('join, members on every node, kill -9 -> failed -> restart -> alive, leave -> left', async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const client1 = await startClusterAgent(t, { name: 'client1', ip: CLIENT1 });
  const client2 = await startClusterAgent(t, { name: 'client2', ip: CLIENT2 });

  // `consul join <server-ip>` from the client.
  const joined = await confd(['join', '-http-addr', client1.httpAddr, SERVER]);
  assert.deepEqual(joined, {
    code: 0,
    stdout: 'Successfully joined cluster by contacting 1 nodes.\n',
    stderr: '',
  });
  // A client can be the one contacted: client2 joins through client1.
  assert.equal((await confd(['join', '-http-addr', client2.httpAddr, CLIENT1])).code, 0);

  for (const agent of [server, client1, client2]) {
    await waitForStatus(agent, 'client2', ALIVE);
    const out = await confd(['members', '-http-addr', agent.httpAddr]);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^Node\s+Address\s+Status\s+Type\s+Build\s+Protocol\s+DC\s+Partition\s+Segment$/,
    );
    // Servers first, then by name.
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)[0]),
      ['server1', 'client1', 'client2'],
      out.stdout,
    );
    assert.match(out.stdout, memberLine('server1', SERVER, 'alive', 'server'));
    assert.match(out.stdout, memberLine('client1', CLIENT1, 'alive', 'client'));
    assert.match(out.stdout, memberLine('client2', CLIENT2, 'alive', 'client'));
  }
  // Every member is in the catalog with serfHealth passing.
  const nodes = (await (await fetch(`${client1.url}/v1/catalog/nodes`)).json()) as {
    Node: string;
  }[];
  assert.deepEqual(nodes.map((n) => n.Node).sort(), ['client1', 'client2', 'server1']);

  // kill -9: failed on every other member; its node stays, with serfHealth critical.
  client2.kill();
  await client2.stop();
  await waitForStatus(server, 'client2', FAILED);
  await waitForStatus(client1, 'client2', FAILED);
  const health = (await (await fetch(`${server.url}/v1/health/node/client2`)).json()) as {
    CheckID: string;
    Status: string;
    Output: string;
  }[];
  assert.deepEqual(
    health.map((c) => [c.CheckID, c.Status, c.Output]),
    [['serfHealth', 'critical', 'Agent not live or unreachable']],
  );
  const failed = await confd(['members', '-http-addr', client1.httpAddr, '-status', 'failed']);
  assert.match(failed.stdout, memberLine('client2', CLIENT2, 'failed', 'client'));
  assert.equal(failed.stdout.trimEnd().split('\n').length, 2, 'header + the failed one');

  // Restarted on its data dir: it rejoins the servers it knew by itself, alive again.
  const again = await startClusterAgent(t, {
    name: 'client2',
    ip: CLIENT2,
    dataDir: client2.dataDir,
  });
  await waitForStatus(server, 'client2', ALIVE);
  await waitForStatus(again, 'client2', ALIVE);
  const passing = (await (await fetch(`${server.url}/v1/health/node/client2`)).json()) as {
    Status: string;
  }[];
  assert.equal(passing[0]?.Status, 'passing');

  // `consul leave` on a client: it leaves, then exits 0; every other member sees it left, and
  // its node is gone from the catalog.
  const left = await confd(['leave', '-http-addr', client1.httpAddr]);
  assert.deepEqual(left, { code: 0, stdout: 'Graceful leave complete\n', stderr: '' });
  assert.equal(await client1.exited, 0);
  await waitForStatus(server, 'client1', LEFT);
  await waitForStatus(again, 'client1', LEFT);
  assert.equal((await fetch(`${server.url}/v1/catalog/node/client1`)).status, 200);
  assert.equal(await (await fetch(`${server.url}/v1/catalog/node/client1`)).text(), 'null');
  const after = await confd(['members', '-http-addr', server.httpAddr]);
  assert.match(after.stdout, memberLine('client1', CLIENT1, 'left', 'client'));
});

test('force-leave moves a failed member to left, -prune forgets it; an unknown name is an error', async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const victim = await startClusterAgent(t, {
    name: 'victim',
    ip: CLIENT1,
    extra: ['-retry-join', SERVER],
  });
  const other = await startClusterAgent(t, {
    name: 'other',
    ip: CLIENT2,
    extra: ['-retry-join', SERVER],
  });
  await waitForStatus(server, 'victim', ALIVE);
  await waitForStatus(server, 'other', ALIVE);
  victim.kill();
  await waitForStatus(server, 'victim', FAILED);

  const forced = await confd(['force-leave', '-http-addr', other.httpAddr, 'victim']);
  assert.deepEqual(forced, { code: 0, stdout: '', stderr: '' });
  await waitForStatus(server, 'victim', LEFT);
  assert.equal(await (await fetch(`${server.url}/v1/catalog/node/victim`)).text(), 'null');

  const pruned = await confd(['force-leave', '-prune', '-http-addr', server.httpAddr, 'victim']);
  assert.equal(pruned.code, 0, pruned.stderr);
  await waitForStatus(server, 'victim', undefined);
  await waitForStatus(other, 'victim', undefined);

  const unknown = await confd(['force-leave', '-http-addr', server.httpAddr, 'nobody']);
  assert.deepEqual(unknown, {
    code: 1,
    stdout: '',
    stderr:
      "Error force leaving: Unexpected response code: 500 (agent: No node found with name 'nobody')\n",
  });
  const usage = await confd(['force-leave', '-http-addr', server.httpAddr]);
  assert.equal(usage.code, 1);
  assert.match(
    usage.stderr,
    /^A single node name must be specified to force leave\.\n\nUsage: confd force-leave/,
  );

  // A live member that is forced out refutes it: it joins again and is alive.
  await confd(['force-leave', '-http-addr', server.httpAddr, 'other']);
  await waitForStatus(server, 'other', ALIVE);
  assert.equal(await statusOf(server, 'server1'), ALIVE);
});

test('join errors: no address, nothing to join; a client with no server answers No known Consul servers', async (t) => {
  const lone = await startClusterAgent(t, { name: 'lone', ip: CLIENT1 });
  const none = await confd(['join', '-http-addr', lone.httpAddr]);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /^At least one address to join must be specified\.\n\nUsage: confd join/,
  );

  const refused = await confd(['join', '-http-addr', lone.httpAddr, '127.0.10.250']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^Error joining address '127\.0\.10\.250': Unexpected response code: 500 \(Failed to join 127\.0\.10\.250:8301: [^\n]+\)\nFailed to join any nodes\.\n$/,
  );

  // Every request a client sends on fails at once, with Consul's text.
  const kv = await fetch(`${lone.url}/v1/kv/anything`);
  assert.equal(kv.status, 500);
  assert.equal(await kv.text(), 'No known Consul servers');
  assert.deepEqual(
    (await members(lone)).map((m) => [m.Name, m.Status]),
    [['lone', ALIVE]],
    'a client that never joined knows itself only',
  );

  // It recovers as soon as it joins a server.
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  assert.equal((await confd(['join', '-http-addr', lone.httpAddr, SERVER])).code, 0);
  const put = await fetch(`${lone.url}/v1/kv/anything`, { method: 'PUT', body: 'v' });
  assert.equal(await put.text(), 'true');
  assert.equal(await (await fetch(`${server.url}/v1/kv/anything?raw`)).text(), 'v');
});
