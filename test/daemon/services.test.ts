/**
 * Service-aware templates end to end with the daemon's embedded store: services registered through
 * the catalog routes on -store-addr reach the template's `service` lookups, healthy ones only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, startConfd } from './confd-process.js';
import { makeConfdir, seedDataDir, toml } from './fixtures.js';

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
    'up.toml': {
      toml: toml({
        src: 'up.tmpl',
        dest: join(dir, 'out', 'up.conf'),
        keys: ['/app'],
        reload_cmd: `echo reload >> ${join(dir, 'reloads')}`,
      }),
      template: { name: 'up.tmpl', text: template },
    },
  });
  const confd = startConfd(t, [
    '-watch',
    '-log-level',
    'debug',
    '-confdir',
    confdir,
    '-data-dir',
    dataDir,
    '-store-addr',
    '127.0.0.1:0',
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  const listening = await confd.waitForLine(/Store HTTP API listening on (\S+):(\d+)/);
  const base = `http://${listening[1]}:${listening[2]}`;
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
  await eventually(async () => (await read()).endsWith('# v2\n'), { what: 'the re-render' });
  assert.equal(
    await read(),
    'upstream web {\n  server 10.0.0.1:8081; # web-1\n  server 10.0.0.1:8082; # web-2\n}\n# v2\n',
    'both passing instances, sorted',
  );
  const reloads = async () =>
    (await readFile(join(dir, 'reloads'), 'utf8').catch(() => '')).split('\n').length - 1;
  const before = await reloads();

  // A health flip alone (no key change) re-renders the upstream and runs reload_cmd.
  const renders = () => confd.lines().filter((l) => /Target config .*up\.conf/.test(l)).length;
  const rendersAtFlip = renders();
  await put(base, '/v1/agent/check/fail/service:web-1');
  await eventually(async () => !(await read()).includes('web-1'), { what: 'the flip' }).catch(
    (err: unknown) => {
      throw new Error(confd.lines().slice(-40).join('\n'), { cause: err });
    },
  );
  assert.equal(await read(), 'upstream web {\n  server 10.0.0.1:8082; # web-2\n}\n# v2\n');
  await eventually(async () => (await reloads()) > before, { what: 'reload_cmd' });
  // "out of sync" and, once reload_cmd is done, "has been updated": wait for both lines.
  await eventually(() => renders() >= rendersAtFlip + 2, { what: 'the flip log lines' });

  // An unrelated service does not re-render the resource.
  const lineCount = confd.lines().length;
  const rendersBefore = renders();
  await put(base, '/v1/agent/service/register', { Name: 'db', ID: 'db-1', Port: 5432 });
  // A blocking query on web at its current index times out: nothing web-related changed, and the
  // daemon had that long to (wrongly) re-render.
  const head = await fetch(`${base}/v1/health/service/web`);
  await head.arrayBuffer();
  const webIndex = head.headers.get('x-consul-index') ?? '1';
  const blocked = await fetch(`${base}/v1/health/service/web?index=${webIndex}&wait=300ms`);
  await blocked.arrayBuffer();
  assert.equal(blocked.headers.get('x-consul-index'), webIndex);
  assert.equal(renders(), rendersBefore);
  assert.ok(
    !confd
      .lines()
      .slice(lineCount)
      .some((l) => l.includes('up.conf')),
  );
  assert.equal(await confd.stop(), 0);
});
