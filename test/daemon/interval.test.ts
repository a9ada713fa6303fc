import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { embeddedStoreArgs, eventually, startConfd } from './confd-process.js';
import { makeConfdir, resource, seedDataDir, toml } from './fixtures.js';

test('interval mode re-reads conf.d every pass; a bad file does not stop the others', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir, { 'a/v': '1', 'b/v': '2' });
  const { confdir, out } = await makeConfdir(dir, {
    'a.toml': resource('a.hbs', 'a={{getv "/a/v"}}\n', {
      dest: join(dir, 'out', 'a'),
      keys: ['/a'],
    }),
    'broken.toml': { toml: '[template\n' },
  });
  const confd = startConfd(t, ['-interval', '1', ...embeddedStoreArgs(confdir, dataDir)]);
  await eventually(
    async () => (await readFile(join(out, 'a'), 'utf8').catch(() => '')) === 'a=1\n',
  );
  await confd.waitForLine(/^ERROR Cannot process template resource .*broken\.toml - line 1/);
  // A resource added while running is picked up by the next pass.
  await writeFile(join(confdir, 'templates', 'b.hbs'), 'b={{getv "/b/v"}}\n');
  await writeFile(
    join(confdir, 'conf.d', 'b.toml'),
    toml({ src: 'b.hbs', dest: join(out, 'b'), keys: ['/b'] }),
  );
  await eventually(
    async () => (await readFile(join(out, 'b'), 'utf8').catch(() => '')) === 'b=2\n',
    {
      timeoutMs: 20_000,
      what: 'the new resource',
    },
  );
  // Someone edits a target by hand: the next pass puts it back (confd compares every pass).
  await writeFile(join(out, 'a'), 'hand edit\n');
  await eventually(async () => (await readFile(join(out, 'a'), 'utf8')) === 'a=1\n', {
    timeoutMs: 20_000,
  });
  assert.equal(await confd.stop(), 0);
});
