import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createEtcdBackend, etcdKeyMatches } from '../../src/backends/etcd.js';
import { etcdEndpoint } from '../../src/backends/etcd-gateway.js';
import type { EtcdBackendOptions } from '../../src/backends/etcd.js';
import type { Backend } from '../../src/backends/types.js';
import { startEtcd } from '../helpers/etcd.js';
import { needs, tools } from '../helpers/system-tools.js';
import { makePki } from './pki.js';

const sorted = (m: Map<string, string>) => Object.fromEntries([...m].sort());

async function backendFor(t: TestContext, options: EtcdBackendOptions): Promise<Backend> {
  const backend = await createEtcdBackend(options);
  t.after(() => backend.close());
  return backend;
}

test('etcd matching is segment-aware, as confd', () => {
  assert.ok(etcdKeyMatches('/database', '/database'));
  assert.ok(etcdKeyMatches('/database/host', '/database'));
  assert.ok(etcdKeyMatches('/database/host', '/database/'));
  assert.ok(!etcdKeyMatches('/database2', '/database'));
  assert.ok(!etcdKeyMatches('/databases/x', '/database'));
});

test('etcd endpoints: bare host:port gets http, or https when TLS files are given', () => {
  assert.equal(etcdEndpoint('127.0.0.1:2379', false).href, 'http://127.0.0.1:2379/');
  assert.equal(etcdEndpoint('127.0.0.1:2379', true).href, 'https://127.0.0.1:2379/');
  assert.equal(etcdEndpoint('http://10.0.0.1:4001', true).href, 'http://10.0.0.1:4001/');
  assert.throws(
    () => etcdEndpoint('ftp://x:1', false),
    (err) => isConfdError(err, ErrorCode.CONFIG_FLAG),
  );
});

