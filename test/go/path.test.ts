/** Go's path.Clean, Join, Base and Dir for slash-separated keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathBase, pathClean, pathDir, pathJoin } from '../../src/go/path.js';

test('Go path.Clean, Base and Dir', () => {
  const clean: [string, string][] = [
    ['', '.'],
    ['/', '/'],
    ['/a//b/./c/..', '/a/b'],
    ['a/../..', '..'],
    ['/../a', '/a'],
    ['/a/b/', '/a/b'],
    ['/upstream/', '/upstream'],
    ['//a//b/', '/a/b'],
    ['/a/./b/../c', '/a/c'],
  ];
  for (const [input, want] of clean) assert.equal(pathClean(input), want, input);
  assert.equal(pathBase('/'), '/');
  assert.equal(pathBase('//'), '/');
  assert.equal(pathBase('a'), 'a');
  assert.equal(pathDir(''), '.');
  assert.equal(pathDir('/'), '/');
  assert.equal(pathDir('/a/b/'), '/a/b');
});

test('Go path.Join', () => {
  assert.equal(pathJoin('/', 'upstream/'), '/upstream');
  assert.equal(pathJoin('/', ''), '/');
  assert.equal(pathJoin('', ''), '');
});
