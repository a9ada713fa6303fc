/**
 * `json` / `jsonArray` decoding: Go's encoding/json syntax error texts, type mismatch texts, and
 * Go-shaped values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJSONArray, decodeJSONObject } from '../../src/template/go-json.js';
import { goJsonSyntaxError } from '../../src/template/go-json-scan.js';
import { GoFloat } from '../../src/template/values.js';

const syntax: [string, string | undefined][] = [
  ['{}', undefined],
  [' {"a": [1, -2.5e+3, true, false, null, "x\\u00e9\\n"], "b": {}} ', undefined],
  ['', 'unexpected end of JSON input'],
  ['   ', 'unexpected end of JSON input'],
  ['{', 'unexpected end of JSON input'],
  ['{"a":', 'unexpected end of JSON input'],
  ['[1,', 'unexpected end of JSON input'],
  ['"abc', 'unexpected end of JSON input'],
  ['1', undefined],
  ['-', 'unexpected end of JSON input'],
  ['1.', 'unexpected end of JSON input'],
  ['x', "invalid character 'x' looking for beginning of value"],
  ['{"a" 1}', "invalid character '1' after object key"],
  ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
  ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
  ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
  ['[1 2]', "invalid character '2' after array element"],
  ['[1,]', "invalid character ']' looking for beginning of value"],
  ['{} x', "invalid character 'x' after top-level value"],
  ['tru', 'unexpected end of JSON input'],
  ['trux', "invalid character 'x' in literal true (expecting 'e')"],
  ['nul1', "invalid character '1' in literal null (expecting 'l')"],
  ['fals', 'unexpected end of JSON input'],
  ['01', "invalid character '1' after top-level value"],
  ['-a', "invalid character 'a' in numeric literal"],
  ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
  ['1e+', 'unexpected end of JSON input'],
  ['1ex', "invalid character 'x' in exponent of numeric literal"],
  ['"a\\x"', "invalid character 'x' in string escape code"],
  ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ['"a\tb"', "invalid character '\\t' in string literal"],
  ['"a\u0001b"', "invalid character '\\x01' in string literal"],
  ['[1]]', "invalid character ']' after top-level value"],
];

for (const [input, want] of syntax) {
  test(`Go JSON syntax check of ${JSON.stringify(input)}`, () => {
    assert.equal(goJsonSyntaxError(input), want);
  });
}

test("deep nesting past Go's limit is an error, not a crash", () => {
  assert.equal(goJsonSyntaxError('['.repeat(10_001)), 'exceeded max depth');
  assert.throws(() => decodeJSONArray('['.repeat(20_000)), { message: 'exceeded max depth' });
});

test("json decodes objects; type mismatches use Go's texts", () => {
  const v = decodeJSONObject('{"port": 8080, "tags": ["a"], "x": null}');
  assert.ok(v.port instanceof GoFloat);
  assert.equal(Number(v.port), 8080);
  assert.deepEqual(v.tags, ['a']);
  assert.equal(v.x, null);
  const mismatch: [string, string][] = [
    ['[]', 'array'],
    ['"s"', 'string'],
    ['1', 'number'],
    ['true', 'bool'],
  ];
  for (const [input, kind] of mismatch) {
    assert.throws(() => decodeJSONObject(input), {
      message: `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    });
  }
  assert.throws(() => decodeJSONArray('{}'), {
    message: 'json: cannot unmarshal object into Go value of type []interface {}',
  });
  assert.throws(() => decodeJSONObject('{"a":1,}'), {
    message: "invalid character '}' looking for beginning of object key string",
  });
});
