/** The linearizability checker itself: it accepts real orders and refuses impossible ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLinearizable, type Op } from './linearizability.js';

const read = (call: number, ret: number, value: number): Op => ({ kind: 'read', call, ret, value });
const cas = (call: number, ret: number, from: number, ok: boolean | undefined): Op => ({
  kind: 'cas',
  call,
  ret,
  from,
  ok,
});

test('sequential histories: accepted when every answer is the register’s', () => {
  assert.equal(
    isLinearizable([cas(0, 1, 0, true), read(2, 3, 1), cas(4, 5, 1, true), read(6, 7, 2)]),
    true,
  );
  assert.equal(isLinearizable([cas(0, 1, 0, true), cas(2, 3, 0, false), read(4, 5, 1)]), true);
});

test('a stale read after an acknowledged write is refused', () => {
  assert.equal(isLinearizable([cas(0, 1, 0, true), read(2, 3, 0)]), false);
});

test('two successful CAS from the same value are refused; one of two is accepted', () => {
  assert.equal(isLinearizable([cas(0, 10, 0, true), cas(1, 9, 0, true)]), false);
  assert.equal(isLinearizable([cas(0, 10, 0, true), cas(1, 9, 0, false), read(11, 12, 1)]), true);
});

test('overlapping operations may take either order', () => {
  // The read overlaps the write: it may see the value before or after it.
  assert.equal(isLinearizable([cas(0, 10, 0, true), read(1, 2, 0), read(3, 4, 1)]), true);
  // But once a read saw the new value, a later read may not see the old one.
  assert.equal(isLinearizable([cas(0, 10, 0, true), read(1, 2, 1), read(3, 4, 0)]), false);
});

test('an operation with an unknown outcome may or may not have happened, but only once', () => {
  assert.equal(isLinearizable([cas(0, Infinity, 0, undefined), read(5, 6, 1)]), true);
  assert.equal(
    isLinearizable([cas(0, Infinity, 0, undefined), read(5, 6, 0), read(7, 8, 1)]),
    true,
  );
  assert.equal(
    isLinearizable([cas(0, Infinity, 0, undefined), read(5, 6, 1), read(7, 8, 0)]),
    false,
  );
  assert.equal(isLinearizable([cas(0, Infinity, 0, undefined), read(5, 6, 2)]), false);
});

test('a long history of interleaved increments is checked quickly', () => {
  const ops: Op[] = [];
  // Four clients, each reading then CASing, with overlapping windows; the true order is by value.
  let t = 0;
  for (let v = 0; v < 300; v++) {
    ops.push(read(t, t + 3, v), cas(t + 1, t + 4, v, true), cas(t + 2, t + 5, v, false));
    t += 4;
  }
  assert.equal(isLinearizable(ops), true);
});
