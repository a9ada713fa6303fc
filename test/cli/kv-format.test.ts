import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDetailed, formatExport, tabwrite, tabwriteBytes } from '../../src/cli/kv-format.js';
import { parseGoFlags, parseUint64 } from '../../src/cli/kv-flags.js';
import { decodeBase64Strict } from '../../src/cli/kv-common.js';
import { parseImportData } from '../../src/cli/kv-import.js';
import type { KvPair } from '../../src/cli/consul-http.js';

const pair = (over: Partial<KvPair> = {}): KvPair => ({
  key: 'redis/config/connections',
  flags: 0n,
  value: Buffer.from('5'),
  createIndex: 336,
  modifyIndex: 336,
  lockIndex: 0,
  session: '',
  ...over,
});

test('formatDetailed pads field names to 11 + 6 columns as consul kv get -detailed', () => {
  assert.equal(
    formatDetailed(pair(), false).toString(),
    [
      'CreateIndex      336',
      'Flags            0',
      'Key              redis/config/connections',
      'LockIndex        0',
      'ModifyIndex      336',
      'Session          -',
      'Value            5',
    ].join('\n'),
  );
});

test('formatDetailed shows the session, uint64 flags and a base64 value', () => {
  const text = formatDetailed(
    pair({ session: 'abc', flags: 18446744073709551615n, value: Buffer.from('hi') }),
    true,
  ).toString();
  assert.match(text, /^Flags {12}18446744073709551615$/m);
  assert.match(text, /^Session {10}abc$/m);
  assert.match(text, /^Value {12}aGk=$/m);
});

test('formatDetailed keys-only leaves out Value and ends with a newline', () => {
  const text = formatDetailed(pair(), false, true).toString();
  assert.ok(text.endsWith('Session          -\n'));
  assert.doesNotMatch(text, /Value/);
});

test('tabwrite follows text/tabwriter column blocks (a multi-line value widens column 0)', () => {
  // A tab-terminated cell on a following line joins the block and widens every line's cell.
  const text = tabwrite('a\tx\nlong-name-here\ty\nno tabs\nb\tz', { minWidth: 0, padding: 2 });
  assert.equal(text, 'a               x\nlong-name-here  y\nno tabs\nb  z');
});

test('tabwrite widths count runes, an invalid UTF-8 byte as one', () => {
  assert.equal(tabwrite('é\tx\nab\ty', { minWidth: 0, padding: 1 }), 'é  x\nab y');
  const bytes = Buffer.from([0x80, 0x09, 0x78, 0x0a, 0x61, 0x61, 0x09, 0x79]);
  assert.deepEqual(
    tabwriteBytes(bytes, { minWidth: 0, padding: 1 }),
    Buffer.from([0x80, 0x20, 0x20, 0x78, 0x0a, 0x61, 0x61, 0x20, 0x79]),
  );
});

test('tabwrite: \\v ends a cell as \\t does, \\f ends the block and is written as \\n', () => {
  const opts = { minWidth: 0, padding: 1 };
  assert.equal(tabwrite('a\vx\nbb\ty', opts), 'a  x\nbb y');
  assert.equal(tabwrite('a\tx\nbbbb\ty', opts), 'a    x\nbbbb y');
  assert.equal(tabwrite('a\tx\fbbbb\ty', opts), 'a x\nbbbb y');
});

test('tabwrite passes 0xff-escaped text through, its width without the escapes', () => {
  const escaped = Buffer.from([0xff, 0x61, 0x09, 0x62, 0xff]);
  const input = Buffer.concat([escaped, Buffer.from('\tx\ncc\ty')]);
  assert.deepEqual(
    tabwriteBytes(input, { minWidth: 0, padding: 1 }),
    Buffer.concat([escaped, Buffer.from(' x\ncc  y')]),
  );
});

test('tabwrite handles lines with tens of thousands of tabs (no deep recursion)', () => {
  const line = `v${'\t'.repeat(50_000)}end`;
  const padded = `v${' '.repeat(50_000)}end`;
  const opts = { minWidth: 0, padding: 1 };
  assert.equal(tabwrite([line, line, 'x\ty'].join('\n'), opts), `${padded}\n${padded}\nx y`);
});

test('tabwrite nests column blocks as text/tabwriter does', () => {
  const text = tabwrite('a\tb\tc\nlong\tb\tc\nx\tyyyy\tz\nq', { minWidth: 0, padding: 1 });
  assert.equal(text, 'a    b    c\nlong b    c\nx    yyyy z\nq');
});

