/** The command runner runs /bin/sh -c, logs like confd, fails with `exit status N`, and kills on timeout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCommandRunner } from '../../src/reload/command-runner.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger } from './capture-logger.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a successful command logs Running and its combined output as Go %q', async () => {
  const { logger, lines } = captureLogger();
  const runner = createCommandRunner({ logger });
  await runner.run("echo out; printf 'tab\\there\\n'; echo err >&2");
  assert.equal(lines[0], "DEBUG Running echo out; printf 'tab\\there\\n'; echo err >&2");
  assert.equal(lines.length, 2);
  // stdout and stderr are merged into one quoted string (two pipes: their relative order may vary)
  assert.match(lines[1], /^DEBUG ".*"$/);
  assert.equal(lines[1].replace('err\\n', ''), 'DEBUG "out\\ntab\\there\\n"');
});

test('a failing command logs ERROR with the output and fails with exit status N', async () => {
  const { logger, lines } = captureLogger();
  const runner = createCommandRunner({ logger });
  await assert.rejects(
    runner.run('echo "bad config" >&2; exit 3'),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_COMMAND_FAILED) && err.message === 'exit status 3',
  );
  assert.deepEqual(lines, ['DEBUG Running echo "bad config" >&2; exit 3', 'ERROR "bad config\\n"']);
});

test('a command killed by a signal fails like Go: signal: killed', async () => {
  const { logger } = captureLogger();
  const runner = createCommandRunner({ logger });
  await assert.rejects(runner.run('kill -9 $$'), /^ConfdError: signal: killed$/);
});

test('commands inherit the environment and the working directory', async (t) => {
  const dir = await tempDir(t);
  const { logger } = captureLogger();
  const runner = createCommandRunner({ logger });
  process.env.CONFD_RELOAD_TEST_VAR = 'inherited';
  t.after(() => delete process.env.CONFD_RELOAD_TEST_VAR);
  const out = join(dir, 'out');
  await runner.run(`printf '%s|%s' "$CONFD_RELOAD_TEST_VAR" "$(pwd)" > ${out}`);
  assert.equal(await readFile(out, 'utf8'), `inherited|${process.cwd()}`);
});

test('commands get no stdin (they do not hang reading it)', async () => {
  const { logger, lines } = captureLogger();
  const runner = createCommandRunner({ logger, timeoutMs: 5000 });
  await runner.run('cat; echo done');
  assert.equal(lines.at(-1), 'DEBUG "done\\n"');
});

test('a command over the timeout is killed with its children', { timeout: 15_000 }, async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'pid');
  const { logger, lines } = captureLogger();
  const runner = createCommandRunner({ logger, timeoutMs: 300 });
  const started = Date.now();
  // the backgrounded sleep is a grandchild that would otherwise outlive the shell
  await assert.rejects(
    runner.run(`echo partial; sleep 30 & echo $! > ${pidFile}; wait`),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_COMMAND_TIMEOUT) &&
      /^command timed out after 300ms and was killed: echo partial/.test(err.message),
  );
  assert.ok(Date.now() - started < 10_000);
  assert.equal(lines.at(-1), 'ERROR "partial\\n"');
  const pid = Number(await readFile(pidFile, 'utf8'));
  await waitFor(() => !alive(pid), { what: `grandchild ${pid} to die`, timeoutMs: 5000 });
});

test(
  'a command that ignores SIGTERM is killed after the grace period',
  { timeout: 15_000 },
  async () => {
    const { logger } = captureLogger();
    const runner = createCommandRunner({ logger, timeoutMs: 200, killGraceMs: 200 });
    const started = Date.now();
    await assert.rejects(runner.run("trap '' TERM; sleep 30 & wait; sleep 30"), (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_COMMAND_TIMEOUT),
    );
    assert.ok(Date.now() - started < 5_000, 'SIGKILL followed the grace period');
  },
);

test(
  'aborting the signal kills the command and rejects with ABORTED',
  { timeout: 15_000 },
  async (t) => {
    const dir = await tempDir(t);
    const pidFile = join(dir, 'pid');
    const { logger } = captureLogger();
    const runner = createCommandRunner({ logger });
    const controller = new AbortController();
    const running = runner.run(`echo $$ > ${pidFile}; sleep 30`, { signal: controller.signal });
    const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8')) || undefined, {
      what: 'the pid file',
    });
    controller.abort();
    await assert.rejects(running, (err: unknown) => isConfdError(err, ErrorCode.ABORTED));
    await waitFor(() => !alive(pid), { what: 'the command to die' });
    // an already-aborted signal runs nothing
    await assert.rejects(runner.run('echo never', { signal: controller.signal }), (err: unknown) =>
      isConfdError(err, ErrorCode.ABORTED),
    );
  },
);

test('a missing shell is reported as a failure to run it', async () => {
  const { logger } = captureLogger();
  const runner = createCommandRunner({ logger, shell: '/nonexistent/sh' });
  await assert.rejects(
    runner.run('true'),
    (err: unknown) =>
      isConfdError(err, ErrorCode.RELOAD_COMMAND_FAILED) &&
      /^cannot run \/nonexistent\/sh: /.test(err.message),
  );
});

test('a bad timeout is a programmer error', () => {
  const { logger } = captureLogger();
  assert.throws(() => createCommandRunner({ logger, timeoutMs: -1 }), TypeError);
});
