/**
 * The `confd` executable runs the bundled CLI with a V8 code cache (bin/run-bundle.cjs). The cache
 * only saves compile time: these tests run a copy of the built executable without a cache, with the
 * cache of another build and with a corrupt one, and expect the same output each time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runConfd } from './confd-process.js';
import { makeConfdir, toml } from './fixtures.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** run runs `node <bin> ...args` to completion. */
function run(bin: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { PATH: process.env.PATH }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * installCopy lays out `<dir>/bin` and `<dir>/dist/bundle` as in the checkout (packages through a
 * node_modules link) and returns the copy's `bin/confd`. `bundle: false` leaves the bundle out.
 */
async function installCopy(dir: string, { bundle = true } = {}): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'dist', 'bundle'), { recursive: true });
  for (const name of ['confd', 'run-bundle.cjs', 'package.json']) {
    await copyFile(join(repoRoot, 'bin', name), join(dir, 'bin', name));
  }
  await copyFile(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  if (bundle) {
    await copyFile(
      join(repoRoot, 'dist', 'bundle', 'confd.cjs'),
      join(dir, 'dist', 'bundle', 'confd.cjs'),
    );
  }
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin', 'confd');
}

test('confd gives the same output without a code cache, with the cache of another build or a corrupt one', async (t) => {
  const dir = await tempDir(t);
  const bin = await installCopy(join(dir, 'install'));
  const { confdir, out } = await makeConfdir(dir, {
    'app.toml': {
      toml: toml({ src: 'app.tmpl', dest: join(dir, 'out', 'app.conf'), keys: ['/app'] }),
      template: { name: 'app.tmpl', text: 'name={{getv "/app/name" "none"}}\n' },
    },
  });
  const bundle = await readFile(join(dir, 'install', 'dist', 'bundle', 'confd.cjs'), 'latin1');
  const idLine = bundle.slice(0, bundle.indexOf('\n') + 1);
  const cacheFile = join(dir, 'install', 'dist', 'bundle', 'confd.cjs.cache');
  const version = await readFile(join(repoRoot, 'package.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { version: string }).version,
  );
  const caches: [string, Buffer | undefined][] = [
    ['no cache', undefined],
    [
      'another build',
      Buffer.concat([Buffer.from('// confd-bundle 0123\n'), Buffer.alloc(4096, 7)]),
    ],
    ['corrupt', Buffer.concat([Buffer.from(idLine, 'latin1'), Buffer.alloc(4096, 7)])],
  ];
  for (const [what, cache] of caches) {
    if (cache) await writeFile(cacheFile, cache);
    const shown = await run(bin, ['-version'], dir);
    assert.deepEqual(
      shown,
      { code: 0, stdout: `confd ${version} (Node Version: ${process.version})\n`, stderr: '' },
      what,
    );
    const once = await run(
      bin,
      ['-onetime', '-confdir', confdir, '-config-file', join(dir, 'absent.toml')],
      dir,
    );
    assert.equal(once.code, 0, `${what}: ${once.stderr}`);
    assert.match(once.stderr, /INFO Backend set to embedded\n/, what);
    assert.equal(await readFile(join(out, 'app.conf'), 'utf8'), 'name=none\n', what);
  }
});

test('confd without its bundle says to build it', async (t) => {
  const dir = await tempDir(t);
  const bin = await installCopy(dir, { bundle: false });
  const r = await run(bin, ['-version'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /confd is not built \(ENOENT: .*\); run `npm run build`/);
});

test('lookupIP in a template works in the bundled executable (node:dns/promises loads on use)', async (t) => {
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'hosts.toml': {
      toml: toml({ src: 'hosts.tmpl', dest: join(dir, 'out', 'hosts'), keys: ['/hosts'] }),
      template: {
        name: 'hosts.tmpl',
        text: '{{range lookupIP "localhost"}}{{.}}\n{{end}}',
      },
    },
  });
  const r = await runConfd(['-onetime', '-confdir', confdir, '-config-file', join(dir, 'no.toml')]);
  assert.equal(r.code, 0, r.stderr);
  const addresses = (await readFile(join(out, 'hosts'), 'utf8')).split('\n').filter(Boolean);
  assert.ok(addresses.length > 0);
  for (const a of addresses) assert.match(a, /^(127\.\d+\.\d+\.\d+|::1)$/);
});
