import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue } from '../../src/store/http/deadline-queue.js';
import { waitFor } from '../helpers/wait-for.js';

interface Item {
  readonly id: number;
  readonly deadline: number;
  pending: boolean;
  firedAt?: number;
}

test('each pending item expires once, never before its deadline; dropped ones never', async (t) => {
  const expired: Item[] = [];
  const queue = new DeadlineQueue<Item>({
    expire: (item) => {
      item.pending = false;
      item.firedAt = performance.now();
      expired.push(item);
    },
  });
  t.after(() => queue.close());
  const start = performance.now();
  // Deadlines in a scrambled order, some sharing the same instant.
  const items: Item[] = Array.from({ length: 300 }, (_, id) => ({
    id,
    deadline: start + 20 + ((id * 37) % 101),
    pending: true,
  }));
  for (const item of items) queue.add(item);
  const dropped = items.filter((item) => item.id % 3 === 0);
  for (const item of dropped) {
    item.pending = false;
    queue.dropped();
  }
  await waitFor(() => expired.length === items.length - dropped.length, {
    what: 'the pending items to expire',
  });
  assert.deepEqual(
    expired.map((item) => item.id).sort((a, b) => a - b),
    items.filter((item) => item.id % 3 !== 0).map((item) => item.id),
  );
  for (const item of expired) {
    assert.ok(item.firedAt! >= item.deadline, `item ${item.id} fired before its deadline`);
  }
  // Expired in deadline order.
  for (let i = 1; i < expired.length; i++) {
    assert.ok(expired[i - 1].deadline <= expired[i].deadline);
  }
  await waitFor(() => queue.size === 0, { what: 'the dropped items to leave the heap' });
});

test('an item added with an earlier deadline than all others fires first', async (t) => {
  const fired: number[] = [];
  const queue = new DeadlineQueue<Item>({
    expire: (item) => {
      item.pending = false;
      fired.push(item.id);
    },
  });
  t.after(() => queue.close());
  const now = performance.now();
  queue.add({ id: 1, deadline: now + 5000, pending: true });
  queue.add({ id: 2, deadline: now + 30, pending: true });
  await waitFor(() => fired.length === 1, { what: 'the early item' });
  assert.deepEqual(fired, [2]);
});

test('dropped items are compacted away before their deadline', async (t) => {
  const queue = new DeadlineQueue<Item>({ expire: () => undefined });
  t.after(() => queue.close());
  const now = performance.now();
  const items: Item[] = Array.from({ length: 3000 }, (_, id) => ({
    id,
    deadline: now + 60_000 + id,
    pending: true,
  }));
  for (const item of items) queue.add(item);
  for (const item of items.slice(0, 2500)) {
    item.pending = false;
    queue.dropped();
  }
  assert.equal(queue.size, 3000, 'compaction waits for the next turn');
  await waitFor(() => queue.size === 500, { what: 'compaction' });
});

test('close() stops the timer and forgets every item', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const queue = new DeadlineQueue<Item>({ expire: () => undefined });
  queue.add({ id: 1, deadline: performance.now() + 60_000, pending: true });
  assert.equal(timers(), before + 1, 'one timer for the queue');
  queue.add({ id: 2, deadline: performance.now() + 30_000, pending: true });
  assert.equal(timers(), before + 1, 'still one timer');
  queue.close();
  queue.close();
  assert.equal(queue.size, 0);
  assert.equal(timers(), before, 'the timer is gone');
  queue.add({ id: 3, deadline: performance.now() + 10, pending: true });
  assert.equal(queue.size, 0, 'a closed queue takes nothing');
  assert.equal(timers(), before);
});
