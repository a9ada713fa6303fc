import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createQuiescence } from '../../src/watcher/quiescence.js';
import { waitFor } from '../helpers/wait-for.js';

test('a burst of changes fires once, min after the last change', async () => {
  const fired: { id: string; at: number }[] = [];
  const q = createQuiescence({
    minMs: 80,
    maxMs: 5000,
    fire: (id) => fired.push({ id, at: Date.now() }),
  });
  let last = 0;
  for (let i = 0; i < 5; i++) {
    last = Date.now(); // taken before add(): the timer cannot start earlier than this
    q.add(['a']);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(q.pending, 1);
  await waitFor(() => fired.length === 1, { what: 'the batch to fire' });
  assert.equal(fired[0]?.id, 'a');
  assert.ok(fired[0].at - last >= 70, `fired ${fired[0].at - last} ms after the last change`);
  q.close();
});

test('a change stream that never settles still fires by max', async () => {
  let count = 0;
  const q = createQuiescence({ minMs: 60, maxMs: 150, fire: () => (count += 1) });
  const start = Date.now();
  const t = setInterval(() => q.add(['a']), 20);
  q.add(['a']);
  try {
    await waitFor(() => count >= 1, { timeoutMs: 3000, what: 'max to fire' });
    assert.ok(Date.now() - start < 1500);
  } finally {
    clearInterval(t);
    q.close();
  }
});

test('ids are batched independently; close drops pending batches', async () => {
  const fired: string[] = [];
  const q = createQuiescence({ minMs: 30, maxMs: 100, fire: (id) => fired.push(id) });
  q.add(['a', 'b']);
  await waitFor(() => fired.length === 2);
  assert.deepEqual(fired.sort(), ['a', 'b']);
  q.add(['c']);
  q.close();
  q.add(['d']);
  assert.equal(q.pending, 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired.sort(), ['a', 'b']);
});
