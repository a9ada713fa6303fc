import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { runConfd } from './confd-process.js';
import { makeConfdir, seedDataDir, toml } from './fixtures.js';

const noConfig = ['-config-file', '/nonexistent/confd.toml'];

test('-onetime renders from the embedded store seeded in -data-dir, with confd log lines', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir, { 'app/name': 'shop', 'app/port': '8080', 'other/x': 'y' });
  const { confdir, out } = await makeConfdir(dir, {
    'app.toml': {
      toml: toml({
        src: 'app.conf.hbs',
        dest: join(dir, 'out', 'app.conf'),
        keys: ['/app'],
        mode: '0600',
      }),
      template: {
        name: 'app.conf.hbs',
        text: 'name={{getv "/app/name"}} port={{getv "/app/port"}}\n',
      },
    },
  });
  const args = [
    '-onetime',
    '-confdir',
    confdir,
    '-data-dir',
    dataDir,
    '-log-level',
    'debug',
    ...noConfig,
  ];
  const first = await runConfd(args);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.equal(await readFile(join(out, 'app.conf'), 'utf8'), 'name=shop port=8080\n');
  assert.equal((await stat(join(out, 'app.conf'))).mode & 0o777, 0o600);
  assert.deepEqual(first.lines.slice(0, 3), [
    'INFO Backend set to embedded',
    'INFO Starting confd',
    'INFO Backend source(s) set to 127.0.0.1:8500',
  ]);
  const dest = join(out, 'app.conf');
  for (const line of [
    `DEBUG Loading template resources from confdir ${confdir}`,
    `DEBUG Found template: ${join(confdir, 'conf.d', 'app.toml')}`,
    `DEBUG Loading template resource from ${join(confdir, 'conf.d', 'app.toml')}`,
    'DEBUG Retrieving keys from store',
    'DEBUG Key prefix set to /',
    'DEBUG Got the following map from store: map[/app/name:shop /app/port:8080]',
    `DEBUG Using source template ${join(confdir, 'templates', 'app.conf.hbs')}`,
    `DEBUG Compiling source template ${join(confdir, 'templates', 'app.conf.hbs')}`,
    `DEBUG Comparing candidate config to ${dest}`,
    `INFO Target config ${dest} out of sync`,
    `DEBUG Overwriting target config ${dest}`,
    `INFO Target config ${dest} has been updated`,
  ]) {
    assert.ok(first.lines.includes(line), `missing line: ${line}\n${first.stderr}`);
  }
  // The log line head is confd's: RFC 3339 time, host, argv[0][pid].
  assert.match(
    first.stderr,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) \S+ \S*confd\[\d+\]: INFO Backend set to embedded\n/,
  );

  const second = await runConfd(args);
  assert.equal(second.code, 0);
  assert.ok(second.lines.includes(`DEBUG Target config ${dest} in sync`), second.stderr);
  assert.ok(!second.lines.some((l) => l.includes('out of sync')));
});

test('-onetime: every resource is tried; the last error is logged ERROR then FATAL; exit 1', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir, { k: 'v' });
  const { confdir, out } = await makeConfdir(dir, {
    'a.toml': {
      toml: toml({ src: 'a.hbs', dest: join(dir, 'out', 'a'), keys: ['/k'] }),
      template: { name: 'a.hbs', text: 'a={{getv "/k"}}\n' },
    },
    'b.toml': { toml: '[template]\nsrc = "b.hbs"\nkeys = [\n' },
    'c.toml': {
      toml: toml({ src: 'c.hbs', dest: join(dir, 'out', 'c'), keys: ['/k'] }),
      template: { name: 'c.hbs', text: 'c={{getv "/k"}}\n' },
    },
    'd.toml': { toml: toml({ src: 'missing.hbs', dest: join(dir, 'out', 'd'), keys: ['/k'] }) },
  });
  const r = await runConfd(['-onetime', '-confdir', confdir, '-data-dir', dataDir, ...noConfig]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(await readFile(join(out, 'a'), 'utf8'), 'a=v\n');
  assert.equal(await readFile(join(out, 'c'), 'utf8'), 'c=v\n');
  const errors = r.lines.filter((l) => l.startsWith('ERROR '));
  assert.match(
    errors[0] ?? '',
    /^ERROR Cannot process template resource .*b\.toml - line 4, column 1: invalid value$/,
  );
  const missing = `Missing template: ${join(confdir, 'templates', 'missing.hbs')}`;
  assert.equal(errors.at(-1), `ERROR ${missing}`);
  assert.equal(r.lines.at(-1), `FATAL ${missing}`);
});

