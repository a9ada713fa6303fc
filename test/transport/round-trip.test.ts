// Plain and keyed (TLS-PSK) round trips over real sockets, and keep-alive reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as undiciRequest } from 'undici';
import { generateKey, parseEncryptKey } from '../../src/transport/keys.js';
import { startClient, startServer } from './fixtures.js';

for (const keyed of [false, true]) {
  const mode = keyed ? 'keyed (TLS-PSK)' : 'plain';
  const key = keyed ? parseEncryptKey(generateKey()) : undefined;

  test(`${mode}: status, headers and body make the round trip`, async (t) => {
    const srv = await startServer(t, { key });
    const client = startClient(t, { key });
    const res = await client.request(srv.addr, {
      method: 'POST',
      path: '/v1/internal/join?x=1',
      headers: { 'content-type': 'application/json' },
      body: '{"Name":"n1"}',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-echo-method'], 'POST');
    assert.equal(res.body.toString(), 'POST /v1/internal/join?x=1 {"Name":"n1"}');
    const missing = await client.request(srv.addr, { method: 'GET', path: '/missing' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.toString(), 'GET /missing ');
    assert.deepEqual(srv.log.warnings(), []);
  });

  test(`${mode}: repeated requests to one address reuse one connection`, async (t) => {
    const srv = await startServer(t, { key });
    const client = startClient(t, { key });
    for (let i = 0; i < 5; i++) {
      const res = await client.request(srv.addr, { method: 'GET', path: `/ping/${i}` });
      assert.equal(res.status, 200);
    }
    assert.equal(srv.calls.length, 5);
    assert.equal(new Set(srv.calls.map((c) => c.remotePort)).size, 1);
    assert.deepEqual(srv.log.warnings(), []);
  });

  test(`${mode}: concurrent requests all get their own answer`, async (t) => {
    const srv = await startServer(t, { key });
    const client = startClient(t, { key });
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => client.request(srv.addr, { method: 'GET', path: `/c/${i}` })),
    );
    assert.deepEqual(
      answers.map((a) => a.body.toString()),
      [0, 1, 2, 3, 4, 5].map((i) => `GET /c/${i} `),
    );
  });

  test(`${mode}: the dispatcher serves undici requests to http://host:port origins`, async (t) => {
    const srv = await startServer(t, { key });
    const client = startClient(t, { key });
    const res = await undiciRequest(`http://${srv.addr}/direct`, { dispatcher: client.dispatcher });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'GET /direct ');
  });
}

test('a large body within the limit is read whole', async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  const srv = await startServer(t, {
    handler: (_req, res) => {
      res.end(big);
    },
  });
  const client = startClient(t);
  const res = await client.request(srv.addr, { method: 'GET', path: '/big' });
  assert.equal(res.body.length, big.length);
  assert.ok(res.body.equals(big));
});
