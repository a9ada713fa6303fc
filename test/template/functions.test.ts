/**
 * Table-driven tests of the template function library against a seeded snapshot, an injected
 * clock, an injected environment and an injected fileExists: every confd function, with the edge
 * cases confd templates rely on and confd's exact error texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFunctions, KeyMissingError } from '../../src/template/functions.js';
import {
  GoFloat,
  KVPair,
  TemplateArgumentError,
  createLookupRecorder,
  goFormat,
  goTypeName,
  type TemplateFunction,
} from '../../src/template/values.js';
import type { RenderContext } from '../../src/template/types.js';

const NOW = Date.UTC(2026, 10, 25, 19, 47, 3, 675);

const keys = new Map<string, string>([
  ['/key', 'foobar'],
  ['/database/host', '127.0.0.1'],
  ['/database/password', 'p@sSw0rd'],
  ['/database/port', '3306'],
  ['/database/username', 'confd'],
  ['/upstream/app2', '10.0.1.11:8080'],
  ['/upstream/app1', '10.0.1.10:8080'],
  ['/nested/east/app1', '10.0.1.10:8080'],
  ['/nested/west/app2', '10.0.1.11:8080'],
  ['/sort/a', 'zz'],
  ['/sort/b', 'aa'],
  ['/sort/c', 'mm'],
  ['/test/data/abc', '1'],
  ['/test/data/def/ghi', '2'],
  ['/test/data/jkl/mno', '3'],
  ['/empty', ''],
  ['/a[1]', 'bracket'],
]);

function setup(overrides: Partial<RenderContext> = {}) {
  const recorder = createLookupRecorder();
  const context: RenderContext = {
    keys,
    env: { HOSTNAME: 'localhost', EMPTY: '' },
    now: () => NOW,
    fileExists: (p) => p === '/etc/present',
    ...overrides,
  };
  const fns = createFunctions(context, recorder) as Record<string, TemplateFunction>;
  const call = (name: string, ...args: unknown[]): unknown => {
    const fn = fns[name];
    assert.ok(fn, `function ${name} exists`);
    return fn(...args);
  };
  return { call, recorder, fns };
}

/** goText prints a value the way the Go engine would for these simple cases. */
function goText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goText).join(' ')}]`;
  if (v !== null && typeof v === 'object' && goFormat in v) {
    return (v as { [goFormat](): string })[goFormat]();
  }
  return String(v);
}

test("the library has exactly confd's function names", () => {
  const { fns } = setup();
  assert.deepEqual(
    Object.keys(fns).sort(),
    [
      'add',
      'atoi',
      'base',
      'base64Decode',
      'base64Encode',
      'contains',
      'datetime',
      'dir',
      'div',
      'exists',
      'fileExists',
      'get',
      'getenv',
      'gets',
      'getv',
      'getvs',
      'join',
      'json',
      'jsonArray',
      'lookupIP',
      'lookupIPV4',
      'lookupIPV6',
      'lookupSRV',
      'ls',
      'lsdir',
      'map',
      'mod',
      'mul',
      // Service discovery (consul-template's), beyond confd's set.
      'nodes',
      'parseBool',
      'replace',
      'reverse',
      'seq',
      'service',
      'services',
      'sortByLength',
      'sortKVByLength',
      'split',
      'sub',
      'toLower',
      'toUpper',
      'trimSuffix',
    ].sort(),
  );
});

const cases: { name: string; fn: string; args: unknown[]; want: string }[] = [
  // memkv
  {
    name: 'get prints as a KVPair',
    fn: 'get',
    args: ['/database/port'],
    want: '{/database/port 3306}',
  },
  { name: 'getv', fn: 'getv', args: ['/database/host'], want: '127.0.0.1' },
  { name: 'getv default', fn: 'getv', args: ['/nope', 'dflt'], want: 'dflt' },
  { name: 'getv empty-string default', fn: 'getv', args: ['/nope', ''], want: '' },
  { name: 'getv existing empty value', fn: 'getv', args: ['/empty', 'x'], want: '' },
  {
    name: 'gets sorted by key',
    fn: 'gets',
    args: ['/upstream/*'],
    want: '[{/upstream/app1 10.0.1.10:8080} {/upstream/app2 10.0.1.11:8080}]',
  },
  { name: 'gets * does not cross /', fn: 'gets', args: ['/nested/*'], want: '[]' },
  {
    name: 'gets two levels',
    fn: 'gets',
    args: ['/nested/*/*'],
    want: '[{/nested/east/app1 10.0.1.10:8080} {/nested/west/app2 10.0.1.11:8080}]',
  },
  {
    name: 'gets ?',
    fn: 'gets',
    args: ['/upstream/app?'],
    want: '[{/upstream/app1 10.0.1.10:8080} {/upstream/app2 10.0.1.11:8080}]',
  },
  { name: 'gets class', fn: 'gets', args: ['/sort/[ab]'], want: '[{/sort/a zz} {/sort/b aa}]' },
  { name: 'gets negated class', fn: 'gets', args: ['/sort/[^ab]'], want: '[{/sort/c mm}]' },
  { name: 'gets range', fn: 'gets', args: ['/sort/[b-z]'], want: '[{/sort/b aa} {/sort/c mm}]' },
  { name: 'gets escape', fn: 'gets', args: ['/a\\[1\\]'], want: '[{/a[1] bracket}]' },
  { name: 'gets no match is empty', fn: 'gets', args: ['/none/*'], want: '[]' },
  { name: 'getvs sorted by value', fn: 'getvs', args: ['/sort/*'], want: '[aa mm zz]' },
  { name: 'getvs no match', fn: 'getvs', args: ['/none/*'], want: '[]' },
  { name: 'exists key', fn: 'exists', args: ['/key'], want: 'true' },
  { name: 'exists directory is false', fn: 'exists', args: ['/database'], want: 'false' },
  { name: 'ls', fn: 'ls', args: ['/database'], want: '[host password port username]' },
  {
    name: 'ls trailing slash',
    fn: 'ls',
    args: ['/database/'],
    want: '[host password port username]',
  },
  { name: 'ls directories', fn: 'ls', args: ['/nested'], want: '[east west]' },
  { name: 'ls leaf', fn: 'ls', args: ['/database/host'], want: '[host]' },
  { name: 'ls mixed', fn: 'ls', args: ['/test/data'], want: '[abc def jkl]' },
  {
    name: 'ls root (upstream #725 fixed)',
    fn: 'ls',
    args: ['/'],
    want: '[a[1] database empty key nested sort test upstream]',
  },
  { name: 'ls missing', fn: 'ls', args: ['/missing'], want: '[]' },
  { name: 'lsdir', fn: 'lsdir', args: ['/test/data'], want: '[def jkl]' },
  { name: 'lsdir nested', fn: 'lsdir', args: ['/nested'], want: '[east west]' },
  { name: 'lsdir leaves only', fn: 'lsdir', args: ['/database'], want: '[]' },
  {
    name: 'lsdir root (upstream #725 fixed)',
    fn: 'lsdir',
    args: ['/'],
    want: '[database nested sort test upstream]',
  },
  // paths and strings
  { name: 'base', fn: 'base', args: ['/a/b/c'], want: 'c' },
  { name: 'base trailing slash', fn: 'base', args: ['/a/b/'], want: 'b' },
  { name: 'base empty', fn: 'base', args: [''], want: '.' },
  { name: 'dir', fn: 'dir', args: ['/a/b/c'], want: '/a/b' },
  { name: 'dir root child', fn: 'dir', args: ['/a'], want: '/' },
  { name: 'dir relative', fn: 'dir', args: ['a'], want: '.' },
  { name: 'split', fn: 'split', args: ['a,b,,c', ','], want: '[a b  c]' },
  { name: 'split empty sep', fn: 'split', args: ['aé', ''], want: '[a é]' },
  { name: 'join', fn: 'join', args: [['a', 'b'], '-'], want: 'a-b' },
  { name: 'toUpper', fn: 'toUpper', args: ['abcß'], want: 'ABCß' },
  { name: 'toLower', fn: 'toLower', args: ['ABC'], want: 'abc' },
  { name: 'toLower per rune like Go', fn: 'toLower', args: ['İΣΑΣ'], want: 'iσασ' },
  { name: 'contains', fn: 'contains', args: ['foobar', 'oba'], want: 'true' },
  { name: 'contains no', fn: 'contains', args: ['foobar', 'x'], want: 'false' },
  { name: 'replace all', fn: 'replace', args: ['a.b.c', '.', '_', -1], want: 'a_b_c' },
  { name: 'replace n', fn: 'replace', args: ['a.b.c', '.', '_', 1], want: 'a_b.c' },
  { name: 'replace empty old', fn: 'replace', args: ['ab', '', '-', -1], want: '-a-b-' },
  { name: 'trimSuffix', fn: 'trimSuffix', args: ['app.conf', '.conf'], want: 'app' },
  { name: 'trimSuffix absent', fn: 'trimSuffix', args: ['app.conf', '.x'], want: 'app.conf' },
  { name: 'base64Encode', fn: 'base64Encode', args: ['p@sSw0rd'], want: 'cEBzU3cwcmQ=' },
  { name: 'base64Decode', fn: 'base64Decode', args: ['cEBzU3cwcmQ='], want: 'p@sSw0rd' },
  { name: 'base64Decode unicode', fn: 'base64Decode', args: ['w6k='], want: 'é' },
  // data
  {
    name: 'json numbers are float64',
    fn: 'json',
    args: ['{"n":1000000,"f":2.5}'],
    want: '[object Object]',
  },
  { name: 'parseBool true', fn: 'parseBool', args: ['T'], want: 'true' },
  { name: 'parseBool 0', fn: 'parseBool', args: ['0'], want: 'false' },
  { name: 'atoi', fn: 'atoi', args: ['-42'], want: '-42' },
  { name: 'atoi plus', fn: 'atoi', args: ['+7'], want: '7' },
  { name: 'getenv', fn: 'getenv', args: ['HOSTNAME'], want: 'localhost' },
  { name: 'getenv unset', fn: 'getenv', args: ['NOPE'], want: '' },
  { name: 'getenv ignores Object.prototype', fn: 'getenv', args: ['constructor', 'd'], want: 'd' },
  { name: 'getenv default on unset', fn: 'getenv', args: ['NOPE', 'd'], want: 'd' },
  { name: 'getenv default on empty', fn: 'getenv', args: ['EMPTY', 'd'], want: 'd' },
  { name: 'fileExists yes', fn: 'fileExists', args: ['/etc/present'], want: 'true' },
  { name: 'fileExists no', fn: 'fileExists', args: ['/etc/absent'], want: 'false' },
  // lists and numbers
  { name: 'reverse strings', fn: 'reverse', args: [['a', 'b', 'c']], want: '[c b a]' },
  { name: 'reverse other types unchanged', fn: 'reverse', args: [[1, 2, 3]], want: '[1 2 3]' },
  { name: 'reverse a string unchanged', fn: 'reverse', args: ['abc'], want: 'abc' },
  {
    name: 'sortByLength',
    fn: 'sortByLength',
    args: [['ccc', 'a', 'bb', 'é']],
    want: '[a bb é ccc]',
  },
  { name: 'seq', fn: 'seq', args: [1, 5], want: '[1 2 3 4 5]' },
  { name: 'seq single', fn: 'seq', args: [3, 3], want: '[3]' },
  { name: 'seq 5 2 is empty', fn: 'seq', args: [5, 2], want: '[]' },
  { name: 'add', fn: 'add', args: [2, 3], want: '5' },
  { name: 'sub', fn: 'sub', args: [2, 3], want: '-1' },
  { name: 'mul', fn: 'mul', args: [4, 3], want: '12' },
  { name: 'div truncates', fn: 'div', args: [7, 2], want: '3' },
  { name: 'div truncates toward zero', fn: 'div', args: [-7, 2], want: '-3' },
  { name: 'mod', fn: 'mod', args: [7, 3], want: '1' },
  { name: 'mod sign of dividend', fn: 'mod', args: [-7, 3], want: '-1' },
  {
    name: 'add wraps like int64',
    fn: 'add',
    args: [2n ** 63n - 1n, 1],
    want: '-9223372036854775808',
  },
];

for (const c of cases) {
  test(`${c.fn}: ${c.name}`, () => {
    const { call } = setup();
    assert.equal(goText(call(c.fn, ...c.args)), c.want);
  });
}

const errorCases: { fn: string; args: unknown[]; message: string; type?: 'arg' | 'key' }[] = [
  { fn: 'getv', args: ['/nope'], message: 'key does not exist: /nope', type: 'key' },
  { fn: 'get', args: ['/database'], message: 'key does not exist: /database', type: 'key' },
  { fn: 'gets', args: ['/a/['], message: 'syntax error in pattern' },
  { fn: 'getvs', args: ['/a/\\'], message: 'syntax error in pattern' },
  { fn: 'gets', args: ['[]a]'], message: 'syntax error in pattern' },
  {
    fn: 'seq',
    args: [1, 2_000_000],
    message: 'seq: 2000000 elements is more than the limit of 1000000',
  },
  { fn: 'div', args: [1, 0], message: 'runtime error: integer divide by zero' },
  { fn: 'mod', args: [1, 0], message: 'runtime error: integer divide by zero' },
  { fn: 'map', args: ['a'], message: 'invalid map call' },
  { fn: 'map', args: [1, 'a'], message: 'map keys must be strings' },
  { fn: 'parseBool', args: ['yes'], message: 'strconv.ParseBool: parsing "yes": invalid syntax' },
  { fn: 'atoi', args: ['12a'], message: 'strconv.Atoi: parsing "12a": invalid syntax' },
  { fn: 'atoi', args: [''], message: 'strconv.Atoi: parsing "": invalid syntax' },
  {
    fn: 'atoi',
    args: ['99999999999999999999'],
    message: 'strconv.Atoi: parsing "99999999999999999999": value out of range',
  },
  { fn: 'base64Decode', args: ['abc'], message: 'illegal base64 data at input byte 0' },
  { fn: 'base64Decode', args: ['ab!d'], message: 'illegal base64 data at input byte 2' },
  { fn: 'base64Decode', args: ['ab=d'], message: 'illegal base64 data at input byte 2' },
  { fn: 'base64Decode', args: ['YQ==YQ=='], message: 'illegal base64 data at input byte 4' },
  {
    fn: 'json',
    args: ['[1]'],
    message: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
  },
  { fn: 'json', args: ['{"a":'], message: 'unexpected end of JSON input' },
  { fn: 'json', args: ['x'], message: "invalid character 'x' looking for beginning of value" },
  {
    fn: 'jsonArray',
    args: ['{}'],
    message: 'json: cannot unmarshal object into Go value of type []interface {}',
  },
  { fn: 'add', args: [1], message: 'wrong number of args for add: want 2 got 1', type: 'arg' },
  {
    fn: 'add',
    args: ['1', 2],
    message: 'wrong type for value; expected int; got string',
    type: 'arg',
  },
  {
    fn: 'getv',
    args: [],
    message: 'wrong number of args for getv: want at least 1 got 0',
    type: 'arg',
  },
  { fn: 'toUpper', args: [undefined], message: 'invalid value; expected string', type: 'arg' },
  {
    fn: 'join',
    args: [[1], ','],
    message: 'wrong type for value; expected []string; got []int',
    type: 'arg',
  },
  {
    fn: 'sortKVByLength',
    args: [['a']],
    message: 'wrong type for value; expected []memkv.KVPair; got []string',
    type: 'arg',
  },
  {
    fn: 'datetime',
    args: [1],
    message: 'wrong number of args for datetime: want 0 got 1',
    type: 'arg',
  },
];

for (const c of errorCases) {
  test(`${c.fn} ${JSON.stringify(c.args, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))} throws "${c.message}"`, () => {
    const { call } = setup();
    assert.throws(
      () => call(c.fn, ...c.args),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.equal(err.message, c.message);
        assert.equal(err instanceof TemplateArgumentError, c.type === 'arg');
        assert.equal(err instanceof KeyMissingError, c.type === 'key');
        return true;
      },
    );
  });
}

test('json: numbers are GoFloat, objects plain maps, null stays null', () => {
  const { call } = setup();
  const obj = call(
    'json',
    '{"n":1000000,"big":123456789,"f":2.5,"s":"x","z":null,"l":[1,{"a":true}]}',
  ) as Record<string, unknown>;
  assert.ok(obj.n instanceof GoFloat);
  assert.equal(goText(obj.n), '1e+06');
  assert.equal(String(obj.n), '1000000');
  assert.equal(goText(obj.big), '1.23456789e+08');
  assert.equal(goText(obj.f), '2.5');
  assert.equal(Number(obj.f) * 2, 5);
  assert.equal(obj.s, 'x');
  assert.equal(obj.z, null);
  assert.equal(JSON.stringify(obj.l), '[1,{"a":true}]');
  assert.deepEqual(call('json', 'null'), {});
  const arr = call('jsonArray', '[100000, 0.0001, 0.00001, 1e21, -3]') as unknown[];
  assert.deepEqual(arr.map(goText), ['100000', '0.0001', '1e-05', '1e+21', '-3']);
  assert.deepEqual(call('jsonArray', 'null'), []);
  const proto = call('json', '{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.ok(Object.hasOwn(proto, '__proto__'));
});

test('map builds a map of any values', () => {
  const { call } = setup();
  assert.deepEqual(call('map', 'a', 1, 'b', ['x']), { a: 1, b: ['x'] });
  assert.deepEqual(call('map'), {});
});

test('reverse and sortKVByLength work in place on gets results', () => {
  const { call } = setup();
  const pairs = call('gets', '/test/data/*/*') as KVPair[];
  const same = call('reverse', pairs);
  assert.equal(same, pairs);
  assert.deepEqual(
    pairs.map((p) => p.Key),
    ['/test/data/jkl/mno', '/test/data/def/ghi'],
  );
  const all = [new KVPair('/long/key', '1'), new KVPair('/k', '2'), new KVPair('/mid', '3')];
  assert.deepEqual(
    (call('sortKVByLength', all) as KVPair[]).map((p) => p.Key),
    ['/k', '/mid', '/long/key'],
  );
});

test('base64 round trip', () => {
  const { call } = setup();
  for (const s of ['', 'a', 'ab', 'abc', 'p@sSw0rd', 'héllo wörld ✓', '\u0000\u0001']) {
    assert.equal(call('base64Decode', call('base64Encode', s)), s);
  }
  assert.equal(call('base64Decode', 'cEBz\r\nU3cw\ncmQ='), 'p@sSw0rd');
});

test('parseBool accepts every Go spelling', () => {
  const { call } = setup();
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(call('parseBool', s), true);
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
    assert.equal(call('parseBool', s), false);
  assert.throws(() => call('parseBool', 'tRuE'), /invalid syntax/);
});

test('datetime is a Go time from the injected clock', () => {
  const { call } = setup({ now: () => NOW + 0.5 });
  const t = call('datetime') as {
    UTC(): { String(): string; Format(l: string): string; Unix(): number };
  };
  assert.equal(t.UTC().String(), '2026-11-25 19:47:03.6755 +0000 UTC');
  assert.equal(t.UTC().Format('2006-01-02T15:04:05Z07:00'), '2026-11-25T19:47:03Z');
  assert.equal(t.UTC().Unix(), Math.floor(NOW / 1000));
});

test('fileExists defaults to a real stat when nothing is injected', () => {
  const recorder = createLookupRecorder();
  const fns = createFunctions({ keys, env: {}, now: () => NOW }, recorder);
  assert.equal(fns.fileExists(process.execPath), true);
  assert.equal(fns.fileExists('/definitely/not/here/h4a'), false);
  assert.equal(fns.fileExists(''), false);
});

test('results carry their Go types, even when empty', () => {
  const { call } = setup();
  const types: [string, unknown[], string][] = [
    ['gets', ['/upstream/*'], 'memkv.KVPairs'],
    ['gets', ['/none/*'], 'memkv.KVPairs'],
    ['getvs', ['/none/*'], '[]string'],
    ['ls', ['/none'], '[]string'],
    ['lsdir', ['/database'], '[]string'],
    ['split', ['', ','], '[]string'],
    ['seq', [5, 2], '[]int'],
    ['jsonArray', ['["a"]'], '[]interface {}'],
    ['json', ['{}'], 'map[string]interface {}'],
    ['map', [], 'map[string]interface {}'],
    ['get', ['/key'], 'memkv.KVPair'],
    ['datetime', [], 'time.Time'],
    ['lookupIP', ['x.test'], '[]string'],
    ['lookupSRV', ['a', 'tcp', 'x.test'], '[]*net.SRV'],
    ['atoi', ['3'], 'int'],
    ['exists', ['/key'], 'bool'],
  ];
  for (const [fn, args, want] of types) {
    assert.equal(goTypeName(call(fn, ...args)), want, `${fn} ${JSON.stringify(args)}`);
  }
  assert.equal(goTypeName((call('json', '{"l":[]}') as { l: unknown }).l), '[]interface {}');
});
