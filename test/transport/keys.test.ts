import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import { KEY_BYTES, generateKey, parseEncryptKey } from '../../src/transport/keys.js';

const invalid = (message: string) => (err: unknown) =>
  isConfdError(err, ErrorCode.CLUSTER_KEY_INVALID) && err.message === message;

test('generateKey makes base64 of 32 random bytes, a new one each time', () => {
  const a = generateKey();
  const b = generateKey();
  assert.match(a, /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(a, 'base64').length, KEY_BYTES);
  assert.notEqual(a, b);
});

test('parseEncryptKey accepts a generated key and returns its bytes', () => {
  const key = generateKey();
  assert.deepEqual(parseEncryptKey(key), Buffer.from(key, 'base64'));
});

test('parseEncryptKey accepts the 16 and 24-byte keys Consul still accepts', () => {
  // The 16-byte key of Consul's old docs (consul keygen printed 16 bytes before 1.4).
  assert.equal(parseEncryptKey('cg8StVXbQJ0gPvMd9o7yrg==').length, 16);
  assert.equal(parseEncryptKey(Buffer.alloc(24, 7).toString('base64')).length, 24);
});

test("parseEncryptKey rejects bad base64 with Consul's message and Go's offsets", () => {
  assert.throws(
    () => parseEncryptKey('this is not a valid key'),
    invalid('encrypt has invalid key: illegal base64 data at input byte 4'),
  );
  const key = generateKey();
  // Padding is required, as Go's StdEncoding.
  assert.throws(
    () => parseEncryptKey(key.slice(0, -1)),
    invalid('encrypt has invalid key: illegal base64 data at input byte 40'),
  );
  // URL-safe base64 is another alphabet.
  const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url') + '=';
  assert.throws(
    () => parseEncryptKey(urlSafe),
    invalid('encrypt has invalid key: illegal base64 data at input byte 0'),
  );
});

test("parseEncryptKey rejects other sizes with memberlist's message", () => {
  for (const size of [0, 1, 15, 17, 31, 33, 64]) {
    assert.throws(
      () => parseEncryptKey(Buffer.alloc(size, 1).toString('base64')),
      invalid('encrypt has invalid key: key size must be 16, 24 or 32 bytes'),
      `size ${size}`,
    );
  }
});
