/** A bind-mounted dest cannot be renamed over (EBUSY, confd #122): it is rewritten in place. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTargetSyncer } from '../../src/reload/target-syncer.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { captureLogger } from './capture-logger.js';

const run = promisify(execFile);

async function tryBindMount(source: string, target: string): Promise<boolean> {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return false;
  try {
    await run('mount', ['--bind', source, target]);
    return true;
  } catch {
    return false;
  }
}

test('a bind-mounted dest is written in place', async (t) => {
  const dir = await tempDir(t);
  const source = join(dir, 'hosts.real');
  const dest = join(dir, 'hosts');
  await writeFile(source, 'old\n');
  await writeFile(dest, '');
  if (!(await tryBindMount(source, dest))) {
    t.skip('needs root and mount --bind');
    return;
  }
  try {
    const { logger, lines } = captureLogger();
    const syncer = createTargetSyncer({ logger });
    const result = await syncer.sync({ dest, content: '127.0.0.1 db\n', mode: 0o644 });
    assert.equal(result.updated, true);
    assert.equal(await readFile(dest, 'utf8'), '127.0.0.1 db\n');
    assert.equal(await readFile(source, 'utf8'), '127.0.0.1 db\n', 'the mounted file itself');
    assert.ok(
      lines.includes('DEBUG Rename failed - target is likely a mount. Trying to write instead'),
      lines.join('\n'),
    );
    assert.equal(lines.at(-1), `INFO Target config ${dest} has been updated`);
    assert.deepEqual((await readdir(dir)).sort(), ['hosts', 'hosts.real'], 'stage removed');
    lines.length = 0;
    await syncer.sync({ dest, content: '127.0.0.1 db\n', mode: 0o644 });
    assert.equal(lines.at(-1), `DEBUG Target config ${dest} in sync`);
  } finally {
    await run('umount', [dest]);
  }
});

test('an EBUSY rename falls back to writing in place and applies the mode', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  await writeFile(dest, 'old\n', { mode: 0o600 });
  const { logger, lines } = captureLogger();
  const busy = () =>
    Promise.reject(Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' }));
  const syncer = createTargetSyncer({ logger, fs: { rename: busy } });
  const before = await stat(dest);
  await syncer.sync({ dest, content: 'new\n', mode: 0o644 });
  const after = await stat(dest);
  assert.equal(after.ino, before.ino, 'same inode: written in place');
  assert.equal(after.mode & 0o7777, 0o644);
  assert.equal(await readFile(dest, 'utf8'), 'new\n');
  assert.ok(
    lines.includes('DEBUG Rename failed - target is likely a mount. Trying to write instead'),
  );
  assert.deepEqual(await readdir(dir), ['app.conf']);
});

test('other rename errors fail with RELOAD_SWAP and keep dest', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  await writeFile(dest, 'old\n');
  const { logger } = captureLogger();
  const denied = () =>
    Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
  const syncer = createTargetSyncer({ logger, fs: { rename: denied } });
  await assert.rejects(
    syncer.sync({ dest, content: 'new\n' }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_SWAP) && /EACCES: permission denied/.test(err.message),
  );
  assert.equal(await readFile(dest, 'utf8'), 'old\n');
  assert.deepEqual(await readdir(dir), ['app.conf']);
});
