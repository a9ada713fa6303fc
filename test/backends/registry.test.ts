import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createBackend, defaultNodesFor } from '../../src/backends/index.js';
import type { BackendConfig } from '../../src/backends/types.js';

function config(backend: string, extra: Partial<BackendConfig> = {}): BackendConfig {
  return { backend, nodes: [], scheme: 'http', basicAuth: false, files: [], filter: '*', ...extra };
}

const deps = { logger: silentLogger, env: { HOME: '/root', KEY: 'v' } };

test('unknown backends fail with confd\'s "Invalid backend"', async () => {
  await assert.rejects(createBackend(config('nope'), deps), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_UNSUPPORTED));
    assert.equal(err.message, 'Invalid backend');
    return true;
  });
});

test('confd backends we lack are named as not supported', async () => {
  for (const name of ['zookeeper', 'rancher', 'vault', 'dynamodb', 'ssm']) {
    await assert.rejects(createBackend(config(name), deps), (err) => {
      assert.ok(isConfdError(err, ErrorCode.BACKEND_UNSUPPORTED));
      assert.equal(err.message, `backend ${name} is not supported`);
      return true;
    });
  }
});

test('embedded without a store is refused', async () => {
  await assert.rejects(createBackend(config('embedded'), deps), (err) =>
    isConfdError(err, ErrorCode.BACKEND_UNSUPPORTED),
  );
});

test('default nodes follow confd', () => {
  assert.deepEqual(defaultNodesFor('consul'), ['127.0.0.1:8500']);
  assert.deepEqual(defaultNodesFor('etcd'), ['http://127.0.0.1:4001']);
  assert.deepEqual(defaultNodesFor('etcd', { ETCDCTL_PEERS: 'http://a:1,http://b:2' }), [
    'http://a:1',
    'http://b:2',
  ]);
  assert.deepEqual(defaultNodesFor('etcdv3'), ['127.0.0.1:2379']);
  assert.deepEqual(defaultNodesFor('redis'), ['127.0.0.1:6379']);
  assert.deepEqual(defaultNodesFor('env'), []);
});

test('the registry builds working backends by name', async () => {
  const env = await createBackend(config('env'), deps);
  assert.equal(env.name, 'env');
  assert.deepEqual([...(await env.getValues(['/key']))], [['/key', 'v']]);
  await env.close();
  for (const name of ['consul', 'etcd', 'etcdv3', 'redis', 'file']) {
    const backend = await createBackend(config(name), deps);
    assert.equal(backend.name, name);
    await backend.close();
    await backend.close();
  }
});

test('a bad -filter is reported naming the flag', async () => {
  await assert.rejects(createBackend(config('file', { filter: '[' }), deps), (err) => {
    assert.ok(isConfdError(err, ErrorCode.CONFIG_FLAG));
    assert.match(err.message, /-filter "\["/);
    return true;
  });
});
