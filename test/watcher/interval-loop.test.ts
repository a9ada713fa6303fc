import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startIntervalLoop } from '../../src/watcher/interval-loop.js';
import { waitFor } from '../helpers/wait-for.js';

test('the first pass is immediate, trigger() runs the next one now, abort stops the loop', async () => {
  const controller = new AbortController();
  let passes = 0;
  const loop = startIntervalLoop({
    intervalMs: 60_000,
    signal: controller.signal,
    pass: () => {
      passes += 1;
      return Promise.resolve();
    },
  });
  await waitFor(() => passes === 1);
  loop.trigger();
  await waitFor(() => passes === 2, { what: 'the triggered pass' });
  controller.abort();
  await loop.done;
  assert.equal(passes, 2);
});

test('passes repeat every interval', async () => {
  const controller = new AbortController();
  const times: number[] = [];
  const loop = startIntervalLoop({
    intervalMs: 30,
    signal: controller.signal,
    pass: () => {
      times.push(Date.now());
      return Promise.resolve();
    },
  });
  await waitFor(() => times.length >= 3);
  controller.abort();
  await loop.done;
  assert.ok(times[2] - times[0] >= 50);
});
