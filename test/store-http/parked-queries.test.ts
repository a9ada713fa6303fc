import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { waitFor } from '../helpers/wait-for.js';
import { startApi } from '../helpers/agent.js';
import type { HttpReply } from '../helpers/agent.js';

/** Answers compared with a fresh GET: status, body and the query-meta headers a client reads. */
function visible(reply: HttpReply): unknown {
  const h = reply.headers;
  return {
    status: reply.status,
    text: reply.text,
    type: h['content-type'],
    index: h['x-consul-index'],
    consistency: h['x-consul-effective-consistency'],
    knownLeader: h['x-consul-knownleader'],
    lastContact: h['x-consul-lastcontact'],
    csp: h['content-security-policy'],
  };
}

test('waiters of one key with different shapes each get what a fresh GET gives after the write', async (t) => {
  const { request, store, api } = await startApi(t);
  await request('PUT', '/v1/kv/shared/k', 'before');
  await request('PUT', '/v1/kv/shared/other', 'x');
  const shapes = [
    '/v1/kv/shared/k',
    '/v1/kv/shared/k?raw',
    '/v1/kv/shared/k?pretty',
    '/v1/kv/shared/k?stale',
    '/v1/kv/shared/k?consistent',
    '/v1/kv/shared/?recurse',
    '/v1/kv/shared/?keys',
    '/v1/kv/shared/?keys&separator=/',
  ];
  const sep = (path: string) => (path.includes('?') ? '&' : '?');
  // Each shape at its own current index (a prefix's is its newest key's), ten waiters per shape,
  // so each shape's group is shared by several clients.
  const indexes = await Promise.all(
    shapes.map(async (path) => (await request('GET', path)).headers['x-consul-index']),
  );
  const parked = shapes.flatMap((path, i) =>
    Array.from({ length: 10 }, () =>
      request('GET', `${path}${sep(path)}index=${indexes[i]}&wait=1m`),
    ),
  );
  await waitFor(() => api.parked === parked.length, { what: 'every query parked' });
  assert.equal(store.stats?.().waiters, shapes.length, 'one store waiter per shape');
  await request('PUT', '/v1/kv/shared/k', 'after');
  const answers = await Promise.all(parked);
  for (const [i, path] of shapes.entries()) {
    const fresh = visible(await request('GET', path));
    for (const answer of answers.slice(i * 10, i * 10 + 10)) {
      assert.deepEqual(visible(answer), fresh, path);
    }
  }
  assert.equal(answers[10].text, 'after');
  assert.equal(store.stats?.().waiters, 0);
});

test('a waiter ahead of the store keeps waiting when the others of its key are answered', async (t) => {
  const { request } = await startApi(t, { random: () => 0 });
  await request('PUT', '/v1/kv/k', 'v1');
  const first = await request('GET', '/v1/kv/k');
  const index = Number(first.headers['x-consul-index']);

  const started = Date.now();
  const current = request('GET', `/v1/kv/k?index=${index}&wait=1m`);
  const ahead = request('GET', `/v1/kv/k?index=${index + 1000}&wait=400ms`);
  await request('PUT', '/v1/kv/k', 'v2');
  const woken = await current;
  assert.equal(woken.status, 200);
  assert.equal(Number(woken.headers['x-consul-index']), index + 1);

  // Not woken by the write (its index is still behind the client's): it answers at its wait.
  const late = await ahead;
  assert.ok(Date.now() - started >= 390, `answered after ${Date.now() - started} ms`);
  assert.equal(late.status, 200);
  assert.equal(late.text, woken.text);
  assert.equal(Number(late.headers['x-consul-index']), index + 1);
});

