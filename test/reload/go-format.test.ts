/** goQuote and formatFileMode reproduce the Go formatting that confd's log lines use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goQuote, formatFileMode } from '../../src/reload/go-format.js';

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
    [new Uint8Array([0x61, 0xff, 0xc3, 0x28, 0x62]), '"a\\xff\\xc3(b"'],
    [new Uint8Array([0xed, 0xa0, 0x80]), '"\\xed\\xa0\\x80"'], // surrogate: invalid in Go
    [new Uint8Array([0xe2, 0x82]), '"\\xe2\\x82"'], // truncated sequence
  ];
  for (const [input, want] of table) assert.equal(goQuote(input), want);
});

test('formatFileMode matches Go os.FileMode.String', () => {
  const table: [number, string][] = [
    [0o100644, '-rw-r--r--'],
    [0o100600, '-rw-------'],
    [0o100204, '--w----r--'],
    [0o040755, 'drwxr-xr-x'],
    [0o104755, 'urwxr-xr-x'],
    [0o102644, 'grw-r--r--'],
    [0o041777, 'dtrwxrwxrwx'],
    [0o120777, 'Lrwxrwxrwx'],
    [0o010644, 'prw-r--r--'],
    [0o020666, 'Dcrw-rw-rw-'],
    [0o0644, '-rw-r--r--'],
  ];
  for (const [input, want] of table) assert.equal(formatFileMode(input), want, input.toString(8));
});
