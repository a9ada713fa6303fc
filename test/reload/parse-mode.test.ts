/** parseMode reads a resource's `mode` as users write it; bad values get a clear error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMode, formatOctalMode } from '../../src/reload/parse-mode.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';

test('parseMode accepts octal, prefixed octal, hex, binary and numbers', () => {
  const table: [string | number, number][] = [
    ['0644', 0o644],
    ['644', 0o644], // upstream: decimal 644 -> mode 0204; octal here
    ['0600', 0o600],
    ['0o644', 0o644],
    ['0O755', 0o755],
    ['0x1a4', 0o644],
    ['0X1A4', 0o644],
    ['0b110100100', 0o644],
    ['  0640 ', 0o640],
    ['4755', 0o4755],
    ['01777', 0o1777],
    ['0', 0],
    ['07777', 0o7777],
    [0o640, 0o640],
  ];
  for (const [input, want] of table) {
    assert.equal(parseMode(input), want, `parseMode(${JSON.stringify(input)})`);
  }
});

test('parseMode rejects bad values with an error naming them', () => {
  const table: [string | number, RegExp][] = [
    ['abc', /invalid mode "abc": not a number/],
    ['', /invalid mode "": it is empty/],
    ['   ', /it is empty/],
    ['0644x', /invalid mode "0644x"/],
    ['999', /invalid mode "999"/],
    ['0o8', /invalid mode "0o8"/],
    ['0x', /invalid mode "0x"/],
    ['-644', /invalid mode "-644"/],
    ['010000', /larger than 07777/],
    ['0x10000', /larger than 07777/],
    [1.5, /must be an integer/],
    [-1, /must be an integer/],
  ];
  for (const [input, message] of table) {
    assert.throws(
      () => parseMode(input),
      (err: unknown) => isConfdError(err, ErrorCode.RESOURCE_INVALID) && message.test(err.message),
      `parseMode(${JSON.stringify(input)})`,
    );
  }
});

test('formatOctalMode writes permissions the way users write them', () => {
  assert.equal(formatOctalMode(0o644), '0644');
  assert.equal(formatOctalMode(0o4755), '04755');
  assert.equal(formatOctalMode(0), '0000');
  assert.equal(formatOctalMode(0o100600), '0600');
});
