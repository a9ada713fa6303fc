/**
 * Clients when their server goes away and comes back, and join retries running out
 * (127.0.14.0/24).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ALIVE, FAILED, LEFT, startClusterAgent, waitForStatus } from '../helpers/cluster.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const SERVER = '127.0.14.2';

test('a client whose server died shows it failed, answers No known Consul servers, and recovers', async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  const client = await startClusterAgent(t, {
    name: 'client1',
    ip: '127.0.14.3',
    extra: ['-retry-join', SERVER],
  });
  await waitForStatus(client, 'server1', ALIVE);
  await fetch(`${client.url}/v1/kv/k`, { method: 'PUT', body: 'before' });

  // A server does not leave on SIGTERM (Consul's default): to its clients it is failed.
  assert.equal(await server.stop('SIGTERM'), 0);
  await waitForStatus(client, 'server1', FAILED);
  const answer = await fetch(`${client.url}/v1/kv/k`);
  assert.deepEqual([answer.status, await answer.text()], [500, 'No known Consul servers']);

  // Back on its data dir: the client follows it again, and the data is there.
  const again = await startClusterAgent(t, {
    name: 'server1',
    ip: SERVER,
    server: true,
    dataDir: server.dataDir,
  });
  await waitForStatus(client, 'server1', ALIVE);
  await waitForStatus(again, 'client1', ALIVE);
  await waitFor(
    async () => (await (await fetch(`${client.url}/v1/kv/k?raw`)).text()) === 'before',
    {
      what: 'reads through the client again',
    },
  );
});

test('-retry-max: the agent gives up and exits 1 once its join rounds are used up', async (t) => {
  const lone = await startClusterAgent(t, {
    name: 'lone',
    ip: '127.0.14.4',
    extra: ['-retry-join', '127.0.14.250', '-retry-interval', '100ms', '-retry-max', '2'],
  });
  assert.equal(await lone.exited, 1);
  assert.match(lone.output(), /Join cluster failed, will retry: cluster=LAN retry_interval=0\.1s/);
  assert.match(lone.output(), /\[ERROR\] agent: max join LAN retry exhausted, exiting/);
});

test('SIGINT on a client is a graceful leave; a failed member is reaped after reconnect_timeout', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'server.json');
  await writeFile(config, JSON.stringify({ reconnect_timeout: '1s' }));
  const server = await startClusterAgent(t, {
    name: 'server1',
    ip: SERVER,
    server: true,
    extra: ['-config-file', config],
  });
  const polite = await startClusterAgent(t, {
    name: 'polite',
    ip: '127.0.14.5',
    extra: ['-retry-join', SERVER],
  });
  const doomed = await startClusterAgent(t, {
    name: 'doomed',
    ip: '127.0.14.6',
    extra: ['-retry-join', SERVER],
  });
  await waitForStatus(server, 'polite', ALIVE);
  await waitForStatus(server, 'doomed', ALIVE);

  assert.equal(await polite.stop('SIGINT'), 0);
  await waitForStatus(server, 'polite', LEFT);

  doomed.kill();
  await waitForStatus(server, 'doomed', FAILED);
  // Reaped: forgotten, and its node deregistered ("reaped", as Consul does after 72 h by default).
  await waitForStatus(server, 'doomed', undefined);
  assert.equal(await (await fetch(`${server.url}/v1/catalog/node/doomed`)).text(), 'null');
});
