/** Go's time.ParseDuration (to nanoseconds) and Duration.String. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  durationFromFloat,
  formatGoDuration,
  goDurationError,
  parseGoDuration,
  parseGoDurationNs,
  parseJsonDuration,
} from '../../src/go/duration.js';

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

test('parseGoDurationNs is exact past 2^53 ns', () => {
  assert.equal(parseGoDurationNs('9223372036854775807ns'), 9223372036854775807n);
  assert.equal(parseGoDurationNs('-9223372036854775808ns'), -9223372036854775808n);
  assert.equal(parseGoDurationNs('2562047h47m16.854775807s'), 9223372036854775807n);
  assert.equal(parseGoDurationNs('1.5s'), 1_500_000_000n);
  assert.equal(parseGoDurationNs('-0'), 0n);
  assert.equal(parseGoDurationNs('9223372036854775808ns'), undefined);
});

test("goDurationError gives time.ParseDuration's messages", () => {
  const cases: [string, string | undefined][] = [
    ['10s', undefined],
    ['0', undefined],
    ['', 'time: invalid duration ""'],
    ['soon', 'time: invalid duration "soon"'],
    ['-', 'time: invalid duration "-"'],
    ['.s', 'time: invalid duration ".s"'],
    ['10', 'time: missing unit in duration "10"'],
    ['1h30', 'time: missing unit in duration "1h30"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['5"s', 'time: unknown unit "\\"s" in duration "5\\"s"'],
    // Non-ASCII and control characters are written byte by byte, as Go's time.quote does.
    ['1µx', 'time: unknown unit "\\xc2\\xb5x" in duration "1\\xc2\\xb5x"'],
    ['1\ts', 'time: unknown unit "\\x09s" in duration "1\\x09s"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
  ];
  for (const [input, want] of cases) assert.equal(goDurationError(input), want, input);
});

test('durationFromFloat converts like Go time.Duration(float64): truncated toward zero', () => {
  assert.equal(durationFromFloat(10e9), 10_000_000_000n);
  assert.equal(durationFromFloat(1.5e9), 1_500_000_000n);
  assert.equal(durationFromFloat(1.9), 1n);
  assert.equal(durationFromFloat(-1.9), -1n);
  assert.equal(durationFromFloat(-0), 0n);
  assert.equal(durationFromFloat(2 ** 62), 4611686018427387904n);
  // Out of the int64 range: the minimum Duration, as on amd64.
  assert.equal(durationFromFloat(1e19), -(2n ** 63n));
  assert.equal(durationFromFloat(-1e19), -(2n ** 63n));
});

test('parseJsonDuration takes a Go duration string or a number of nanoseconds', () => {
  assert.equal(parseJsonDuration('10s'), 10_000_000_000n);
  assert.equal(parseJsonDuration(10e9), 10_000_000_000n);
  assert.equal(parseJsonDuration(-5), -5n);
  assert.equal(parseJsonDuration(2.5), 2n);
  assert.equal(parseJsonDuration('10'), undefined);
  assert.equal(parseJsonDuration(''), undefined);
  for (const other of [true, null, undefined, {}, ['10s'], Infinity, NaN]) {
    assert.equal(parseJsonDuration(other), undefined, inspect(other));
  }
});