test('waiters sharing a key time out each at its own wait', async (t) => {
  const { request } = await startApi(t, { random: () => 0 });
  await request('PUT', '/v1/kv/k', 'v');
  const index = (await request('GET', '/v1/kv/k')).headers['x-consul-index'];
  const waits = [300, 100, 200];
  const started = Date.now();
  const elapsed = await Promise.all(
    waits.map(async (ms) => {
      const res = await request('GET', `/v1/kv/k?index=${index}&wait=${ms}ms`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-consul-index'], index);
      return Date.now() - started;
    }),
  );
  for (const [i, ms] of waits.entries()) {
    assert.ok(elapsed[i] >= ms - 10, `wait=${ms}ms answered after ${elapsed[i]} ms`);
    assert.ok(elapsed[i] < ms + 2000, `wait=${ms}ms answered after ${elapsed[i]} ms`);
  }
});

test('one waiter of a shared key disconnecting leaves the others parked and answered', async (t) => {
  const { request, url, store, api } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  const index = (await request('GET', '/v1/kv/k')).headers['x-consul-index'];
  const gone = httpRequest(`${url}/v1/kv/k?index=${index}&wait=1m`, { agent: false });
  gone.on('error', () => undefined);
  gone.end();
  const stay = [1, 2].map(() => request('GET', `/v1/kv/k?index=${index}&wait=1m`));
  await waitFor(() => api.parked === 3, { what: 'three parked queries' });
  assert.equal(store.stats?.().waiters, 1, 'one shared store waiter');
  gone.destroy();
  await waitFor(() => api.parked === 2, { what: 'the disconnected query to go' });
  assert.equal(store.stats?.().waiters, 1, 'the others still wait');
  await request('PUT', '/v1/kv/k', 'v2');
  for (const res of await Promise.all(stay)) {
    assert.equal(res.status, 200);
    assert.equal(
      (JSON.parse(res.text) as { Value: string }[])[0].Value,
      Buffer.from('v2').toString('base64'),
    );
  }
  assert.equal(api.parked, 0);
  assert.equal(store.stats?.().waiters, 0);
});

test('a waiter that joins a key whose others were just answered waits for the next change', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v1');
  const index1 = Number((await request('GET', '/v1/kv/k')).headers['x-consul-index']);
  const early = request('GET', `/v1/kv/k?index=${index1}&wait=1m`);
  await request('PUT', '/v1/kv/k', 'v2');
  const index2 = Number((await early).headers['x-consul-index']);
  assert.ok(index2 > index1);
  // Re-park at the new index, as a watching client does, on the same query shape.
  const again = request('GET', `/v1/kv/k?index=${index2}&wait=1m`);
  const behind = await request('GET', `/v1/kv/k?index=${index1}&wait=1m`);
  assert.equal(Number(behind.headers['x-consul-index']), index2, 'a stale index answers at once');
  await request('PUT', '/v1/kv/k', 'v3');
  const res = await again;
  assert.ok(Number(res.headers['x-consul-index']) > index2);
  assert.equal(
    (JSON.parse(res.text) as { Value: string }[])[0].Value,
    Buffer.from('v3').toString('base64'),
  );
});

test('session lists block per shape and share the answer', async (t) => {
  const { request, store, api } = await startApi(t);
  const list = await request('GET', '/v1/session/list');
  const index = list.headers['x-consul-index'];
  const parked = Array.from({ length: 5 }, () =>
    request('GET', `/v1/session/list?index=${index}&wait=1m`),
  );
  const node = request('GET', `/v1/session/node/test-node?index=${index}&wait=1m`);
  await waitFor(() => api.parked === 6, { what: 'six parked queries' });
  assert.equal(store.stats?.().waiters, 2, 'one store waiter per shape');
  const created = await request('PUT', '/v1/session/create', '{"Name":"s1"}');
  const id = (JSON.parse(created.text) as { ID: string }).ID;
  for (const res of await Promise.all(parked)) {
    assert.equal(res.status, 200);
    assert.deepEqual(
      (JSON.parse(res.text) as { ID: string }[]).map((s) => s.ID),
      [id],
    );
  }
  assert.equal((JSON.parse((await node).text) as { ID: string }[])[0].ID, id);
});
