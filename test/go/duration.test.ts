/** Go's time.ParseDuration (to nanoseconds) and Duration.String. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from '../../src/go/duration.js';

test('parseGoDuration parses what time.ParseDuration accepts, in nanoseconds', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['10s', 10e9],
    ['1h30m', 5400e9],
    ['1.5s', 1.5e9],
    ['.5s', 0.5e9],
    ['250ms', 250e6],
    ['3us', 3000],
    ['3µs', 3000],
    ['7ns', 7],
    ['-2m', -120e9],
    ['+1s', 1e9],
    ['', undefined],
    ['10', undefined],
    ['s', undefined],
    ['1d', undefined],
    ['1s ', undefined],
    [`${'9'.repeat(400)}h`, undefined],
    ['1.s', 1e9],
    ['.s', undefined],
    ['1h.5m', 3630e9],
    // Go's Duration is an int64 of nanoseconds: beyond it ParseDuration fails.
    ['2562047h', 2562047 * 3600e9],
    ['2562048h', undefined],
    ['99999999999h', undefined],
    ['9223372036854775807ns', 2 ** 63], // (as the nearest double)
    ['9223372036854775808ns', undefined],
    ['-9223372036854775808ns', -(2 ** 63)],
    ['-9223372036854775809ns', undefined],
    ['2562047h47m16.854775807s', 2 ** 63],
    ['2562047h47m16.854775808s', undefined],
    ['1.00000000000000000000000000001s', 1e9],
  ];
  for (const [input, want] of cases) assert.equal(parseGoDuration(input), want, input);
});

test('formatGoDuration prints like Duration.String', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [500, '500ns'],
    [1500, '1.5µs'],
    [15e6, '15ms'],
    [10e9, '10s'],
    [1.5e9, '1.5s'],
    [90e9, '1m30s'],
    [86400e9, '24h0m0s'],
    [-10e9, '-10s'],
    [3600e9 * 1000 + 7, '1000h0m0.000000007s'],
    [1.9, '1ns'], // a Go Duration is whole nanoseconds
  ];
  for (const [input, want] of cases) assert.equal(formatGoDuration(input), want, String(input));
  assert.equal(formatGoDuration(-(2n ** 63n)), '-2562047h47m16.854775808s');
  assert.equal(formatGoDuration(1_500_000n), '1.5ms');
});
