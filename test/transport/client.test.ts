// The cluster client's failures: typed, naming the address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait-for.js';
import { createClusterServer } from '../../src/transport/server.js';
import { generateKey, parseEncryptKey } from '../../src/transport/keys.js';
import { captureLog, echo, startClient, startServer } from './fixtures.js';

test('nothing listening: CFD_ERR_CLUSTER_UNREACHABLE naming the address', async (t) => {
  const port = await freePort();
  const client = startClient(t);
  await assert.rejects(client.request(`127.0.0.1:${port}`, { method: 'GET', path: '/' }), {
    code: ErrorCode.CLUSTER_UNREACHABLE,
    message: `cannot reach 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
  });
});

test('no answer in time: CFD_ERR_CLUSTER_UNREACHABLE saying so', async (t) => {
  const srv = await startServer(t, { drainMs: 10, handler: () => new Promise(() => {}) });
  const client = startClient(t);
  await assert.rejects(client.request(srv.addr, { method: 'GET', path: '/hang', timeoutMs: 100 }), {
    code: ErrorCode.CLUSTER_UNREACHABLE,
    message: `cannot reach ${srv.addr}: no answer within 100 ms`,
  });
});

test("the caller's signal: CFD_ERR_ABORTED", async (t) => {
  const srv = await startServer(t, { drainMs: 10, handler: () => new Promise(() => {}) });
  const client = startClient(t);
  const ac = new AbortController();
  const pending = client.request(srv.addr, { method: 'GET', path: '/hang', signal: ac.signal });
  await waitFor(() => srv.calls.length === 1, { what: 'the request to arrive' });
  ac.abort();
  await assert.rejects(pending, { code: ErrorCode.ABORTED });
  await assert.rejects(client.request(srv.addr, { method: 'GET', path: '/', signal: ac.signal }), {
    code: ErrorCode.ABORTED,
  });
});

test('an answer larger than the maximum: CFD_ERR_CLUSTER_RESPONSE', async (t) => {
  const srv = await startServer(t, { handler: (_req, res) => void res.end(Buffer.alloc(2048)) });
  const client = startClient(t, { maxResponseBytes: 1024 });
  await assert.rejects(client.request(srv.addr, { method: 'GET', path: '/big' }), {
    code: ErrorCode.CLUSTER_RESPONSE,
    message: `answer from ${srv.addr} larger than 1024 bytes`,
  });
  // The client still works.
  const small = await startServer(t);
  assert.equal((await client.request(small.addr, { method: 'GET', path: '/' })).status, 200);
});

test('a bad address: CFD_ERR_CONFIG_INVALID; a closed client: CFD_ERR_CLUSTER_UNREACHABLE', async (t) => {
  const srv = await startServer(t);
  const client = startClient(t);
  await assert.rejects(client.request('127.0.0.1', { method: 'GET', path: '/' }), {
    code: ErrorCode.CONFIG_INVALID,
  });
  const closing = client.close();
  assert.equal(client.close(), closing);
  await closing;
  await assert.rejects(client.request(srv.addr, { method: 'GET', path: '/' }), {
    code: ErrorCode.CLUSTER_UNREACHABLE,
    message: `cannot reach ${srv.addr}: the cluster client is closed`,
  });
});

test('an IPv6 address in brackets: [::1]:port', async (t) => {
  const log = captureLog();
  const server = createClusterServer({ name: 'serf_lan', logger: log.logger, handler: echo });
  t.after(() => server.close());
  let port: number;
  try {
    ({ port } = await server.listen(0, '::1'));
  } catch (err) {
    t.skip(`no IPv6 loopback here: ${String(err)}`);
    return;
  }
  const client = startClient(t, { key: parseEncryptKey(generateKey()) });
  await assert.rejects(client.request(`[::1]:${port}`, { method: 'GET', path: '/' }), {
    code: ErrorCode.CLUSTER_UNREACHABLE,
    message: new RegExp(`^cannot reach \\[::1\\]:${port}: TLS handshake failed`),
  });
  const line = await waitFor(() => log.warnings()[0], { what: 'the rejection line' });
  assert.match(line, /^cluster \(serf_lan\): rejected a connection from \[::1\]:\d+: /);
  const plain = startClient(t);
  const res = await plain.request(`[::1]:${port}`, { method: 'GET', path: '/v6' });
  assert.equal(res.body.toString(), 'GET /v6 ');
});
