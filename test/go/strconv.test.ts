/** goQuote (Go's strconv.Quote / %q, byte-correct), goQuoteRune, isPrintRune, formatRuneU, ParseBool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatRuneU,
  goQuote,
  goQuoteRune,
  isPrintRune,
  parseGoBool,
} from '../../src/go/strconv.js';

test('goQuote matches Go %q', () => {
  const table: [string | Uint8Array, string][] = [
    ['', '""'],
    ['ok\n', '"ok\\n"'],
    ['a "quoted" \\ path', '"a \\"quoted\\" \\\\ path"'],
    ['\t\r\x07\b\f\v', '"\\t\\r\\a\\b\\f\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['héllo wörld ✓', '"héllo wörld ✓"'],
    ['\u00a0\u00ad\u2028', '"\\u00a0\\u00ad\\u2028"'],
    ['😀', '"😀"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['\ufffd', '"\ufffd"'], // a real U+FFFD is printable in Go
    ['a\ud800b', '"a\\ufffdb"'], // a lone surrogate cannot exist in a Go string
    [new Uint8Array([0x61, 0xff, 0xc3, 0x28, 0x62]), '"a\\xff\\xc3(b"'],
    [new Uint8Array([0xed, 0xa0, 0x80]), '"\\xed\\xa0\\x80"'], // surrogate: invalid in Go
    [new Uint8Array([0xe2, 0x82]), '"\\xe2\\x82"'], // truncated sequence
    [new Uint8Array([0xef, 0xbf, 0xbd]), '"\ufffd"'], // encoded U+FFFD is valid UTF-8
  ];
  for (const [input, want] of table) assert.equal(goQuote(input), want);
});

test('goQuoteRune, isPrintRune and formatRuneU match Go', () => {
  assert.equal(goQuoteRune(0x61), "'a'");
  assert.equal(goQuoteRune(0x0a), "'\\n'");
  assert.equal(goQuoteRune(0), "'\\x00'");
  assert.equal(goQuoteRune(0x27), "'\\''");
  assert.equal(goQuoteRune(0x22), `'"'`);
  assert.equal(goQuoteRune(-1), "'\ufffd'");
  assert.equal(isPrintRune(0x20), true);
  assert.equal(isPrintRune(0xa0), false);
  assert.equal(isPrintRune(0x7f), false);
  assert.equal(isPrintRune(0xe9), true);
  assert.equal(formatRuneU('#'), "U+0023 '#'");
  assert.equal(formatRuneU('\n'), 'U+000A');
});

test('parseGoBool accepts exactly what strconv.ParseBool accepts', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
    assert.equal(parseGoBool(f), false, f);
  for (const bad of ['', 'yes', 'tRUE', ' true', '2'])
    assert.equal(parseGoBool(bad), undefined, bad);
});
