import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { waitFor } from '../helpers/wait-for.js';
import { startApi } from '../helpers/agent.js';

test('a blocking read returns at once when the client index is behind', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v1');
  const started = Date.now();
  const res = await request('GET', '/v1/kv/k?index=0&wait=5s');
  assert.equal(res.status, 200);
  assert.ok(Date.now() - started < 2500);
  const index = Number(res.headers['x-consul-index']);
  assert.equal(index, 2, 'index 1 is reserved: the first write gets 2');
  const behind = await request('GET', `/v1/kv/k?index=${index - 1}&wait=5s`);
  assert.equal(behind.status, 200);
  assert.ok(Date.now() - started < 2500);
});

test('a blocking read on one prefix is not woken by writes elsewhere, only by its own', async (t) => {
  const { request } = await startApi(t, { random: () => 0 });
  await request('PUT', '/v1/kv/app/a', '1');
  const first = await request('GET', '/v1/kv/app/?recurse');
  const index = first.headers['x-consul-index'];

  // Writes to another prefix while parked: returns only at its 300 ms wait, same index.
  const started = Date.now();
  const parked = request('GET', `/v1/kv/app/?recurse&index=${index}&wait=300ms`);
  for (let i = 0; i < 5; i++) await request('PUT', `/v1/kv/other/${i}`, 'x');
  const timedOut = await parked;
  const elapsed = Date.now() - started;
  assert.equal(timedOut.status, 200);
  assert.ok(elapsed >= 290, `returned after ${elapsed} ms, before its wait`);
  assert.equal(timedOut.headers['x-consul-index'], index);
  assert.equal(timedOut.text, first.text);

  // A write to its prefix wakes it promptly with the new index.
  const woken = request('GET', `/v1/kv/app/?recurse&index=${index}&wait=30s`);
  const wakeStart = Date.now();
  await request('PUT', '/v1/kv/app/b', '2');
  const res = await woken;
  assert.ok(Date.now() - wakeStart < 2500);
  assert.ok(Number(res.headers['x-consul-index']) > Number(index));
  assert.deepEqual(
    (JSON.parse(res.text) as { Key: string }[]).map((e) => e.Key),
    ['app/a', 'app/b'],
  );
});

test('a blocking read of a missing key stays parked across unrelated writes (PR #12110)', async (t) => {
  const { request } = await startApi(t, { random: () => 0 });
  const first = await request('GET', '/v1/kv/absent');
  assert.equal(first.status, 404);
  const index = first.headers['x-consul-index'];
  const started = Date.now();
  const parked = request('GET', `/v1/kv/absent?index=${index}&wait=300ms`);
  await request('PUT', '/v1/kv/elsewhere', 'x');
  const res = await parked;
  assert.equal(res.status, 404);
  assert.ok(Date.now() - started >= 290);

  const parked2 = request('GET', `/v1/kv/absent?index=${res.headers['x-consul-index']}&wait=30s`);
  await request('PUT', '/v1/kv/absent', 'now');
  const created = await parked2;
  assert.equal(created.status, 200);
  assert.equal((JSON.parse(created.text) as { Key: string }[])[0].Key, 'absent');
});

test('?keys and single-key reads block too', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/cfg/a', '1');
  const keys = await request('GET', '/v1/kv/cfg/?keys');
  const pending = request('GET', `/v1/kv/cfg/?keys&index=${keys.headers['x-consul-index']}`);
  const single = await request('GET', '/v1/kv/cfg/a');
  const pendingSingle = request('GET', `/v1/kv/cfg/a?index=${single.headers['x-consul-index']}`);
  await request('PUT', '/v1/kv/cfg/a', '2');
  assert.equal((await pending).text, '["cfg/a"]');
  const changed = await pendingSingle;
  assert.equal((JSON.parse(changed.text) as { Value: string }[])[0].Value, 'Mg==');
});

test('wait is capped by max_query_time and jittered by at most wait/16', async (t) => {
  const { request } = await startApi(t, { maxQueryTimeMs: 200, random: () => 0.999 });
  await request('PUT', '/v1/kv/k', 'v');
  const index = (await request('GET', '/v1/kv/k')).headers['x-consul-index'];
  const started = Date.now();
  const res = await request('GET', `/v1/kv/k?index=${index}&wait=10m`);
  const elapsed = Date.now() - started;
  assert.equal(res.status, 200);
  assert.ok(elapsed >= 210 && elapsed < 200 + 200 / 16 + 1500, `took ${elapsed} ms`);
});

test('a client that disconnects ends its parked query', async (t) => {
  const { request, url, store } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  const index = (await request('GET', '/v1/kv/k')).headers['x-consul-index'];
  const req = httpRequest(`${url}/v1/kv/k?index=${index}&wait=1m`, { agent: false });
  req.on('error', () => undefined);
  req.end();
  await waitFor(() => (store.stats?.().waiters ?? 0) === 1, { what: 'a parked waiter' });
  req.destroy();
  await waitFor(() => store.stats?.().waiters === 0, { what: 'the waiter to go' });
});

test('close() ends parked queries promptly and the server stops', async (t) => {
  const { request, url, api } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  const index = (await request('GET', '/v1/kv/k')).headers['x-consul-index'];
  const outcomes = Array.from(
    { length: 3 },
    () =>
      new Promise<string>((resolve) => {
        const req = httpRequest(`${url}/v1/kv/k?index=${index}&wait=5m`, { agent: false }, (res) =>
          resolve(`status ${res.statusCode}`),
        );
        req.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
        req.end();
      }),
  );
  await waitFor(async () => {
    const res = await fetch(`${url}/v1/status/leader`);
    await res.text();
    return res.ok;
  });
  const started = Date.now();
  await api.close();
  await api.close();
  assert.ok(Date.now() - started < 2000, 'close() returned promptly');
  for (const outcome of await Promise.all(outcomes)) assert.match(outcome, /^error /);
  await assert.rejects(fetch(`${url}/v1/status/leader`));
});

test('a client blocking on the index 1 of an empty store wakes on the first write', async (t) => {
  const { request } = await startApi(t);
  const empty = await request('GET', '/v1/kv/?recurse');
  assert.equal(empty.status, 404);
  assert.equal(empty.headers['x-consul-index'], '1');
  const parked = request('GET', '/v1/kv/?recurse&index=1&wait=30s');
  const started = Date.now();
  await request('PUT', '/v1/kv/first', 'write');
  const res = await parked;
  assert.ok(Date.now() - started < 5000);
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-consul-index'], '2');
  assert.equal((JSON.parse(res.text) as { Key: string }[])[0].Key, 'first');
});
