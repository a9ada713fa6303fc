import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanKey, joinKey, stripPrefix } from '../../src/watcher/key-path.js';

test('joinKey is Go path.Join: cleans, drops trailing /, skips empty parts', () => {
  assert.equal(joinKey('/', '/database/host'), '/database/host');
  assert.equal(joinKey('/app', 'upstream/'), '/app/upstream');
  assert.equal(joinKey('/app', ''), '/app');
  assert.equal(joinKey('/', '/a//b/../c'), '/a/c');
  assert.equal(joinKey('', ''), '');
  assert.equal(joinKey('/', ''), '/');
  assert.equal(cleanKey(''), '.');
});

test('stripPrefix trims characters, not segments, then roots the key (confd quirk)', () => {
  assert.equal(stripPrefix('/app/database/host', '/app'), '/database/host');
  assert.equal(stripPrefix('/application/x', '/app'), '/lication/x');
  assert.equal(stripPrefix('/database/host', '/'), '/database/host');
  assert.equal(stripPrefix('/other/key', '/app'), '/other/key');
  assert.equal(stripPrefix('/app', '/app'), '/');
});
