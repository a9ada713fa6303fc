/** The composition root in process: createDaemon with a resolved config, a real store and files. */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveConfig } from '../../src/config.js';
import { createDaemon, splitHostPort } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually } from './confd-process.js';
import { makeConfdir, resource } from './fixtures.js';

test('createDaemon: -watch renders, reacts to the HTTP API, and stops when its signal aborts', async (t) => {
  const { dest, put, url, controller, daemon, exit } = await startWatchDaemon(t);
  await put('set');
  await eventually(async () => (await readFile(dest, 'utf8')) === 'set\n');
  controller.abort();
  assert.equal(await exit, 0);
  await daemon.close();
  // The HTTP API is closed with the daemon.
  await assert.rejects(fetch(`${url}/v1/kv/a/v`));
});

test('splitHostPort parses -store-addr', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:8500'), { host: '127.0.0.1', port: 8500 });
  assert.deepEqual(splitHostPort('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(splitHostPort(':8500'), { host: '127.0.0.1', port: 8500 });
  assert.throws(() => splitHostPort('localhost'), /store-addr: want host:port, got "localhost"/);
  assert.throws(() => splitHostPort('h:70000'), /invalid port/);
});

/**
 * startWatchDaemon runs an in-process `-watch` daemon on the embedded store (with `clock` for its
 * watch loops) rendering `/a/v` into `dest` (plus `fields` in its resource), and waits for the
 * first render.
 */
async function startWatchDaemon(
  t: TestContext,
  clock?: FakeClock,
  fields: Record<string, string> = {},
) {
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'a.toml': resource('a.tmpl', '{{getv "/a/v" "none"}}\n', {
      dest: join(dir, 'out', 'a'),
      keys: ['/a'],
      ...fields,
    }),
  });
  const config = await resolveConfig({
    flags: {
      configFile: '/nonexistent/confd.toml',
      confdir,
      watch: true,
      storeAddr: '127.0.0.1:0',
    },
    env: {},
  });
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const controller = new AbortController();
  const daemon = createDaemon({
    config,
    logger,
    env: {},
    signal: controller.signal,
    watchClock: clock,
  });
  const exit = daemon.run();
  t.after(async () => {
    controller.abort();
    await exit;
  });
  const dest = join(out, 'a');
  await eventually(async () => (await readFile(dest, 'utf8').catch(() => '')) === 'none\n');
  const listening = lines.map((l) => /Store HTTP API listening on (\S+)\n$/.exec(l)).find(Boolean);
  assert.ok(listening);
  const url = `http://${listening[1]}`;
  const put = async (value: string) => {
    const res = await fetch(`${url}/v1/kv/a/v`, { method: 'PUT', body: value });
    assert.equal(await res.text(), 'true');
  };
  const renders = () => lines.filter((l) => l.includes(`Target config ${dest} has been updated`));
  return { dir, dest, put, renders, url, controller, daemon, exit };
}

test('-watch: back-to-back changes each render the newest value, and no round waits on a timer', async (t) => {
  const clock = new FakeClock();
  const { dest, put, renders } = await startWatchDaemon(t, clock);
  // The fake clock never moves: a render that waited on a timer would never happen.
  for (let i = 1; i <= 30; i++) {
    await put(`v${i}`);
    await eventually(async () => (await readFile(dest, 'utf8')) === `v${i}\n`, {
      what: `change ${i} rendered`,
    });
  }
  // One render each (the log line follows the directory's fsync, after the file is in place).
  await eventually(() => renders().length >= 31, { what: 'the last render logged' });
  assert.equal(renders().length, 31);
  assert.deepEqual(clock.sleeps, []);
});

test('-watch: changes that land during a render are rendered once more, with the last value', async (t) => {
  const clock = new FakeClock();
  const hold = join(await tempDir(t), 'hold');
  const started = `${hold}.started`;
  // check_cmd blocks while the hold file exists, so the burst below lands during that render.
  const { dest, put, renders } = await startWatchDaemon(t, clock, {
    check_cmd: `if [ -f ${hold} ]; then touch ${started}; while [ -f ${hold} ]; do sleep 0.01; done; fi`,
  });
  await writeFile(hold, '');
  await put('first');
  await eventually(() => existsSync(started), { what: 'the render of "first" to reach check_cmd' });
  for (let i = 0; i < 40; i++) await put(`burst-${i}`);
  await put('last');
  await rm(hold);
  await eventually(async () => (await readFile(dest, 'utf8')) === 'last\n', {
    what: 'the last change rendered',
  });
  // The initial render, the held one (of "first"), and one more for all 41 changes after it.
  await eventually(() => renders().length >= 3, { what: 'the last render logged' });
  assert.equal(renders().length, 3);
  assert.deepEqual(clock.sleeps, []);
});
