/**
 * The cluster ports under `-encrypt` and under bad input (127.0.12.0/24): an agent with a wrong or
 * missing key is kept out with a clear log line; garbage, bad join requests and floods of them are
 * answered or dropped, logged, and change nothing.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { generateKey } from '../../src/transport/keys.js';
import { ALIVE, confd, members, startClusterAgent, waitForStatus } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';

const SERVER = '127.0.12.2';

/** sendRaw writes bytes to host:port and resolves with whatever came back before the close. */
function sendRaw(host: string, port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
  });
}

test('with -encrypt, agents sharing the key join; a wrong or missing key is kept out and logged', async (t) => {
  const key = generateKey();
  const server = await startClusterAgent(t, {
    name: 'server1',
    ip: SERVER,
    server: true,
    extra: ['-encrypt', key],
  });
  assert.match(server.output(), /Gossip Encryption: true/);
  const good = await startClusterAgent(t, {
    name: 'good',
    ip: '127.0.12.3',
    extra: ['-encrypt', key],
  });
  assert.equal((await confd(['join', '-http-addr', good.httpAddr, SERVER])).code, 0);
  await waitForStatus(server, 'good', ALIVE);
  // Requests through the client cross the encrypted RPC port.
  assert.equal(
    await (await fetch(`${good.url}/v1/kv/k`, { method: 'PUT', body: 'v' })).text(),
    'true',
  );

  const wrong = await startClusterAgent(t, {
    name: 'wrong',
    ip: '127.0.12.4',
    extra: ['-encrypt', generateKey()],
  });
  const refused = await confd(['join', '-http-addr', wrong.httpAddr, SERVER]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /Failed to join 127\.0\.12\.2:8301: .*wrong or missing -encrypt key\?/,
  );
  await waitFor(
    () => /TLS handshake failed; wrong or missing -encrypt key\?/.test(server.output()),
    {
      what: "the server's log line",
    },
  );

  const plain = await startClusterAgent(t, { name: 'plain', ip: '127.0.12.5' });
  const missing = await confd(['join', '-http-addr', plain.httpAddr, SERVER]);
  assert.equal(missing.code, 1);
  await waitFor(
    () => /the -encrypt key is probably missing on the other side/.test(server.output()),
    {
      what: "the server's log line about a missing key",
    },
  );
  assert.deepEqual((await members(server)).map((m) => m.Name).sort(), ['good', 'server1']);
  // Nor can a keyless agent inject anything through the RPC port.
  const injected = await sendRaw(
    SERVER,
    8300,
    'PUT /v1/kv/injected HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx',
  );
  assert.match(injected, /^HTTP\/1\.1 400/);
  assert.equal((await fetch(`${server.url}/v1/kv/injected`)).status, 404);
});

test('garbage, bad join requests and a flood of them on the cluster ports change nothing', async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const client = await startClusterAgent(t, {
    name: 'client1',
    ip: '127.0.12.3',
    extra: ['-retry-join', SERVER],
  });
  await waitForStatus(server, 'client1', ALIVE);
  const before = await (await fetch(`${server.url}/v1/agent/members`)).text();
  for (const port of [8301, 8300]) {
    for (const host of [SERVER, '127.0.12.3']) {
      if (host !== SERVER && port === 8300) continue; // a client has no RPC port
      await sendRaw(host, port, Buffer.from([0, 1, 2, 255, 13, 10, 13, 10, 7]));
      await sendRaw(
        host,
        port,
        'POST /v1/internal/join HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"na',
      );
      await sendRaw(host, port, `GET /${'x'.repeat(70_000)} HTTP/1.1\r\n\r\n`);
    }
  }
  const join = (body: string, host = SERVER) =>
    fetch(`http://${host}:8301/v1/internal/join`, { method: 'POST', body });
  const bad = await join('not json');
  assert.deepEqual([bad.status, await bad.text()], [500, 'bad join request: not JSON']);
  const noName = await join(JSON.stringify({ id: 'x', addr: '127.0.12.9', port: 8301, tags: {} }));
  assert.deepEqual([noName.status, await noName.text()], [500, 'bad join request: bad name']);
  const big = await join(JSON.stringify({ name: 'big', pad: 'x'.repeat(100_000) }));
  assert.equal(big.status, 413);
  // Through the client's serf port too.
  const viaClient = await join('[1,2', '127.0.12.3');
  assert.equal(viaClient.status, 500);
  // A flood of bad joins, at once.
  const flood = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      join(JSON.stringify({ name: `n${i}`, port: 'nope' })).then((r) => r.status),
    ),
  );
  assert.ok(
    flood.every((s) => s === 500),
    flood.join(','),
  );
  // Another datacenter's agent is refused.
  const otherDc = await join(
    JSON.stringify({
      name: 'dc2-node',
      id: 'i',
      addr: '127.0.12.9',
      port: 8301,
      tags: { dc: 'dc2', role: 'node' },
    }),
  );
  assert.equal(otherDc.status, 500);
  assert.match(await otherDc.text(), /is part of datacenter 'dc2', not 'dc1'/);

  assert.equal(await (await fetch(`${server.url}/v1/agent/members`)).text(), before);
  assert.equal(
    await (await fetch(`${client.url}/v1/kv/ok`, { method: 'PUT', body: 'y' })).text(),
    'true',
  );
  assert.match(server.output(), /cluster \(serf_lan\): bad request from 127\.0\.\d+\.\d+:\d+/);
});
