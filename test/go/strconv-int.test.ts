import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoInt } from '../../src/go/strconv.js';

const value = (text: string, signed = false, base: 0 | 10 = 0) => {
  const r = parseGoInt(text, 64, signed, base);
  return r.ok ? r.value : r.error;
};

test('base 0 follows Go integer literals: prefixes, leading-0 octal, underscores', () => {
  assert.equal(value('1_000'), 1000n);
  assert.equal(value('0x_1f'), 31n);
  assert.equal(value('017'), 15n);
  assert.equal(value('0_7'), 7n);
  assert.equal(value('0b1_01'), 5n);
  assert.equal(value('0o17'), 15n);
  assert.equal(value('0'), 0n);
  for (const bad of ['_1', '1_', '1__0', '0x', '08', '0xg', '', '1.5', '-1']) {
    assert.equal(value(bad), 'invalid syntax', bad);
  }
});

test('ranges are uint64 and int64, with ParseInt taking a sign', () => {
  assert.equal(value('18446744073709551615'), 18446744073709551615n);
  assert.equal(value('18446744073709551616'), 'value out of range');
  assert.equal(value('-9223372036854775808', true), -9223372036854775808n);
  assert.equal(value('9223372036854775808', true), 'value out of range');
  assert.equal(value('+5', true), 5n);
  assert.equal(value('-0x10', true), -16n);
});

test('base 10 (Consul ?index=) takes plain digits only', () => {
  assert.equal(value('007', false, 10), 7n);
  assert.equal(value('1_0', false, 10), 'invalid syntax');
  assert.equal(value('0x10', false, 10), 'invalid syntax');
  assert.equal(value('', false, 10), 'invalid syntax');
});