test('formatExport writes MarshalIndent tab-indented JSON with Go HTML escaping', () => {
  assert.equal(formatExport([]), '[]');
  assert.equal(
    formatExport([
      { key: 'a<b', flags: 42n, value: 'MQ==' },
      { key: 'c', flags: 0n, value: '' },
    ]),
    '[\n\t{\n\t\t"key": "a\\u003cb",\n\t\t"flags": 42,\n\t\t"value": "MQ=="\n\t},\n' +
      '\t{\n\t\t"key": "c",\n\t\t"flags": 0,\n\t\t"value": ""\n\t}\n]',
  );
});

test('parseGoFlags follows Go flag syntax and stops at the first argument', () => {
  const specs = {
    cas: { kind: 'bool', usage: '' },
    'modify-index': { kind: 'uint64', usage: '' },
    separator: { kind: 'string', usage: '', default: '/' },
  } as const;
  const f = parseGoFlags(['--cas', '-modify-index', '7', 'foo', '-separator=x'], specs);
  assert.equal(f.bool('cas'), true);
  assert.equal(f.uint64('modify-index'), 7n);
  assert.equal(f.string('separator'), '/');
  assert.deepEqual(f.args, ['foo', '-separator=x']);
  assert.equal(parseGoFlags(['-separator='], specs).string('separator'), '');
  assert.equal(parseGoFlags(['-cas=false', '--', '-x'], specs).bool('cas'), false);
  assert.deepEqual(parseGoFlags(['-cas=false', '--', '-x'], specs).args, ['-x']);
  assert.deepEqual(parseGoFlags(['-', 'a'], specs).args, ['-', 'a']);
  assert.throws(() => parseGoFlags(['-nope'], specs), {
    message: 'flag provided but not defined: -nope',
  });
  assert.throws(() => parseGoFlags(['-modify-index'], specs), {
    message: 'flag needs an argument: -modify-index',
  });
  assert.throws(() => parseGoFlags(['-modify-index=x'], specs), {
    message: 'invalid value "x" for flag -modify-index: parse error',
  });
  assert.throws(() => parseGoFlags(['-cas=maybe'], specs), {
    message: 'invalid boolean value "maybe" for -cas: parse error',
  });
  assert.throws(() => parseGoFlags(['---cas'], specs), { message: 'bad flag syntax: ---cas' });
});

test('parseUint64 accepts what strconv.ParseUint(s, 0, 64) accepts', () => {
  assert.equal(parseUint64('18446744073709551615'), 18446744073709551615n);
  assert.equal(parseUint64('18446744073709551616'), undefined);
  assert.equal(parseUint64('0x1f'), 31n);
  assert.equal(parseUint64('017'), 15n);
  assert.equal(parseUint64('0b1_01'), 5n);
  assert.equal(parseUint64('-1'), undefined);
  assert.equal(parseUint64('1_0'), 10n); // Go's base 0 takes Go literal underscores
});

test('decodeBase64Strict rejects what Go StdEncoding rejects', () => {
  assert.equal(decodeBase64Strict('aGVsbG8=').toString(), 'hello');
  assert.equal(decodeBase64Strict('aGVs\nbG8=').toString(), 'hello');
  assert.throws(() => decodeBase64Strict('aGVsbG8'), /illegal base64 data at input byte 4/);
  assert.throws(() => decodeBase64Strict('aG!s'), /illegal base64 data at input byte 2/);
  assert.throws(() => decodeBase64Strict('aG=s'), /illegal base64 data at input byte 2/);
});

test('parseImportData decodes export JSON like encoding/json into []*Entry', () => {
  assert.deepEqual(parseImportData('[{"Key":"a","FLAGS":18446744073709551615,"value":"MQ=="}]'), [
    { key: 'a', flags: 18446744073709551615n, value: 'MQ==' },
  ]);
  assert.deepEqual(parseImportData('null'), []);
  assert.throws(() => parseImportData('{}'), /cannot unmarshal object into Go value of type/);
  assert.throws(
    () => parseImportData('[{"key":"a","flags":-1}]'),
    /cannot unmarshal number -1 into Go struct field Entry.flags of type uint64/,
  );
  assert.throws(() => parseImportData('[{"key":1}]'), /cannot unmarshal number into Go struct/);
  assert.throws(() => parseImportData('[{'));
});
