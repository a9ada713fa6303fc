/** The target syncer stages, compares, checks, swaps and reloads exactly as confd logs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTargetSyncer } from '../../src/reload/target-syncer.js';
import { createCommandRunner } from '../../src/reload/command-runner.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { captureLogger } from './capture-logger.js';
import { waitFor } from '../helpers/wait-for.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const isRoot = process.geteuid?.() === 0;

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  const { logger, lines } = captureLogger();
  const syncer = createTargetSyncer({ logger });
  return { dir, dest, lines, syncer };
}

test('the first sync creates dest with the mode and confd log lines', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const result = await syncer.sync({ dest, content: 'hello\n', mode: 0o600 });
  assert.deepEqual(result, { changed: true, updated: true, reloaded: false });
  assert.equal(await readFile(dest, 'utf8'), 'hello\n');
  assert.equal((await stat(dest)).mode & 0o7777, 0o600);
  assert.deepEqual(lines, [
    `DEBUG Comparing candidate config to ${dest}`,
    `INFO Target config ${dest} out of sync`,
    `DEBUG Overwriting target config ${dest}`,
    `INFO Target config ${dest} has been updated`,
  ]);
  assert.deepEqual(await readdir(dir), ['app.conf'], 'no stage file is left behind');
});

test('a new dest defaults to mode 0644 whatever the umask', async (t) => {
  const { dest, syncer } = await setup(t);
  const old = process.umask(0o077);
  t.after(() => process.umask(old));
  await syncer.sync({ dest, content: 'x' });
  assert.equal((await stat(dest)).mode & 0o7777, 0o644);
});

test('a second sync with the same content is in sync and does not touch dest', async (t) => {
  const { dest, lines, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'same\n', mode: 0o640 });
  const before = await stat(dest);
  lines.length = 0;
  const result = await syncer.sync({ dest, content: 'same\n', mode: 0o640 });
  assert.deepEqual(result, { changed: false, updated: false, reloaded: false });
  assert.deepEqual(lines, [
    `DEBUG Comparing candidate config to ${dest}`,
    `DEBUG Target config ${dest} in sync`,
  ]);
  const after = await stat(dest);
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
});

test('without a mode the existing dest mode is kept', async (t) => {
  const { dest, lines, syncer } = await setup(t);
  await writeFile(dest, 'v1');
  await chmod(dest, 0o640);
  const result = await syncer.sync({ dest, content: 'v2' });
  assert.equal(result.updated, true);
  assert.equal((await stat(dest)).mode & 0o7777, 0o640);
  assert.ok(!lines.some((l) => l.includes('has mode')), lines.join('\n'));
  assert.ok(lines.includes(`INFO ${dest} has md5sum ${md5('v1')} should be ${md5('v2')}`));
});

test('a mode-only change rewrites dest and runs reload_cmd', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'same', mode: 0o644 });
  lines.length = 0;
  const marker = join(dir, 'reloaded');
  const result = await syncer.sync({
    dest,
    content: 'same',
    mode: 0o600,
    reloadCmd: `touch ${marker}`,
  });
  assert.deepEqual(result, { changed: true, updated: true, reloaded: true });
  assert.equal((await stat(dest)).mode & 0o7777, 0o600);
  assert.equal((await stat(marker)).isFile(), true);
  assert.deepEqual(lines.slice(0, 3), [
    `DEBUG Comparing candidate config to ${dest}`,
    `INFO ${dest} has mode -rw-r--r-- should be -rw-------`,
    `INFO Target config ${dest} out of sync`,
  ]);
  assert.ok(lines.includes(`DEBUG Running touch ${marker}`));
  assert.equal(lines.at(-1), `INFO Target config ${dest} has been updated`);
});

test(
  'UID, GID, mode and md5 differences are logged in that order',
  { skip: !isRoot },
  async (t) => {
    const { dest, lines, syncer } = await setup(t);
    await writeFile(dest, 'old\n');
    await chown(dest, 0, 0);
    await chmod(dest, 0o644);
    const result = await syncer.sync({ dest, content: 'new\n', uid: 1, gid: 2, mode: 0o4750 });
    assert.equal(result.updated, true);
    assert.deepEqual(lines.slice(1, 5), [
      `INFO ${dest} has UID 0 should be 1`,
      `INFO ${dest} has GID 0 should be 2`,
      `INFO ${dest} has mode -rw-r--r-- should be urwxr-x---`,
      `INFO ${dest} has md5sum ${md5('old\n')} should be ${md5('new\n')}`,
    ]);
    const st = await stat(dest);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1, 2, 0o4750]);
    lines.length = 0;
    await syncer.sync({ dest, content: 'new\n', uid: 1, gid: 2, mode: 0o4750 });
    assert.equal(lines.at(-1), `DEBUG Target config ${dest} in sync`);
  },
);

test('check_cmd sees the staged content through {{.src}} and dest through {{.dest}}', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const seen = join(dir, 'seen');
  await syncer.sync({
    dest,
    content: 'candidate\n',
    mode: 0o640,
    checkCmd: `{ cat {{.src}}; echo "{{ .src }}"; echo "{{.dest}}"; stat -c %a {{.src}}; } > ${seen}`,
  });
  const [content, src, destSeen, stageMode] = (await readFile(seen, 'utf8')).split('\n');
  assert.equal(content, 'candidate');
  assert.equal(stageMode, '640', 'the mode is applied to the stage file before the check');
  assert.match(src, new RegExp(`^${dir}/\\.app\\.conf\\d+$`));
  assert.equal(destSeen, dest);
  assert.ok(
    lines.includes(
      `DEBUG Running { cat ${src}; echo "${src}"; echo "${dest}"; stat -c %a ${src}; } > ${seen}`,
    ),
  );
  assert.equal(await readFile(dest, 'utf8'), 'candidate\n');
});

test('a failing check_cmd leaves dest untouched and removes the stage file', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'good\n' });
  const before = await stat(dest);
  lines.length = 0;
  const marker = join(dir, 'reloaded');
  await assert.rejects(
    syncer.sync({
      dest,
      content: 'bad\n',
      checkCmd: 'echo "syntax error" >&2; exit 3',
      reloadCmd: `touch ${marker}`,
    }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_CHECK_FAILED) &&
      err.message === 'Config check failed: exit status 3',
  );
  assert.equal(await readFile(dest, 'utf8'), 'good\n');
  assert.equal((await stat(dest)).ino, before.ino);
  assert.deepEqual(await readdir(dir), ['app.conf']);
  assert.deepEqual(lines.slice(-3), [
    `INFO Target config ${dest} out of sync`,
    'DEBUG Running echo "syntax error" >&2; exit 3',
    'ERROR "syntax error\\n"',
  ]);
});

test('with keepStageFile a failed check keeps the stage file', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  await assert.rejects(
    syncer.sync({ dest, content: 'bad\n', checkCmd: 'false', keepStageFile: true }),
    /Config check failed: exit status 1/,
  );
  const files = await readdir(dir);
  assert.equal(files.length, 1);
  assert.match(files[0], /^\.app\.conf\d+$/);
  assert.equal(await readFile(join(dir, files[0]), 'utf8'), 'bad\n');
  assert.equal(lines[0], `INFO Keeping staged file: ${join(dir, files[0])}`);
});

test('keepStageFile: renamed onto dest when changed, kept when in sync (confd quirk)', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const first = await syncer.sync({ dest, content: 'v1', keepStageFile: true });
  assert.match(lines[0], /^INFO Keeping staged file: .*\/\.app\.conf\d+$/);
  assert.equal(first.stagePath, lines[0].slice('INFO Keeping staged file: '.length));
  assert.deepEqual(await readdir(dir), ['app.conf']);
  const second = await syncer.sync({ dest, content: 'v1', keepStageFile: true });
  assert.equal(second.changed, false);
  assert.equal(await readFile(second.stagePath!, 'utf8'), 'v1');
});

test('a check_cmd that times out fails the check and leaves dest untouched', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  const { logger } = captureLogger();
  const syncer = createTargetSyncer({ logger, commandTimeoutMs: 200 });
  await assert.rejects(
    syncer.sync({ dest, content: 'x', checkCmd: 'sleep 30' }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_COMMAND_TIMEOUT) &&
      err.message.startsWith('Config check failed: command timed out after 200ms'),
  );
  assert.deepEqual(await readdir(dir), []);
});

test('a failed reload is reported, then retried on an in-sync pass with reloadPending', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const count = join(dir, 'count');
  const ok = join(dir, 'ok');
  const reloadCmd = `echo x >> ${count}; echo "{{.dest}} reload failed" >&2; test -f ${ok}`;
  const first = await syncer.sync({ dest, content: 'v1', reloadCmd });
  assert.equal(first.changed, true);
  assert.equal(first.updated, true);
  assert.equal(first.reloaded, false);
  assert.equal(first.reloadFailed, true);
  assert.ok(isConfdError(first.error, ErrorCode.RELOAD_COMMAND_FAILED));
  assert.equal(first.error.message, 'exit status 1');
  assert.equal(await readFile(dest, 'utf8'), 'v1', 'dest is replaced before the reload');
  assert.ok(!lines.some((l) => l.includes('has been updated')));
  assert.equal(lines.at(-1), `ERROR "${dest} reload failed\\n"`);

  // without reloadPending an in-sync pass does nothing (confd never retries)
  const quiet = await syncer.sync({ dest, content: 'v1', reloadCmd });
  assert.deepEqual(quiet, { changed: false, updated: false, reloaded: false });
  assert.equal(await readFile(count, 'utf8'), 'x\n');

  // the retry, still failing, keeps reporting the failure
  const retryFail = await syncer.sync({ dest, content: 'v1', reloadCmd, reloadPending: true });
  assert.equal(retryFail.reloadFailed, true);

  await writeFile(ok, '');
  lines.length = 0;
  const retry = await syncer.sync({ dest, content: 'v1', reloadCmd, reloadPending: true });
  assert.deepEqual(retry, { changed: false, updated: false, reloaded: true });
  assert.equal(await readFile(count, 'utf8'), 'x\nx\nx\n');
  assert.deepEqual(lines.slice(0, 3), [
    `DEBUG Comparing candidate config to ${dest}`,
    `DEBUG Target config ${dest} in sync`,
    `INFO Retrying reload of ${dest} after an earlier failure`,
  ]);
});

test('syncOnly installs the file without running check_cmd or reload_cmd', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const marker = join(dir, 'ran');
  const result = await syncer.sync({
    dest,
    content: 'v1',
    syncOnly: true,
    checkCmd: `touch ${marker}; exit 1`,
    reloadCmd: `touch ${marker}`,
    reloadPending: true,
  });
  assert.deepEqual(result, { changed: true, updated: true, reloaded: false });
  assert.equal(await readFile(dest, 'utf8'), 'v1');
  assert.deepEqual(await readdir(dir), ['app.conf']);
  assert.ok(!lines.some((l) => l.startsWith('DEBUG Running')));
});

test('noop never writes dest and logs a unified diff', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  await writeFile(dest, 'port = 80\nhost = a\n');
  const before = await stat(dest);
  const marker = join(dir, 'ran');
  const result = await syncer.sync({
    dest,
    content: 'port = 8080\nhost = a\n',
    noop: true,
    checkCmd: `touch ${marker}`,
    reloadCmd: `touch ${marker}`,
  });
  assert.equal(result.changed, true);
  assert.equal(result.updated, false);
  assert.equal(
    result.diff,
    `--- ${dest}\tcurrent\n+++ ${dest}\trendered\n@@ -1,2 +1,2 @@\n-port = 80\n+port = 8080\n host = a\n`,
  );
  assert.equal(await readFile(dest, 'utf8'), 'port = 80\nhost = a\n');
  assert.equal((await stat(dest)).ino, before.ino);
  assert.deepEqual(await readdir(dir), ['app.conf']);
  assert.ok(lines.includes(`WARNING Noop mode enabled. ${dest} will not be modified`));
  const diffLine = lines.find((l) => l.startsWith(`INFO Noop diff of ${dest}:`));
  assert.ok(diffLine?.includes('\n-port = 80\n+port = 8080'), diffLine);

  // in sync: the warning is still printed (confd), no diff
  lines.length = 0;
  const same = await syncer.sync({ dest, content: 'port = 80\nhost = a\n', noop: true });
  assert.deepEqual(same, { changed: false, updated: false, reloaded: false });
  assert.deepEqual(lines, [
    `DEBUG Comparing candidate config to ${dest}`,
    `WARNING Noop mode enabled. ${dest} will not be modified`,
  ]);

  // a missing dest is not created
  const fresh = join(dir, 'new.conf');
  const created = await syncer.sync({ dest: fresh, content: 'a\n', noop: true });
  assert.equal(created.changed, true);
  assert.match(created.diff!, /^--- \/dev\/null/m);
  assert.deepEqual(await readdir(dir), ['app.conf']);
});

test('a missing parent directory is an error naming it', async (t) => {
  const { dir, syncer } = await setup(t);
  const dest = join(dir, 'nope', 'app.conf');
  await assert.rejects(
    syncer.sync({ dest, content: 'x' }),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_STAGE) &&
      err.message ===
        `Cannot create stage file for ${dest}: directory ${join(dir, 'nope')} does not exist`,
  );
});

test('a dest that cannot be replaced fails with RELOAD_SWAP and leaves no stage file', async (t) => {
  const { dir, syncer, lines } = await setup(t);
  const dest = join(dir, 'adir');
  await mkdir(join(dest, 'inner'), { recursive: true });
  await chmod(dest, 0o755);
  await assert.rejects(
    syncer.sync({ dest, content: 'x' }),
    (err: unknown) => isConfdError(err, ErrorCode.RELOAD_SWAP) && err.message.includes(dest),
  );
  assert.deepEqual(await readdir(dir), ['adir']);
  assert.ok(
    lines.includes(`INFO ${dest} has mode drwxr-xr-x should be -rwxr-xr-x`),
    lines.join('\n'),
  );
});

test('an aborted signal stops before the swap and kills a running check', async (t) => {
  const { dir, dest, syncer } = await setup(t);
  await writeFile(dest, 'old');
  const controller = new AbortController();
  const pending = syncer.sync({
    dest,
    content: 'new',
    checkCmd: `touch ${join(dir, 'started')}; sleep 30`,
    signal: controller.signal,
  });
  const started = join(dir, 'started');
  const { waitFor } = await import('../helpers/wait-for.js');
  await waitFor(() => stat(started).then(() => true), { what: 'check_cmd to start' });
  controller.abort();
  await assert.rejects(pending, (err: unknown) => isConfdError(err, ErrorCode.ABORTED));
  assert.equal(await readFile(dest, 'utf8'), 'old');
  assert.deepEqual((await readdir(dir)).sort(), ['app.conf', 'started']);
  await assert.rejects(
    syncer.sync({ dest, content: 'new', signal: controller.signal }),
    (err: unknown) => isConfdError(err, ErrorCode.ABORTED),
  );
});

test('binary content is written as is and noop reports a binary difference', async (t) => {
  const { dest, syncer } = await setup(t);
  const bytes = new Uint8Array([0, 1, 2, 255, 10]);
  await syncer.sync({ dest, content: bytes });
  assert.deepEqual(new Uint8Array(await readFile(dest)), bytes);
  const result = await syncer.sync({ dest, content: new Uint8Array([0, 9]), noop: true });
  assert.equal(result.diff, `Binary files ${dest} and rendered content differ\n`);
});

test('concurrent syncs of one dest are serialized; the last one wins', async (t) => {
  const { dir, dest, syncer } = await setup(t);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => syncer.sync({ dest, content: `v${i}\n` })),
  );
  assert.ok(results.every((r) => r.updated));
  assert.equal(await readFile(dest, 'utf8'), 'v19\n');
  assert.deepEqual(await readdir(dir), ['app.conf']);
});

test('an injected runner receives the rendered commands', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  const { logger } = captureLogger();
  const ran: string[] = [];
  const real = createCommandRunner({ logger });
  const syncer = createTargetSyncer({
    logger,
    runCommand: { run: (cmd, opts) => (ran.push(cmd), real.run(cmd, opts)) },
  });
  await syncer.sync({
    dest,
    content: 'x',
    checkCmd: 'test -s {{.src}}',
    reloadCmd: 'test -s {{.dest}}',
  });
  assert.equal(ran.length, 2);
  assert.match(ran[0], /^test -s .*\/\.app\.conf\d+$/);
  assert.equal(ran[1], `test -s ${dest}`);
});

test('a bad request is a programmer error naming the field', async (t) => {
  const { dir, dest, syncer } = await setup(t);
  const bad: [Parameters<typeof syncer.sync>[0], RegExp][] = [
    [{ dest: '', content: 'x' }, /dest must be a non-empty path/],
    [{ dest, content: 42 as unknown as string }, /content must be a string or a Uint8Array/],
    [{ dest, content: 'x', mode: 0o10000 }, /mode must be an integer/],
    [{ dest, content: 'x', mode: Number.NaN }, /mode must be an integer/],
    [{ dest, content: 'x', uid: -2 }, /uid must be an integer >= -1/],
    [{ dest, content: 'x', gid: 1.5 }, /gid must be an integer >= -1/],
  ];
  for (const [request, message] of bad) {
    await assert.rejects(syncer.sync(request), (err: unknown) => {
      return err instanceof TypeError && message.test(err.message);
    });
  }
  assert.deepEqual(await readdir(dir), []);
});

test('uid and gid of -1 mean the effective ids, as in confd', async (t) => {
  const { dest, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'x', uid: -1, gid: -1 });
  const st = await stat(dest);
  assert.deepEqual([st.uid, st.gid], [process.geteuid?.(), process.getegid?.()]);
});

test('a dest rewritten in place right after a sync, same size, is found out of sync', async (t) => {
  const { dest, lines, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'ours\n', mode: 0o644 });
  // Within the same timestamp tick as the rename: mtime and ctime may well not move.
  await writeFile(dest, 'them\n');
  lines.length = 0;
  const result = await syncer.sync({ dest, content: 'ours\n', mode: 0o644 });
  assert.equal(result.updated, true);
  assert.equal(await readFile(dest, 'utf8'), 'ours\n');
  assert.ok(
    lines.includes(`INFO ${dest} has md5sum ${md5('them\n')} should be ${md5('ours\n')}`),
    lines.join('\n'),
  );
});

test('a dest over 1 MiB is compared by content like a small one', async (t) => {
  const { dir, dest, lines, syncer } = await setup(t);
  const big = 'x'.repeat(3 << 20);
  await syncer.sync({ dest, content: big, mode: 0o644 });
  lines.length = 0;
  assert.equal((await syncer.sync({ dest, content: big, mode: 0o644 })).changed, false);
  const edited = `${big.slice(0, -1)}y`;
  assert.equal((await syncer.sync({ dest, content: edited, mode: 0o644 })).updated, true);
  assert.equal(await readFile(dest, 'utf8'), edited);
  assert.ok(lines.includes(`INFO ${dest} has md5sum ${md5(big)} should be ${md5(edited)}`));
  assert.deepEqual(await readdir(dir), ['app.conf'], 'no stage file is left behind');
});

test('a stage file kept in sync holds the content, owner and mode', async (t) => {
  const { dest, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'v1\n', mode: 0o640 });
  const kept = await syncer.sync({ dest, content: 'v1\n', mode: 0o640, keepStageFile: true });
  assert.equal(kept.changed, false);
  assert.equal(await readFile(kept.stagePath!, 'utf8'), 'v1\n');
  const st = await stat(kept.stagePath!);
  assert.equal(st.mode & 0o7777, 0o640);
  assert.deepEqual([st.uid, st.gid], [process.geteuid?.(), process.getegid?.()]);
});

test('replacing dest leaves only dest: the old file held during the rename is removed', async (t) => {
  const { dir, dest, syncer } = await setup(t);
  for (let i = 0; i <= 5; i++) await syncer.sync({ dest, content: `v${i}\n` });
  assert.equal(await readFile(dest, 'utf8'), 'v5\n');
  // The link that kept the replaced file's inode alive is removed off the render's path.
  await waitFor(async () => (await readdir(dir)).length === 1, { what: 'the held files removed' });
  assert.deepEqual(await readdir(dir), ['app.conf']);
  assert.equal((await stat(dest)).nlink, 1);
});

test('a reader holding the old dest open keeps reading the old content', async (t) => {
  const { dest, syncer } = await setup(t);
  await syncer.sync({ dest, content: 'old\n' });
  const reader = await open(dest, 'r');
  t.after(() => reader.close());
  await syncer.sync({ dest, content: 'new\n' });
  assert.equal(await readFile(dest, 'utf8'), 'new\n');
  assert.equal(await reader.readFile('utf8'), 'old\n');
});

test('a failed stage fsync leaves dest as it was and no stage or held file behind', async (t) => {
  const { dir, dest } = await setup(t);
  const { logger } = captureLogger();
  await createTargetSyncer({ logger }).sync({ dest, content: 'old\n' });
  const failing = createTargetSyncer({
    logger,
    fsync: {
      fast: true,
      timed: () =>
        Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })),
    },
  });
  await assert.rejects(failing.sync({ dest, content: 'new\n' }), (err) =>
    isConfdError(err, ErrorCode.RELOAD_STAGE),
  );
  assert.equal(await readFile(dest, 'utf8'), 'old\n');
  assert.deepEqual(await readdir(dir), ['app.conf']);
  assert.equal((await stat(dest)).nlink, 1);
});
