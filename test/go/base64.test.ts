/** Go's base64.StdEncoding.DecodeString: results and error offsets as Go reports them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64Std } from '../../src/go/base64.js';

test('decodeBase64Std decodes padded standard base64, skipping CR and LF', () => {
  assert.equal(decodeBase64Std('').toString(), '');
  assert.equal(decodeBase64Std('aGVsbG8=').toString(), 'hello');
  assert.equal(decodeBase64Std('aGVs\r\nbG8=\n').toString(), 'hello');
  assert.equal(decodeBase64Std('QQ==').toString(), 'A');
  assert.deepEqual([...decodeBase64Std('+/8=')], [0xfb, 0xff]);
});

test('decodeBase64Std fails with Go’s byte offset', () => {
  const cases: [string, number][] = [
    ['abc', 0],
    ['aGVsbG8', 4],
    ['ab!d', 2],
    ['aG=s', 2],
    ['QQ=', 3],
    ['YQ==YQ==', 4],
    ['\nB', 1],
    ['QQ=\n=x', 5],
    ['aGVsbG8=-', 8],
  ];
  for (const [input, at] of cases) {
    assert.throws(() => decodeBase64Std(input), {
      message: `illegal base64 data at input byte ${at}`,
    });
  }
});