test('check_cmd failing leaves the target untouched; -noop logs a diff; -sync-only skips the check', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir, { k: 'new' });
  const dest = join(dir, 'out', 'x.conf');
  const { confdir } = await makeConfdir(dir, {
    'x.toml': {
      toml: toml({ src: 'x.hbs', dest, keys: ['/k'], check_cmd: 'test -s {{.src}} && exit 3' }),
      template: { name: 'x.hbs', text: 'value={{getv "/k"}}\n' },
    },
  });
  await writeFile(dest, 'value=old\n');
  const base = ['-onetime', '-confdir', confdir, '-data-dir', dataDir, ...noConfig];
  const checked = await runConfd(base);
  assert.equal(checked.code, 1);
  assert.equal(await readFile(dest, 'utf8'), 'value=old\n');
  assert.ok(checked.lines.includes(`INFO Target config ${dest} out of sync`), checked.stderr);
  assert.equal(checked.lines.at(-1), 'FATAL Config check failed: exit status 3');

  const noop = await runConfd([...base, '-noop']);
  assert.equal(noop.code, 0, noop.stderr);
  assert.equal(await readFile(dest, 'utf8'), 'value=old\n');
  assert.ok(
    noop.lines.includes(`WARNING Noop mode enabled. ${dest} will not be modified`),
    noop.stderr,
  );
  assert.match(noop.stderr, /-value=old\n\+value=new\n/);

  // -sync-only installs the file without running check_cmd (nor reload_cmd).
  const syncOnly = await runConfd([...base, '-sync-only']);
  assert.equal(syncOnly.code, 0, syncOnly.stderr);
  assert.equal(await readFile(dest, 'utf8'), 'value=new\n');
});

test('bad backends: Invalid backend, unsupported confd backends, watch unsupported', async () => {
  const invalid = await runConfd([
    '-onetime',
    '-backend',
    'nope',
    '-confdir',
    '/nonexistent',
    ...noConfig,
  ]);
  assert.equal(invalid.code, 1);
  assert.deepEqual(invalid.lines, [
    'INFO Backend set to nope',
    'INFO Starting confd',
    'INFO Backend source(s) set to ',
    'FATAL Invalid backend',
  ]);
  const zk = await runConfd([
    '-onetime',
    '-backend',
    'zookeeper',
    '-confdir',
    '/nonexistent',
    ...noConfig,
  ]);
  assert.equal(zk.code, 1);
  assert.equal(zk.lines.at(-1), 'FATAL backend zookeeper is not supported');
  assert.ok(zk.lines.includes('INFO Backend source(s) set to 127.0.0.1:2181'), zk.stderr);
  const ddb = await runConfd(['-onetime', '-watch', '-backend', 'dynamodb', ...noConfig]);
  assert.equal(ddb.code, 1);
  assert.deepEqual(ddb.lines, [
    'INFO Backend set to dynamodb',
    'INFO Watch is not supported for backend dynamodb. Exiting...',
  ]);
});

test('-log-format json writes one object a line; a missing confdir only warns', async () => {
  const r = await runConfd([
    '-onetime',
    '-log-format',
    'json',
    '-confdir',
    '/nonexistent/dir',
    ...noConfig,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const objects = r.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(objects[0] && { level: objects[0].level, msg: objects[0].msg }, {
    level: 'info',
    msg: 'Backend set to embedded',
  });
  assert.equal(typeof objects[0]?.pid, 'number');
  assert.ok(
    objects.some(
      (o) =>
        o.level === 'warning' &&
        o.msg === "Cannot load template resources: confdir '/nonexistent/dir' does not exist",
    ),
  );
});

test('confd.toml is read from -config-file, and flags typed on the command line win over it', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'confd.toml');
  await writeFile(
    file,
    'backend = "env"\nconfdir = "/nonexistent/from-file"\nlog-level = "warn"\n',
  );
  const fromFile = await runConfd(['-onetime', '-config-file', file, '-log-level', 'info']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.lines[0], 'INFO Backend set to env');
  assert.ok(
    fromFile.lines.includes(
      "WARNING Cannot load template resources: confdir '/nonexistent/from-file' does not exist",
    ),
    fromFile.stderr,
  );
  const flagWins = await runConfd(['-onetime', '-config-file', file, '-backend', 'embedded']);
  assert.equal(flagWins.code, 0, flagWins.stderr);
  // log-level "warn" from the file hides the INFO start-up lines.
  assert.deepEqual(flagWins.lines, [
    "WARNING Cannot load template resources: confdir '/nonexistent/from-file' does not exist",
  ]);
  await writeFile(file, 'backend = "env"\ninterval = "soon"\n');
  const bad = await runConfd(['-onetime', '-config-file', file]);
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.lines, [`FATAL ${file}:2: interval: must be an integer`]);
});
