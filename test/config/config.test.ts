import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGoDuration, parseWait, resolveConfig } from '../../src/config.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

test('defaults: embedded backend on 127.0.0.1:8500, /etc/confd, interval 600, info', async () => {
  const c = await resolveConfig({ flags: { configFile: '/nonexistent/confd.toml' }, env: {} });
  assert.equal(c.backend, 'embedded');
  assert.deepEqual(c.nodes, ['127.0.0.1:8500']);
  assert.equal(c.storeAddr, '127.0.0.1:8500');
  assert.equal(c.confdir, '/etc/confd');
  assert.equal(c.resourceDir, '/etc/confd/conf.d');
  assert.equal(c.templateDir, '/etc/confd/templates');
  assert.equal(c.interval, 600);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logFormat, 'text');
  assert.equal(c.commandTimeoutMs, 60_000);
  assert.equal(c.filter, '*');
  assert.equal(c.scheme, 'http');
  assert.equal(c.dataDir, undefined);
  assert.equal(c.wait, undefined);
  assert.ok(Object.isFrozen(c));
});

test('confd.toml keys apply, flags typed on the command line win, unknown keys are ignored', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'confd.toml');
  await writeFile(
    file,
    [
      'backend = "consul"',
      'confdir = "/srv/confd"',
      'log-level = "debug"',
      'interval = 5',
      'nodes = ["10.0.0.1:8500", "10.0.0.2:8500"]',
      'noop = true',
      'prefix = "/production"',
      'sync-only = true',
      'onetime = true',
      'KeepStageFile = true',
      'client_cert = "/c.pem"',
      'unknown_key = 1',
      'wait = "1s:2s"',
      '[some.table]',
      'x = 1',
    ].join('\n'),
  );
  const fromFile = await resolveConfig({ flags: { configFile: file }, env: {} });
  assert.equal(fromFile.backend, 'consul');
  assert.equal(fromFile.confdir, '/srv/confd');
  assert.equal(fromFile.logLevel, 'debug');
  assert.equal(fromFile.interval, 5);
  assert.deepEqual(fromFile.nodes, ['10.0.0.1:8500', '10.0.0.2:8500']);
  assert.equal(fromFile.noop, true);
  assert.equal(fromFile.prefix, '/production');
  assert.equal(fromFile.syncOnly, true);
  assert.equal(fromFile.onetime, true);
  assert.equal(fromFile.keepStageFile, true);
  assert.equal(fromFile.clientCert, '/c.pem');
  assert.deepEqual(fromFile.wait, { minMs: 1000, maxMs: 2000 });

  const flagsWin = await resolveConfig({
    flags: { configFile: file, backend: 'env', interval: 9, noop: false, nodes: ['x:1'] },
    env: {},
  });
  assert.equal(flagsWin.backend, 'env');
  assert.equal(flagsWin.interval, 9);
  assert.equal(flagsWin.noop, false);
  assert.deepEqual(flagsWin.nodes, ['x:1']);
  assert.equal(flagsWin.confdir, '/srv/confd');
});

test('CONFD_CLIENT_* fill only empty TLS settings; per-backend default nodes', async () => {
  const env = {
    CONFD_CLIENT_CERT: '/env/cert',
    CONFD_CLIENT_KEY: '/env/key',
    CONFD_CLIENT_CAKEYS: '/env/ca',
  };
  const c = await resolveConfig({
    flags: { configFile: '/nonexistent', clientKey: '/flag/key', backend: 'consul' },
    env,
  });
  assert.equal(c.clientCert, '/env/cert');
  assert.equal(c.clientKey, '/flag/key');
  assert.equal(c.clientCaKeys, '/env/ca');
  assert.deepEqual(c.nodes, ['127.0.0.1:8500']);
  const etcd = await resolveConfig({
    flags: { configFile: '/nonexistent', backend: 'etcd' },
    env: { ETCDCTL_PEERS: 'http://a:1,http://b:2' },
  });
  assert.deepEqual(etcd.nodes, ['http://a:1', 'http://b:2']);
  const redis = await resolveConfig({ flags: { configFile: '/x', backend: 'redis' }, env: {} });
  assert.deepEqual(redis.nodes, ['127.0.0.1:6379']);
  const store = await resolveConfig({
    flags: { configFile: '/x', storeAddr: '127.0.0.1:0' },
    env: {},
  });
  assert.deepEqual(store.nodes, ['127.0.0.1:0']);
});

test('a bad confd.toml is reported with its file and line', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'confd.toml');
  await writeFile(file, 'backend = "consul"\nnodes = [\n');
  await assert.rejects(resolveConfig({ flags: { configFile: file }, env: {} }), (err) => {
    assert.ok(isConfdError(err, ErrorCode.CONFIG_INVALID));
    assert.match(err.message, new RegExp(`^${file}:3:\\d+: `));
    return true;
  });
  await writeFile(file, 'backend = "consul"\n\ninterval = "often"\n');
  await assert.rejects(resolveConfig({ flags: { configFile: file }, env: {} }), {
    message: `${file}:3: interval: must be an integer`,
  });
});

test('bad values: log level (logrus text), log format, wait, command timeout', async () => {
  const base = { configFile: '/nonexistent' };
  await assert.rejects(resolveConfig({ flags: { ...base, logLevel: 'xyz' }, env: {} }), {
    message: 'not a valid level: "xyz"',
  });
  await assert.rejects(
    resolveConfig({ flags: { ...base, logFormat: 'xml' }, env: {} }),
    /log-format/,
  );
  const warn = await resolveConfig({ flags: { ...base, logLevel: 'WARN' }, env: {} });
  assert.equal(warn.logLevel, 'warning');
});

test('Go durations and wait windows', () => {
  assert.equal(parseGoDuration('60s'), 60_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseGoDuration('s'), undefined);
  assert.deepEqual(parseWait('2s:10s'), { minMs: 2000, maxMs: 10_000 });
  assert.deepEqual(parseWait('500ms'), { minMs: 500, maxMs: 2000 });
  assert.deepEqual(parseWait('3'), { minMs: 3000, maxMs: 12_000 });
  assert.equal(parseWait('5s:1s'), undefined);
  assert.equal(parseWait('x'), undefined);
});
