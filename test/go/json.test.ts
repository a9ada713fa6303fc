/** Go encoding/json output: string escaping, compact, 4-space pretty and MarshalIndent layouts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJson, goJsonIndent, goJsonString } from '../../src/go/json.js';

test('goJsonString escapes like encoding/json (HTML-safe)', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['line\u2028para\u2029', '"line\\u2028para\\u2029"'],
    ['\n\t\x01', '"\\n\\t\\u0001"'],
    ['héllo ✓', '"héllo ✓"'],
  ];
  for (const [input, want] of cases) assert.equal(goJsonString(input), want, input);
});

test('goJson keeps key order, prints bigint exactly and skips undefined fields', () => {
  const value = { B: 1, A: [true, null], Flags: 18446744073709551615n, Gone: undefined, E: {} };
  assert.equal(goJson(value), '{"B":1,"A":[true,null],"Flags":18446744073709551615,"E":{}}');
  assert.equal(
    goJson(value, true),
    '{\n    "B": 1,\n    "A": [\n        true,\n        null\n    ],\n' +
      '    "Flags": 18446744073709551615,\n    "E": {}\n}\n',
  );
  assert.equal(goJson([]), '[]');
});

test('goJsonIndent is json.MarshalIndent with the given indent', () => {
  assert.equal(
    goJsonIndent([{ key: 'k', flags: 0n, value: '' }], '\t'),
    '[\n\t{\n\t\t"key": "k",\n\t\t"flags": 0,\n\t\t"value": ""\n\t}\n]',
  );
  assert.equal(goJsonIndent([], '\t'), '[]');
});