test(
  'etcd against a real server: getValues, failover, watchPrefix, abort',
  { skip: needs(tools.etcd) },
  async (t) => {
    const etcd = await startEtcd(t);
    for (const [k, v] of [
      ['/key', 'foobar'],
      ['/database/host', '127.0.0.1'],
      ['/database/port', '3306'],
      ['/database2', 'other'],
      ['/upstream/app1', '10.0.1.10:8080'],
      ['/upstream/app2', '10.0.1.11:8080'],
    ] as const) {
      await etcd.put(k, v);
    }

    await t.test(
      'getValues keeps the key and its subtree, not string-prefix siblings',
      async (t) => {
        // The first node refuses connections: the backend fails over to the next.
        const backend = await backendFor(t, { nodes: ['http://127.0.0.1:1', etcd.url] });
        assert.deepEqual(sorted(await backend.getValues(['/database', '/key', '/upstream'])), {
          '/database/host': '127.0.0.1',
          '/database/port': '3306',
          '/key': 'foobar',
          '/upstream/app1': '10.0.1.10:8080',
          '/upstream/app2': '10.0.1.11:8080',
        });
        // The empty key is etcd's whole keyspace (every key starts with '' + '/').
        assert.equal((await backend.getValues([''])).size, 6);
        // 300 keys span three 128-op transactions.
        const many = Array.from({ length: 300 }, (_, i) => (i % 2 ? '/key' : `/missing/${i}`));
        assert.deepEqual(sorted(await backend.getValues(many)), { '/key': 'foobar' });
      },
    );

    await t.test(
      'watchPrefix returns the revision, then wakes on a write under a key',
      async (t) => {
        const backend = await backendFor(t, { nodes: [etcd.url] });
        const signal = AbortSignal.timeout(10_000);
        // Common prefix '/': writes elsewhere reach the stream and must be filtered out.
        const keys = ['/database', '/key'];
        const first = await backend.watchPrefix('/', { keys, waitIndex: 0, signal });
        assert.ok(first >= 7, `revision ${first}`);
        let woke = false;
        const pending = backend.watchPrefix('/', { keys, waitIndex: first, signal });
        void pending.then(() => (woke = true));
        await etcd.put('/elsewhere', 'x');
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.equal(woke, false, 'a write outside the watched keys must not wake the watch');
        const revision = await etcd.put('/database/host', '10.0.0.1');
        assert.equal(await pending, revision);
        // A write between two calls is not lost (confd #671): the next call returns at once.
        const missed = await etcd.put('/database/port', '3307');
        assert.equal(await backend.watchPrefix('/', { keys, waitIndex: revision, signal }), missed);
      },
    );

    await t.test('watchPrefix over the whole keyspace (empty common prefix)', async (t) => {
      const backend = await backendFor(t, { nodes: [etcd.url] });
      const signal = AbortSignal.timeout(10_000);
      const first = await backend.watchPrefix('', { keys: ['a', 'b'], waitIndex: 0, signal });
      const pending = backend.watchPrefix('', { keys: ['a', 'b'], waitIndex: first, signal });
      const revision = await etcd.put('b/x', '1');
      assert.equal(await pending, revision);
      await etcd.del('b/x');
    });

    await t.test('watchPrefix rejects with ABORTED on abort and on close', async () => {
      const backend = await createEtcdBackend({ nodes: [etcd.url] });
      const controller = new AbortController();
      const options = { keys: ['/key'], signal: controller.signal };
      const first = await backend.watchPrefix('/', { ...options, waitIndex: 0 });
      const pending = backend.watchPrefix('/', { ...options, waitIndex: first });
      controller.abort();
      await assert.rejects(pending, (err) => isConfdError(err, ErrorCode.ABORTED));
      const parked = backend.watchPrefix('/', {
        keys: ['/key'],
        waitIndex: first,
        signal: AbortSignal.timeout(5000),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const rejected = assert.rejects(parked, (err) => isConfdError(err, ErrorCode.ABORTED));
      await backend.close();
      await backend.close();
      await rejected;
    });

    await t.test('basic auth authenticates for a token', async (t) => {
      await etcd.post('/v3/auth/user/add', { name: 'root', password: 'rootpw' });
      await etcd.post('/v3/auth/user/grant', { user: 'root', role: 'root' });
      await etcd.post('/v3/auth/enable', {});
      const good = await backendFor(t, {
        nodes: [etcd.url],
        basicAuth: { username: 'root', password: 'rootpw' },
      });
      assert.equal((await good.getValues(['/key'])).get('/key'), 'foobar');
      const anonymous = await backendFor(t, { nodes: [etcd.url] });
      await assert.rejects(anonymous.getValues(['/key']), (err) =>
        isConfdError(err, ErrorCode.BACKEND_RESPONSE),
      );
      const bad = await backendFor(t, {
        nodes: [etcd.url],
        basicAuth: { username: 'root', password: 'nope' },
      });
      await assert.rejects(bad.getValues(['/key']), (err) => {
        assert.ok(isConfdError(err, ErrorCode.BACKEND_RESPONSE));
        assert.match(err.message, /authentication as root failed/);
        return true;
      });
    });
  },
);

test('etcd unreachable endpoints give a Go-style error naming the URL', async (t) => {
  const backend = await backendFor(t, { nodes: ['127.0.0.1:1'] });
  await assert.rejects(backend.getValues(['/key']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_UNREACHABLE));
    assert.equal(
      err.message,
      'Post "http://127.0.0.1:1/v3/kv/txn": dial tcp 127.0.0.1:1: connect: connection refused',
    );
    return true;
  });
});

test(
  'etcd over TLS: a bare host:port with TLS files uses https and the client certificate',
  { skip: needs(tools.etcd, tools.openssl) },
  async (t) => {
    const pki = await makePki(t);
    const etcd = await startEtcd(t, {
      tls: {
        ca: pki.ca,
        cert: pki.serverCert,
        key: pki.serverKey,
        clientCert: pki.clientCert,
        clientKey: pki.clientKey,
      },
    });
    const revision = await etcd.put('/secure/key', 'tls');
    const node = etcd.url.replace(/^https:\/\//, '');
    const backend = await backendFor(t, {
      nodes: [node],
      clientCaKeys: pki.ca,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
    });
    assert.deepEqual([...(await backend.getValues(['/secure']))], [['/secure/key', 'tls']]);
    const signal = AbortSignal.timeout(10_000);
    assert.equal(
      await backend.watchPrefix('/', { keys: ['/secure'], waitIndex: 0, signal }),
      revision,
    );
    const pending = backend.watchPrefix('/', { keys: ['/secure'], waitIndex: revision, signal });
    // start_revision makes this safe even if the write lands before the stream is open.
    const next = await etcd.put('/secure/key', 'new');
    assert.equal(await pending, next);
    // Without the client certificate the server refuses the connection.
    const anonymous = await backendFor(t, { nodes: [node], clientCaKeys: pki.ca });
    await assert.rejects(anonymous.getValues(['/secure']), (err) =>
      isConfdError(err, ErrorCode.BACKEND_UNREACHABLE),
    );
  },
);
