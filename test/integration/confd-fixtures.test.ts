/**
 * confd's own integration fixtures (`../shared/confd-integration/integration/`), run through the
 * real `bin/confd -onetime` against every backend that can hold their data: the embedded store
 * (seeded -data-dir), our agent through the consul backend, env, and file. Outputs must equal
 * confd's `expect/` files byte for byte; nested renders as confd renders it (§8.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { integrationDir, needsConfdFixtures } from '../template/confd-integration.js';
import { startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runConfd } from '../daemon/confd-process.js';
import { seedDataDir } from '../daemon/fixtures.js';

const fixtures = integrationDir;
const noConfig = ['-config-file', '/nonexistent/confd.toml'];

/** The data of confd's consul/test.sh, as Consul keys. */
const seed: Record<string, string> = {
  key: 'foobar',
  'database/host': '127.0.0.1',
  'database/password': 'p@sSw0rd',
  'database/port': '3306',
  'database/username': 'confd',
  'upstream/app1': '10.0.1.10:8080',
  'upstream/app2': '10.0.1.11:8080',
  'nested/east/app1': '10.0.1.10:8080',
  'nested/west/app2': '10.0.1.11:8080',
  'prefix/database/host': '127.0.0.1',
  'prefix/database/password': 'p@sSw0rd',
  'prefix/database/port': '3306',
  'prefix/database/username': 'confd',
  'prefix/upstream/app1': '10.0.1.10:8080',
  'prefix/upstream/app2': '10.0.1.11:8080',
};

const nestedTail =
  '\n}\n\nserver {\n    server_name  www.example.com;\n    location / {\n' +
  '        proxy_pass        http://app;\n        proxy_redirect    off;\n' +
  '        proxy_set_header  Host             $host;\n' +
  '        proxy_set_header  X-Real-IP        $remote_addr;\n' +
  '        proxy_set_header  X-Forwarded-For  $proxy_add_x_forwarded_for;\n   }\n}\n';
/** nested with 2-level keys: `gets "/nested/*"` matches nothing (`*` does not cross `/`). */
const nestedEmpty = `upstream app {\n${nestedTail}`;
/** nested with 1-level keys (the file backend's data): one server block per app. */
const nestedFlat =
  'upstream app {\n' +
  '\n  \n    server 10.0.1.10:8080;\n  \n' +
  '\n  \n    server 10.0.1.11:8080;\n  \n' +
  nestedTail;

/** copyConfdir copies confd's confdir with every /tmp/confd-* dest moved into `dir`. */
async function copyConfdir(dir: string): Promise<string> {
  const confdir = join(dir, 'confdir');
  await cp(join(fixtures, 'confdir'), confdir, { recursive: true });
  for (const name of await readdir(join(confdir, 'conf.d'))) {
    const file = join(confdir, 'conf.d', name);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replaceAll('"/tmp/confd-', `"${dir}/confd-`));
  }
  return confdir;
}

async function checkOutputs(dir: string, nested: string): Promise<void> {
  const expect = (name: string) => readFile(join(fixtures, 'expect', name), 'utf8');
  const out = (name: string) => readFile(join(dir, name), 'utf8');
  assert.equal(await out('confd-basic-test.conf'), await expect('basic.conf'));
  assert.equal(await out('confd-exists-test.conf'), await expect('exists-test.conf'));
  assert.equal(await out('confd-iteration-test.conf'), await expect('iteration.conf'));
  assert.equal(await out('confd-manykeys-test.conf'), await expect('basic.conf'));
  assert.equal(await out('confd-nested-test.conf'), nested);
}

test(
  'confd fixtures: embedded store seeded in -data-dir',
  { skip: needsConfdFixtures() },
  async (t) => {
    const dir = await tempDir(t);
    const confdir = await copyConfdir(dir);
    const dataDir = join(dir, 'data');
    await seedDataDir(dataDir, seed);
    const r = await runConfd(
      [
        '--onetime',
        '--log-level',
        'debug',
        '--confdir',
        confdir,
        '-data-dir',
        dataDir,
        ...noConfig,
      ],
      { env: { HOSTNAME: 'localhost' } },
    );
    assert.equal(r.code, 0, r.stderr);
    await checkOutputs(dir, nestedEmpty);
  },
);

test(
  'confd fixtures: our agent through the consul backend',
  { skip: needsConfdFixtures() },
  async (t) => {
    const dir = await tempDir(t);
    const confdir = await copyConfdir(dir);
    const agent = await startAgent(t);
    for (const [key, value] of Object.entries(seed)) {
      const res = await fetch(`${agent.url}/v1/kv/${key}`, { method: 'PUT', body: value });
      assert.equal((await res.text()).trim(), 'true');
    }
    const node = agent.url.replace(/^http:\/\//, '');
    const r = await runConfd(
      [
        '--onetime',
        '--log-level',
        'debug',
        '--confdir',
        confdir,
        '--backend',
        'consul',
        '--node',
        node,
        ...noConfig,
      ],
      { env: { HOSTNAME: 'localhost' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.lines.includes(`INFO Backend source(s) set to ${node}`), r.stderr);
    await checkOutputs(dir, nestedEmpty);
  },
);

test('confd fixtures: env backend', { skip: needsConfdFixtures() }, async (t) => {
  const dir = await tempDir(t);
  const confdir = await copyConfdir(dir);
  const env: Record<string, string> = { HOSTNAME: 'localhost' };
  for (const [key, value] of Object.entries(seed))
    env[key.replaceAll('/', '_').toUpperCase()] = value;
  const r = await runConfd(['-onetime', '-confdir', confdir, '-backend', 'env', ...noConfig], {
    env,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.lines.includes('INFO Backend source(s) set to '), r.stderr);
  await checkOutputs(dir, nestedEmpty);
});

test(
  'confd fixtures: file backend over two YAML directories',
  { skip: needsConfdFixtures() },
  async (t) => {
    const dir = await tempDir(t);
    const confdir = await copyConfdir(dir);
    await mkdir(join(dir, 'backends1'));
    await mkdir(join(dir, 'backends2'));
    await writeFile(
      join(dir, 'backends1', '1.yml'),
      'key: foobar\ndatabase:\n  host: 127.0.0.1\n  password: p@sSw0rd\n  port: "3306"\n  username: confd\n',
    );
    await writeFile(
      join(dir, 'backends2', '1.yml'),
      'upstream:\n  app1: 10.0.1.10:8080\n  app2: 10.0.1.11:8080\nnested:\n  app1: 10.0.1.10:8080\n  app2: 10.0.1.11:8080\n',
    );
    const files = [join(dir, 'backends1'), join(dir, 'backends2')];
    // confd's file test passes --watch too: -onetime wins.
    const r = await runConfd(
      [
        '--onetime',
        '--confdir',
        confdir,
        '--backend',
        'file',
        '--file',
        files[0],
        '--file',
        files[1],
        '--watch',
        ...noConfig,
      ],
      { env: { HOSTNAME: 'localhost' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.lines.includes(`INFO Backend source(s) set to ${files.join(', ')}`), r.stderr);
    await checkOutputs(dir, nestedFlat);
  },
);
