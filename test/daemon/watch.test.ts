import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { embeddedStoreArgs, eventually, runConfd, startWatchingConfd } from './confd-process.js';
import type { RunningConfd } from './confd-process.js';
import { makeConfdir, resource, toml } from './fixtures.js';

async function put(url: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${url}/v1/kv/${key}`, { method: 'PUT', body: value });
  assert.equal(await res.text(), 'true');
}

/** confdirWithA writes a confdir with one resource: `a.hbs` (`text`) to out/a over /a. */
function confdirWithA(
  dir: string,
  text: string,
  fields: Record<string, string | string[]> = {},
): Promise<{ confdir: string; out: string }> {
  return makeConfdir(dir, {
    'a.toml': resource('a.hbs', text, { dest: join(dir, 'out', 'a'), keys: ['/a'], ...fields }),
  });
}

const count = (confd: RunningConfd, text: string) =>
  confd.lines().filter((l) => l.includes(text)).length;

test('-watch on the embedded store: a PUT re-renders; an unrelated key does not', async (t) => {
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'a.toml': resource('a.hbs', 'proxy={{getv "/app/proxy" "example.com"}}\n', {
      dest: join(dir, 'out', 'a.conf'),
      keys: ['/app'],
    }),
    'b.toml': resource('b.hbs', 'db={{getv "/db/host" "localhost"}}\n', {
      dest: join(dir, 'out', 'b.conf'),
      keys: ['/db'],
    }),
  });
  const { confd, url } = await startWatchingConfd(t, confdir);
  const a = join(out, 'a.conf');
  const b = join(out, 'b.conf');
  await eventually(
    async () => (await readFile(a, 'utf8').catch(() => '')) === 'proxy=example.com\n',
  );
  await eventually(async () => (await readFile(b, 'utf8').catch(() => '')) === 'db=localhost\n');
  const compileA = `Compiling source template ${join(confdir, 'templates', 'a.hbs')}`;
  const compileB = `Compiling source template ${join(confdir, 'templates', 'b.hbs')}`;
  assert.equal(count(confd, compileA), 1);

  const mark = confd.lines().length;
  await put(url, 'app/proxy', 'google.com');
  await eventually(async () => (await readFile(a, 'utf8')) === 'proxy=google.com\n', {
    what: 'a re-render',
  });
  await confd.waitForLine(new RegExp(`^INFO Target config ${a} has been updated$`), { from: mark });
  assert.equal(count(confd, compileA), 2);
  // b shares the "/" prefix subscription but its keys did not change: not rendered again.
  assert.equal(count(confd, compileB), 1);

  const mark2 = confd.lines().length;
  await put(url, 'unrelated/key', 'x');
  await confd.waitForLine(new RegExp(`^DEBUG Keys of ${a} unchanged; not rendering$`), {
    from: mark2,
  });
  await confd.waitForLine(new RegExp(`^DEBUG Keys of ${b} unchanged; not rendering$`), {
    from: mark2,
  });
  assert.equal(await confd.stop('SIGINT'), 0);
  assert.equal(count(confd, compileA), 2);
  assert.equal(count(confd, compileB), 1);
  assert.ok(confd.lines().includes('INFO Captured interrupt. Exiting...'));
});

test('SIGTERM ends the daemon with "Captured terminated. Exiting..." and exit 0', async (t) => {
  const dir = await tempDir(t);
  const { confdir } = await confdirWithA(dir, 'x\n');
  const { confd } = await startWatchingConfd(t, confdir);
  await confd.waitForLine(/has been updated$/);
  assert.equal(await confd.stop('SIGTERM'), 0);
  assert.ok(confd.lines().includes('INFO Captured terminated. Exiting...'));
});

test('SIGHUP: a broken new set is rejected and the old one keeps running; a good set applies', async (t) => {
  const dir = await tempDir(t);
  const { confdir, out } = await confdirWithA(dir, 'a={{getv "/a/v" "0"}}\n');
  const { confd, url } = await startWatchingConfd(t, confdir);
  await eventually(
    async () => (await readFile(join(out, 'a'), 'utf8').catch(() => '')) === 'a=0\n',
  );

  await writeFile(join(confdir, 'conf.d', 'b.toml'), '[template]\nsrc = "b.hbs"\nkeys = [\n');
  let mark = confd.lines().length;
  confd.signal('SIGHUP');
  await confd.waitForLine(/^ERROR Reload failed; keeping the previous template resources$/, {
    from: mark,
  });
  assert.ok(
    confd
      .lines()
      .slice(mark)
      .some((l) => /^ERROR Cannot process template resource .*b\.toml - line 4/.test(l)),
  );
  // The old set still reacts to changes.
  await put(url, 'a/v', '1');
  await eventually(async () => (await readFile(join(out, 'a'), 'utf8')) === 'a=1\n', {
    what: 'old set render',
  });

  await writeFile(
    join(confdir, 'conf.d', 'b.toml'),
    toml({ src: 'b.hbs', dest: join(out, 'b'), keys: ['/b'] }),
  );
  await writeFile(join(confdir, 'templates', 'b.hbs'), 'b={{getv "/b/v" "none"}}\n');
  mark = confd.lines().length;
  confd.signal('SIGHUP');
  await confd.waitForLine(/^INFO Reloaded 2 template resource\(s\)$/, { from: mark });
  await eventually(
    async () => (await readFile(join(out, 'b'), 'utf8').catch(() => '')) === 'b=none\n',
  );
  await put(url, 'b/v', 'yes');
  await eventually(async () => (await readFile(join(out, 'b'), 'utf8')) === 'b=yes\n', {
    what: 'new set render',
  });
  assert.equal(await confd.stop('SIGTERM'), 0);
});

test('a failed reload_cmd is retried on the next pass; check_cmd sees {{.src}}', async (t) => {
  const dir = await tempDir(t);
  const marker = join(dir, 'reload-ok');
  const reloads = join(dir, 'reloads');
  const { confdir, out } = await confdirWithA(dir, 'a={{getv "/a/v" "0"}}\n', {
    check_cmd: 'grep -q "^a=" {{.src}}',
    reload_cmd: `test -e ${marker} && echo reloaded >> ${reloads}`,
  });
  const { confd, url } = await startWatchingConfd(t, confdir);
  await confd.waitForLine(/^ERROR exit status 1$/);
  assert.equal(await readFile(join(out, 'a'), 'utf8'), 'a=0\n');
  assert.ok(!confd.lines().some((l) => l.includes('has been updated')));

  await writeFile(marker, '');
  const mark = confd.lines().length;
  // Any change under the prefix triggers a pass; the pending reload runs although dest is in sync.
  await put(url, 'elsewhere', '1');
  await eventually(async () => (await readFile(reloads, 'utf8').catch(() => '')) === 'reloaded\n', {
    what: 'the retried reload',
  });
  assert.ok(
    confd
      .lines()
      .slice(mark)
      .some((l) => l.startsWith('INFO Retrying reload of')),
  );
  assert.equal(await confd.stop(), 0);
});

test('-wait batches a burst of writes into one render and one reload', async (t) => {
  const dir = await tempDir(t);
  const reloads = join(dir, 'reloads');
  const { confdir, out } = await confdirWithA(dir, '{{getv "/a/v" "0"}}\n', {
    reload_cmd: `echo r >> ${reloads}`,
  });
  const { confd, url } = await startWatchingConfd(t, confdir, ['-wait', '1s:5s']);
  await eventually(async () => (await readFile(reloads, 'utf8').catch(() => '')) === 'r\n');
  for (let i = 1; i <= 5; i++) await put(url, 'a/v', String(i));
  await eventually(async () => (await readFile(join(out, 'a'), 'utf8')) === '5\n', {
    what: 'the batched render',
  });
  await eventually(async () => (await readFile(reloads, 'utf8')) === 'r\nr\n');
  const renders = confd.lines().filter((l) => l.includes('Compiling source template')).length;
  assert.equal(renders, 2, confd.stderr());
  assert.equal(await confd.stop(), 0);
});

test('the embedded store keeps its writes in -data-dir across restarts', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  const { confdir, out } = await confdirWithA(dir, 'a={{getv "/a/v" "unset"}}\n');
  const { confd, url } = await startWatchingConfd(t, confdir, ['-data-dir', dataDir]);
  await eventually(
    async () => (await readFile(join(out, 'a'), 'utf8').catch(() => '')) === 'a=unset\n',
  );
  await put(url, 'a/v', 'kept');
  await eventually(async () => (await readFile(join(out, 'a'), 'utf8')) === 'a=kept\n');
  assert.equal(await confd.stop(), 0);
  await writeFile(join(out, 'a'), '');
  const again = await runConfd([
    '-onetime',
    '-confdir',
    confdir,
    '-data-dir',
    dataDir,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await readFile(join(out, 'a'), 'utf8'), 'a=kept\n');
});

test('SIGTERM during a render lets it finish (reload_cmd included) before exiting 0', async (t) => {
  const dir = await tempDir(t);
  const started = join(dir, 'started');
  const finished = join(dir, 'finished');
  const { confdir } = await confdirWithA(dir, 'a\n', {
    reload_cmd: `touch ${started}; sleep 1; touch ${finished}`,
  });
  const { confd } = await startWatchingConfd(t, confdir);
  await eventually(
    async () =>
      await readFile(started, 'utf8')
        .then(() => true)
        .catch(() => false),
  );
  assert.equal(await confd.stop('SIGTERM'), 0);
  assert.equal(await readFile(finished, 'utf8'), '');
  const lines = confd.lines();
  const captured = lines.indexOf('INFO Captured terminated. Exiting...');
  const updated = lines.findIndex((l) => /^INFO Target config .* has been updated$/.test(l));
  assert.ok(captured !== -1 && updated > captured, confd.stderr());
});

test('-watch retries a failed reload_cmd on a timer, without any new change', async (t) => {
  const dir = await tempDir(t);
  const marker = join(dir, 'reload-ok');
  const reloads = join(dir, 'reloads');
  const { confdir } = await confdirWithA(dir, 'a\n', {
    reload_cmd: `test -e ${marker} && echo reloaded >> ${reloads}`,
  });
  const { confd } = await startWatchingConfd(t, confdir);
  await confd.waitForLine(/^ERROR exit status 1$/);
  await writeFile(marker, '');
  await eventually(async () => (await readFile(reloads, 'utf8').catch(() => '')) === 'reloaded\n', {
    what: 'the timed retry',
  });
  assert.ok(confd.lines().some((l) => l.startsWith('INFO Retrying reload of')));
  assert.equal(await confd.stop(), 0);
});

test('-watch exits 0 when confdir does not exist, and 1 when nothing in conf.d loads', async (t) => {
  const dir = await tempDir(t);
  const none = await runConfd(['-watch', ...embeddedStoreArgs(join(dir, 'absent'))]);
  assert.equal(none.code, 0, none.stderr);
  assert.ok(
    none.lines.includes(
      `WARNING Cannot load template resources: confdir '${join(dir, 'absent')}' does not exist`,
    ),
  );
  const bad = await runConfd(['-watch', ...embeddedStoreArgs(dir)]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.equal(bad.lines.at(-1), `FATAL stat ${join(dir, 'conf.d')}: no such file or directory`);
});

test('-watch re-renders a resource when its template file changes on disk', async (t) => {
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'a.toml': resource('a.tmpl', 'one {{getv "/a/v" "x"}}\n', {
      dest: join(dir, 'out', 'a'),
      keys: ['/a'],
    }),
    'b.toml': resource('b.tmpl', 'b\n', { dest: join(dir, 'out', 'b'), keys: ['/b'] }),
  });
  const { confd } = await startWatchingConfd(t, confdir);
  await eventually(
    async () => (await readFile(join(out, 'a'), 'utf8').catch(() => '')) === 'one x\n',
  );
  await eventually(async () => (await readFile(join(out, 'b'), 'utf8').catch(() => '')) === 'b\n');
  await writeFile(join(confdir, 'templates', 'a.tmpl'), 'two {{getv "/a/v" "x"}}\n');
  await eventually(async () => (await readFile(join(out, 'a'), 'utf8')) === 'two x\n', {
    what: 'the re-render after the template edit',
  });
  const compilesOfB = confd
    .lines()
    .filter((l) => l === `DEBUG Compiling source template ${join(confdir, 'templates', 'b.tmpl')}`);
  assert.equal(compilesOfB.length, 1);
  assert.equal(await confd.stop(), 0);
});
