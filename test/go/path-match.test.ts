/**
 * Go `path.Match` semantics (memkv patterns and the file backend's -filter), checked against the
 * cases of Go's own table (`*` does not cross `/`, classes, escapes, and "syntax error in pattern"
 * for malformed input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAD_PATTERN, compilePathPattern, pathMatch } from '../../src/go/path-match.js';

const BAD = 'bad';
const cases: [string, string, boolean | typeof BAD][] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', BAD],
  ['[-]', '-', BAD],
  ['[x-]', 'x', BAD],
  ['[x-]', '-', BAD],
  ['[-x]', 'x', BAD],
  ['\\', 'a', BAD],
  ['[a-b-c]', 'a', BAD],
  ['[', 'a', BAD],
  ['[^', 'a', BAD],
  ['[^bc', 'a', BAD],
  ['a[', 'a', BAD],
  ['a[', 'ab', BAD],
  ['a[', 'x', BAD],
  ['a/b[', 'x', BAD],
  ['*x', 'xxx', true],
  ['/upstream/*', '/upstream/app1', true],
  ['/nested/*', '/nested/east/app1', false],
  // The file backend's -filter cases (filepath.Match on file names).
  ['*', 'a.yml', true],
  ['*.yml', 'a.yml', true],
  ['*.yml', 'a.yaml', false],
  ['?.json', 'a.json', true],
  ['?.json', 'ab.json', false],
  ['[a-c]*', 'b.yml', true],
  ['[^a-c]*', 'b.yml', false],
  ['[^a-c]*', 'x.yml', true],
  ['\\*', '*', true],
  ['a.b', 'axb', false],
  ['[]', 'a', BAD],
  ['a\\', 'a', BAD],
];

for (const [pattern, name, want] of cases) {
  test(`pathMatch(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) is ${String(want)}`, () => {
    if (want === BAD) {
      assert.throws(() => pathMatch(pattern, name), { message: BAD_PATTERN });
      assert.throws(() => compilePathPattern(pattern), { message: BAD_PATTERN });
    } else {
      assert.equal(pathMatch(pattern, name), want);
      assert.equal(compilePathPattern(pattern).test(name), want);
    }
  });
}

test('compilePathPattern rejects reversed ranges only when asked (Go accepts [z-a])', () => {
  assert.equal(compilePathPattern('[z-a]').test('m'), false);
  assert.throws(() => compilePathPattern('[z-a]', { rejectReversedRanges: true }), {
    message: BAD_PATTERN,
  });
  assert.equal(compilePathPattern('[a-z]', { rejectReversedRanges: true }).test('m'), true);
});
