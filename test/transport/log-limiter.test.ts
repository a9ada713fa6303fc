import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOG_INTERVAL_MS,
  PeerLogLimiter,
  suppressedNote,
} from '../../src/transport/log-limiter.js';

test('one line per address per 10 s; the next line counts the ones held back', () => {
  let now = 1_000;
  const limiter = new PeerLogLimiter(LOG_INTERVAL_MS, () => now);
  assert.equal(limiter.take('127.0.0.5'), 0);
  assert.equal(limiter.take('127.0.0.5'), undefined);
  assert.equal(limiter.take('127.0.0.5'), undefined);
  // Another address has its own window.
  assert.equal(limiter.take('127.0.0.6'), 0);
  now += LOG_INTERVAL_MS - 1;
  assert.equal(limiter.take('127.0.0.5'), undefined);
  now += 1;
  assert.equal(limiter.take('127.0.0.5'), 3);
  assert.equal(limiter.take('127.0.0.5'), undefined);
  now += LOG_INTERVAL_MS;
  assert.equal(limiter.take('127.0.0.5'), 1);
  assert.equal(limiter.take('127.0.0.6'), 0);
});

test('suppressedNote says how many lines were held back', () => {
  assert.equal(suppressedNote(0, '10.0.0.1'), '');
  assert.equal(suppressedNote(1, '10.0.0.1'), ' (1 similar line from 10.0.0.1 suppressed)');
  assert.equal(suppressedNote(7, '::1'), ' (7 similar lines from ::1 suppressed)');
});
