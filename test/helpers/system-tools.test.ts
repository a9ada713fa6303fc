// The system-tools helper itself, against fake executables in a temp dir: nothing here depends on
// what the machine has installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findTool,
  needsDirectory,
  searchDirs,
  skipReason,
  toolPath,
  tools,
} from './system-tools.js';
import type { SystemTool } from './system-tools.js';
import { tempDir } from './temp-dir.js';

/** A tool no machine has, so the Debian directories never hold it. */
const fake: SystemTool = { name: 'confd-test-fake-tool', debianPackage: 'confd-fake' };
const other: SystemTool = { name: 'confd-test-other-tool', debianPackage: 'confd-other' };

/** executable writes a shell script `dir/name` with `mode`. */
async function executable(dir: string, name: string, mode = 0o755): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, mode);
  return path;
}

test('searchDirs: PATH, then the Debian directories; CONFD_TEST_TOOL_PATH replaces both', () => {
  assert.deepEqual(searchDirs({ PATH: '/opt/a:relative:/usr/bin::/opt/b' }), [
    '/opt/a',
    '/usr/bin',
    '/opt/b',
    '/usr/sbin',
    '/usr/local/bin',
  ]);
  assert.deepEqual(searchDirs({}), ['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  assert.deepEqual(searchDirs({ PATH: '/usr/bin', CONFD_TEST_TOOL_PATH: '/opt/x:/opt/y' }), [
    '/opt/x',
    '/opt/y',
  ]);
  assert.deepEqual(searchDirs({ PATH: '/usr/bin', CONFD_TEST_TOOL_PATH: '' }), []);
});

test('findTool finds an executable file on PATH, first directory first', async (t) => {
  const dir = await tempDir(t);
  const [first, second] = [join(dir, 'first'), join(dir, 'second')];
  await Promise.all([mkdir(first), mkdir(second)]);
  const path = await executable(second, fake.name);
  assert.equal(findTool(fake, { PATH: `${join(dir, 'missing')}:${second}` }), path);
  assert.equal(findTool(fake, { PATH: first }), undefined);
  const earlier = await executable(first, fake.name);
  assert.equal(findTool(fake, { PATH: `${first}:${second}` }), earlier);
  assert.equal(toolPath(fake, { PATH: second }), path);
});

test('findTool skips files that are not executable, and directories', async (t) => {
  const dir = await tempDir(t);
  await executable(dir, fake.name, 0o644);
  await mkdir(join(dir, other.name));
  assert.equal(findTool(fake, { PATH: dir }), undefined);
  assert.equal(findTool(other, { PATH: dir }), undefined);
});

test('skipReason names each missing tool and its Debian package', async (t) => {
  const dir = await tempDir(t);
  await executable(dir, other.name);
  const env = { CONFD_TEST_TOOL_PATH: dir };
  assert.equal(skipReason([], env), false);
  assert.equal(skipReason([other], env), false);
  assert.equal(
    skipReason([fake], env),
    'confd-test-fake-tool not installed (apt-get install confd-fake)',
  );
  assert.equal(skipReason([fake, other], env), skipReason([fake], env));
  const none = { CONFD_TEST_TOOL_PATH: '' };
  assert.equal(skipReason([tools.etcd], none), 'etcd not installed (apt-get install etcd-server)');
  assert.equal(
    skipReason([tools.etcd, tools.redis, tools.dig, tools.openssl], none),
    'etcd, redis-server, dig, openssl not installed' +
      ' (apt-get install etcd-server redis-server dnsutils openssl)',
  );
  assert.equal(skipReason([tools.etcd], { ...none, CI: 'false' }), skipReason([tools.etcd], none));
});

test('under CI=true a missing tool is never a skip: using it fails, saying CI requires it', () => {
  const env = { CONFD_TEST_TOOL_PATH: '', CI: 'true' };
  assert.equal(skipReason([tools.etcd, tools.dig], env), false);
  assert.throws(() => toolPath(tools.dig, env), {
    message:
      'dig not installed (apt-get install dnsutils):' +
      ' CI=true requires every system tool the tests use',
  });
  // Outside CI, a test that forgot to declare the tool is told how.
  assert.throws(() => toolPath(tools.redis, { CONFD_TEST_TOOL_PATH: '' }), {
    message:
      'redis-server not installed (apt-get install redis-server): declare the test with' +
      ' { skip: needs(tools.redis) }',
  });
});

test('needsDirectory: a directory outside the checkout skips its tests when missing, not in CI', async (t) => {
  const dir = await tempDir(t);
  assert.equal(needsDirectory(dir, 'fixtures', {}), false);
  const missing = join(dir, 'nope');
  assert.equal(needsDirectory(missing, 'fixtures', {}), `fixtures not found at ${missing}`);
  await writeFile(missing, 'a file, not a directory');
  assert.equal(needsDirectory(missing, 'fixtures', {}), `fixtures not found at ${missing}`);
  assert.equal(needsDirectory(join(dir, 'gone'), 'fixtures', { CI: 'true' }), false);
});
