/**
 * The daemon's embedded node as a client agent of a cluster (127.0.13.0/24): `confd -watch -join`
 * renders from the cluster's state, serves the local HTTP API and registers local services; one
 * process per machine is that machine's agent and renderer.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALIVE, LEFT, confd as cli, startClusterAgent, waitForStatus } from '../helpers/cluster.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { eventually, startConfd } from '../daemon/confd-process.js';
import { makeConfdir, resource } from '../daemon/fixtures.js';

const SERVER = '127.0.13.2';
const DAEMON = '127.0.13.3';

test('confd -watch -join: a client member that renders from the cluster and registers services', async (t) => {
  const server = await startClusterAgent(t, { name: 'server1', ip: SERVER, server: true });
  await fetch(`${server.url}/v1/kv/app/greeting`, { method: 'PUT', body: 'hello' });
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'app.toml': resource('app.tmpl', 'greeting={{getv "/app/greeting"}}\n', {
      dest: join(dir, 'out', 'app.conf'),
      keys: ['/app'],
    }),
  });
  const daemon = startConfd(t, [
    '-watch',
    '-confdir',
    confdir,
    '-config-file',
    '/nonexistent/confd.toml',
    '-data-dir',
    join(dir, 'member'),
    '-store-addr',
    `${DAEMON}:8500`,
    '-bind',
    DAEMON,
    '-node-name',
    'web1',
    '-join',
    SERVER,
  ]);
  const target = join(out, 'app.conf');
  await eventually(
    async () => (await readFile(target, 'utf8').catch(() => '')) === 'greeting=hello\n',
    {
      what: 'the first render from the cluster',
    },
  );
  await waitForStatus(server, 'web1', ALIVE);
  const listed = await cli(['members', '-http-addr', `${SERVER}:8500`]);
  assert.match(listed.stdout, /^web1\s+127\.0\.13\.3:8301\s+alive\s+client\s/m);

  // A change written on the server is rendered by the member.
  await fetch(`${server.url}/v1/kv/app/greeting`, { method: 'PUT', body: 'bonjour' });
  await eventually(async () => (await readFile(target, 'utf8')) === 'greeting=bonjour\n', {
    what: 'the change rendered',
  });
  // Its local API is an agent's: a service registered here is in the cluster's catalog.
  const local = `http://${DAEMON}:8500`;
  const reg = await fetch(`${local}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'nginx', Port: 80 }),
  });
  assert.equal(reg.status, 200);
  await waitFor(
    async () =>
      ((await (await fetch(`${server.url}/v1/catalog/service/nginx`)).json()) as unknown[])
        .length === 1,
    { what: 'nginx in the catalog' },
  );
  // Reads through the local API come from the cluster too.
  assert.equal(await (await fetch(`${local}/v1/kv/app/greeting?raw`)).text(), 'bonjour');

  // Stopping the daemon leaves the cluster, as a client agent does.
  assert.equal(await daemon.stop('SIGTERM'), 0);
  await waitForStatus(server, 'web1', LEFT);
});

test('-join needs the embedded backend and a -data-dir', async () => {
  const noDataDir = await cli([
    '-onetime',
    '-join',
    SERVER,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  assert.equal(noDataDir.code, 1);
  assert.match(noDataDir.stderr, /join: the embedded node needs -data-dir to be a cluster member/);
  const otherBackend = await cli([
    '-onetime',
    '-backend',
    'env',
    '-join',
    SERVER,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  assert.equal(otherBackend.code, 1);
  assert.match(
    otherBackend.stderr,
    /join: only the embedded backend can join a cluster \(backend is env\)/,
  );
});
