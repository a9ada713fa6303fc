/** Go's strconv.FormatFloat for float64: 'f' -1 (the file backend) and 'g' -1 (`%v`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat } from '../../src/go/float.js';

test("Go FormatFloat(f, 'f', -1, 64)", () => {
  const cases: [number, string][] = [
    [0.1, '0.1'],
    [2.5, '2.5'],
    [1000, '1000'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e-10, '-0.00000000025'],
    [123456789.125, '123456789.125'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [input, want] of cases) assert.equal(formatFloat(input, 'f', -1), want, String(input));
});

test("Go FormatFloat(f, 'g', -1, 64) is %v of a float64", () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [3.5, '3.5'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [NaN, 'NaN'],
    [-Infinity, '-Inf'],
  ];
  for (const [input, want] of cases) assert.equal(formatFloat(input, 'g', -1), want, String(input));
});

test('Go FormatFloat with a fixed precision rounds half to even on the exact value', () => {
  assert.equal(formatFloat(2.5, 'f', 0), '2');
  assert.equal(formatFloat(3.5, 'f', 0), '4');
  assert.equal(formatFloat(1.005, 'f', 2), '1.00'); // 1.005 is 1.00499999... in binary
  assert.equal(formatFloat(1234.5678, 'e', 3), '1.235e+03');
  assert.equal(formatFloat(0.000012345, 'g', 3), '1.23e-05');
  assert.equal(formatFloat(1, 'b', -1), '4503599627370496p-52');
});
