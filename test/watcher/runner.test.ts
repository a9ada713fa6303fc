import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSerialRunner } from '../../src/watcher/runner.js';

test('a resource never runs twice at once; requests during a pass merge into one rerun', async () => {
  const log: string[] = [];
  let release: (() => void) | undefined;
  let active = 0;
  const runner = createSerialRunner(async (id) => {
    active += 1;
    assert.equal(active, 1, 'concurrent pass');
    log.push(`start ${id}`);
    await new Promise<void>((resolve) => (release = resolve));
    log.push(`end ${id}`);
    active -= 1;
  });
  const first = runner.schedule('a');
  const second = runner.schedule('a');
  const third = runner.schedule('a');
  assert.equal(second, third, 'requests during a pass share one rerun');
  release?.();
  await first;
  release?.();
  await second;
  await runner.idle();
  assert.deepEqual(log, ['start a', 'end a', 'start a', 'end a']);
});

test('different resources run concurrently and idle() waits for all', async () => {
  const done: string[] = [];
  const runner = createSerialRunner(async (id) => {
    await new Promise((r) => setImmediate(r));
    done.push(id);
  });
  void runner.schedule('a');
  void runner.schedule('b');
  await runner.idle();
  assert.deepEqual(done.sort(), ['a', 'b']);
});
