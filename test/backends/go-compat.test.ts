import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { confdKeyOf, coveringPrefixes, nextWaitIndex } from '../../src/backends/consul-keys.js';
import { consulOrigin, escapeKeyPath } from '../../src/backends/consul.js';
import { compileGoGlob } from '../../src/backends/go-glob.js';
import { createRedisKeyMapper, parseRedisNode } from '../../src/backends/redis-keys.js';

test('confd keys are path.Join("/", key)', () => {
  assert.equal(confdKeyOf('a//b/'), '/a/b');
  assert.equal(confdKeyOf('upstream/'), '/upstream');
});

test('the file backend -filter uses Go filepath.Match and refuses bad patterns', () => {
  assert.equal(compileGoGlob('*.yml').test('a.yml'), true);
  assert.equal(compileGoGlob('*.yml').test('a.yaml'), false);
  for (const bad of ['[', '[]', 'a\\', '[z-a]']) {
    assert.throws(
      () => compileGoGlob(bad),
      (err) => isConfdError(err, ErrorCode.CONFIG_FLAG) && err.message.includes(`"${bad}"`),
    );
  }
});

test('consul request shaping: prefixes, escaping, origins, index rules', () => {
  assert.deepEqual(coveringPrefixes(['/database/host', '/database', '/key', '/key']), [
    'database',
    'key',
  ]);
  assert.deepEqual(coveringPrefixes(['/', '/a']), ['']);
  assert.equal(escapeKeyPath('a b/c?d#e@f:g=h'), 'a%20b/c%3Fd%23e@f:g=h');
  assert.equal(consulOrigin('127.0.0.1:8500').href, 'http://127.0.0.1:8500/');
  assert.equal(consulOrigin('127.0.0.1:8501', 'https').href, 'https://127.0.0.1:8501/');
  assert.equal(consulOrigin('https://c:8501', 'http').href, 'https://c:8501/');
  assert.throws(
    () => consulOrigin('ftp://c:21'),
    (err) => isConfdError(err, ErrorCode.CONFIG_FLAG),
  );
  assert.equal(nextWaitIndex(12, 0), 12);
  assert.equal(nextWaitIndex(0, 12), 1);
  assert.equal(nextWaitIndex(Number.NaN, 5), 1);
  assert.equal(nextWaitIndex(5, 12), 0);
  assert.equal(nextWaitIndex(12, 12), 12);
});

test('redis node parsing and separator mapping', () => {
  const none = () => false;
  assert.deepEqual(parseRedisNode('127.0.0.1:6379', none), {
    network: 'tcp',
    host: '127.0.0.1',
    port: 6379,
    path: '',
    db: 0,
    address: '127.0.0.1:6379',
  });
  assert.equal(parseRedisNode('10.0.0.1:7000/3', none).db, 3);
  assert.equal(parseRedisNode('redis.local', none).port, 6379);
  const socket = parseRedisNode('/run/redis.sock/2', (p) => p === '/run/redis.sock');
  assert.equal(socket.network, 'unix');
  assert.equal(socket.path, '/run/redis.sock');
  assert.equal(socket.db, 2);
  const slash = createRedisKeyMapper('');
  assert.equal(slash.toRedis('/database/host'), '/database/host');
  assert.equal(slash.toConfd('/database/host'), '/database/host');
  const colon = createRedisKeyMapper(':');
  assert.equal(colon.toRedis('/database/host'), 'database:host');
  assert.equal(colon.toConfd('database:host'), '/database/host');
  assert.equal(colon.toConfd('database:hash/field'), '/database/hash/field');
});
