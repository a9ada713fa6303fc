/**
 * Service-aware templates end to end with the daemon's embedded store: services registered through
 * the catalog routes on -store-addr reach the template's `service` lookups, healthy ones only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, startWatchingConfd } from './confd-process.js';
import { makeConfdir, resource, seedDataDir } from './fixtures.js';

async function put(base: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'PUT',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.equal(res.status, 200, `${path}: ${await res.text()}`);
}

test('embedded store: service lookups render healthy instances', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir, { 'app/v': '1' });
  const template =
    'upstream web {\n{{range service "web"}}  server {{.Address}}:{{.Port}}; # {{.ID}}\n' +
    '{{else}}  server 127.0.0.1:65535 down;\n{{end}}}\n# v{{getv "/app/v"}}\n';
  const { confdir, out } = await makeConfdir(dir, {
    'up.toml': resource('up.tmpl', template, {
      dest: join(dir, 'out', 'up.conf'),
      keys: ['/app'],
      reload_cmd: `cat ${join(dir, 'out', 'up.conf')} >> ${join(dir, 'reloads')}`,
    }),
  });
  const { confd, url: base } = await startWatchingConfd(t, confdir, ['-data-dir', dataDir]);
  const target = join(out, 'up.conf');
  const read = () => readFile(target, 'utf8').catch(() => '');
  await eventually(async () => (await read()).includes('65535 down'), {
    what: 'the fallback',
  }).catch((err: unknown) => {
    throw new Error(confd.stderr(), { cause: err });
  });

  for (const [id, port] of [
    ['web-1', 8081],
    ['web-2', 8082],
  ] as const) {
    await put(base, '/v1/agent/service/register', {
      Name: 'web',
      ID: id,
      Address: '10.0.0.1',
      Port: port,
      Check: { TTL: '30s' },
    });
  }
  await put(base, '/v1/agent/check/pass/service:web-1');
  await put(base, '/v1/agent/check/pass/service:web-2');
  // A key change re-renders the resource, which looks the services up again.
  await fetch(`${base}/v1/kv/app/v`, { method: 'PUT', body: '2' });
  const both =
    'upstream web {\n  server 10.0.0.1:8081; # web-1\n  server 10.0.0.1:8082; # web-2\n}\n# v2\n';
  // reload_cmd appends what it reloaded, so a reload is matched to the render that ran it.
  const reloaded = () => readFile(join(dir, 'reloads'), 'utf8').catch(() => '');
  await eventually(async () => (await reloaded()).endsWith(both), { what: 'the re-render' });
  assert.equal(await read(), both, 'both passing instances, sorted');

  // A health flip alone (no key change) re-renders the upstream and runs reload_cmd.
  const flipped = 'upstream web {\n  server 10.0.0.1:8082; # web-2\n}\n# v2\n';
  await put(base, '/v1/agent/check/fail/service:web-1');
  await eventually(async () => (await reloaded()).endsWith(flipped), { what: 'the flip' }).catch(
    (err: unknown) => {
      throw new Error(confd.lines().slice(-40).join('\n'), { cause: err });
    },
  );
  assert.equal(await read(), flipped);
  // "has been updated" is logged once reload_cmd is done: wait for the flip's line too.
  const updatedLine = /Target config \S*up\.conf has been updated/;
  const reloads = async () => (await reloaded()).split('upstream web {').length - 1;
  await eventually(
    async () => confd.lines().filter((l) => updatedLine.test(l)).length === (await reloads()),
    { what: "the flip's log line" },
  );

  // An unrelated service does not wake the web lookup, so the resource is not re-rendered. Late
  // rounds of earlier web changes may still render it (in sync): they carry web's older indexes.
  const lineCount = confd.lines().length;
  const reloadsBefore = await reloads();
  await put(base, '/v1/agent/service/register', { Name: 'db', ID: 'db-1', Port: 5432 });
  // A blocking query on web at its current index times out: nothing web-related changed, and the
  // daemon had that long to (wrongly) re-render.
  const head = await fetch(`${base}/v1/health/service/web`);
  await head.arrayBuffer();
  const webIndex = Number(head.headers.get('x-consul-index'));
  const blocked = await fetch(`${base}/v1/health/service/web?index=${webIndex}&wait=300ms`);
  await blocked.arrayBuffer();
  assert.equal(Number(blocked.headers.get('x-consul-index')), webIndex);
  const wakes = confd
    .lines()
    .map((l) => /Catalog lookup (\S+) changed at index (\d+)/.exec(l))
    .filter((m) => m !== null);
  assert.ok(wakes.length > 0, 'the web lookup woke for the earlier web changes');
  for (const [line, id, index] of wakes) {
    assert.ok(Number(index) <= webIndex, `woken by a change beyond web's index: ${line}`);
    assert.match(id, /web/);
  }
  const later = confd.lines().slice(lineCount);
  assert.deepEqual(
    later.filter((l) => /up\.conf (out of sync|has been updated)/.test(l)),
    [],
    'no change to up.conf',
  );
  assert.equal(await reloads(), reloadsBefore, 'no reload');
  assert.equal(await confd.stop(), 0);
});
