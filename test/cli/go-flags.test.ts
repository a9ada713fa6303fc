import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoFlagDefaults, parseGoFlagArgs, type GoFlagSpec } from '../../src/cli/go-flags.js';

const specs: GoFlagSpec[] = [
  { name: 'v', kind: 'bool', usage: 'verbose' },
  { name: 'n', kind: 'int', usage: 'count', default: '3' },
  { name: 'index', kind: 'uint64', usage: 'an index' },
  { name: 'timeout', kind: 'duration', usage: 'how long', default: '5s' },
  { name: 'tag', kind: 'list', usage: 'a tag (repeatable)' },
  { name: 'name', kind: 'string', usage: 'a name', default: '"x"' },
];

const run = (argv: string[]) => {
  const r = parseGoFlagArgs(argv, specs);
  return r.kind === 'ok' ? { values: Object.fromEntries(r.values), args: r.args } : r;
};

test('Go syntax: -f v, -f=v, --f, bare and explicit booleans, lists, stop at first argument', () => {
  assert.deepEqual(
    run([
      '-v',
      '--n=1_0',
      '-index',
      '0x10',
      '-timeout=1m',
      '-tag',
      'a',
      '--tag=b',
      'x',
      '-v=false',
    ]),
    {
      values: { v: true, n: 10n, index: 16n, timeout: '1m', tag: ['a', 'b'] },
      args: ['x', '-v=false'],
    },
  );
  assert.deepEqual(run(['-v=false', '--', '-n']), { values: { v: false }, args: ['-n'] });
  assert.deepEqual(run(['-', '-v']), { values: {}, args: ['-', '-v'] });
});

test('errors and help read like Go', () => {
  const message = (argv: string[]) => {
    const r = parseGoFlagArgs(argv, specs);
    return r.kind === 'error' ? r.message : r.kind;
  };
  assert.equal(message(['-x']), 'flag provided but not defined: -x');
  assert.equal(message(['-n', 'x']), 'invalid value "x" for flag -n: parse error');
  assert.equal(
    message(['-index=18446744073709551616']),
    'invalid value "18446744073709551616" for flag -index: value out of range',
  );
  assert.equal(message(['-index=-1']), 'invalid value "-1" for flag -index: parse error');
  assert.equal(message(['-timeout', '5']), 'invalid value "5" for flag -timeout: parse error');
  assert.equal(message(['-v=maybe']), 'invalid boolean value "maybe" for -v: parse error');
  assert.equal(message(['-name']), 'flag needs an argument: -name');
  assert.equal(message(['---v']), 'bad flag syntax: ---v');
  assert.equal(message(['-h']), 'help');
  assert.equal(message(['--help']), 'help');
});

test('usage has Go PrintDefaults layout, sorted, one-letter booleans on one line', () => {
  assert.equal(
    formatGoFlagDefaults(specs),
    [
      '  -index uint\n    \tan index\n',
      '  -n int\n    \tcount (default 3)\n',
      '  -name string\n    \ta name (default "x")\n',
      '  -tag value\n    \ta tag (repeatable)\n',
      '  -timeout duration\n    \thow long (default 5s)\n',
      '  -v\tverbose\n',
    ].join(''),
  );
});
