/** resolveOwner maps owner/group names to ids from passwd/group files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveOwner } from '../../src/reload/resolve-owner.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

async function accounts(dir: string) {
  const passwdPath = join(dir, 'passwd');
  const groupPath = join(dir, 'group');
  await writeFile(
    passwdPath,
    [
      '# comment:x:1:1',
      'root:x:0:0:root:/root:/bin/bash',
      'nginx:x:101:102:nginx user:/var/lib/nginx:/usr/sbin/nologin',
      'web-admin:x:1000:1000::/home/w:/bin/sh',
      '',
    ].join('\n'),
  );
  await writeFile(groupPath, ['root:x:0:', 'nginx:x:102:', 'www-data:x:33:nginx', ''].join('\n'));
  return { passwdPath, groupPath };
}

test('resolveOwner finds users and groups by name', async (t) => {
  const files = await accounts(await tempDir(t));
  assert.deepEqual(await resolveOwner('nginx', 'www-data', files), { uid: 101, gid: 33 });
  assert.deepEqual(await resolveOwner('web-admin', undefined, files), { uid: 1000 });
  assert.deepEqual(await resolveOwner(undefined, 'nginx', files), { gid: 102 });
  assert.deepEqual(await resolveOwner('', '', files), {});
  assert.deepEqual(await resolveOwner(), {});
});

test('resolveOwner passes numeric ids through', async (t) => {
  const files = await accounts(await tempDir(t));
  assert.deepEqual(await resolveOwner('4242', '77', files), { uid: 4242, gid: 77 });
});

test('resolveOwner reads the system files by default', async () => {
  assert.deepEqual(await resolveOwner('root', 'root'), { uid: 0, gid: 0 });
});

test('resolveOwner rejects unknown names, naming the name and the file', async (t) => {
  const files = await accounts(await tempDir(t));
  await assert.rejects(
    resolveOwner('nobody-here', undefined, files),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RESOURCE_INVALID) &&
      err.message === `unknown user "nobody-here": not found in ${files.passwdPath}`,
  );
  await assert.rejects(
    resolveOwner('nginx', 'nogroup-x', files),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RESOURCE_INVALID) &&
      err.message === `unknown group "nogroup-x": not found in ${files.groupPath}`,
  );
  // a comment line is not an account
  await assert.rejects(resolveOwner('# comment', undefined, files), /unknown user/);
});

test('resolveOwner reports an unreadable account file', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    resolveOwner('nginx', undefined, { passwdPath: join(dir, 'missing') }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RESOURCE_INVALID) &&
      /cannot look up user "nginx": ENOENT/.test(err.message),
  );
});
