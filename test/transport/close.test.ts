// Closing a cluster server: idempotent, ends idle keep-alive connections at once, lets an answer
// in progress finish, and an AbortSignal closes it too. Listening errors are typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createClusterServer } from '../../src/transport/server.js';
import { generateKey, parseEncryptKey } from '../../src/transport/keys.js';
import { waitFor } from '../helpers/wait-for.js';
import { startClient, startServer } from './fixtures.js';

for (const keyed of [false, true]) {
  const mode = keyed ? 'keyed' : 'plain';
  const key = keyed ? parseEncryptKey(generateKey()) : undefined;

  test(`${mode}: close() is idempotent and ends idle keep-alive connections`, async (t) => {
    const srv = await startServer(t, { key });
    const client = startClient(t, { key });
    assert.equal((await client.request(srv.addr, { method: 'GET', path: '/1' })).status, 200);
    const first = srv.server.close();
    assert.equal(srv.server.close(), first);
    await first;
    await srv.server.close();
    // The kept-alive connection is gone and nothing listens: the next request cannot connect.
    await assert.rejects(client.request(srv.addr, { method: 'GET', path: '/2' }), {
      code: ErrorCode.CLUSTER_UNREACHABLE,
      message: new RegExp(`^cannot reach ${srv.addr}: connect ECONNREFUSED`),
    });
    assert.equal(srv.calls.length, 1);
  });
}

test('close() ends a raw idle keep-alive connection at once', async (t) => {
  const srv = await startServer(t, { drainMs: 60_000 });
  const socket = connect(srv.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (c: string) => (received += c));
  socket.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n');
  await waitFor(() => received.includes('GET /idle '), { what: 'the answer' });
  assert.match(received, /\r\nConnection: keep-alive\r\n/);
  const closed = once(socket, 'close');
  // drainMs is a minute: an idle connection must not wait for it.
  await srv.server.close();
  await closed;
});

test('close() lets an answer in progress finish, with Connection: close', async (t) => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const srv = await startServer(t, {
    handler: async (_req, res) => {
      await held;
      res.end('late answer');
    },
  });
  const client = startClient(t);
  const pending = client.request(srv.addr, { method: 'GET', path: '/slow' });
  await waitFor(() => srv.calls.length === 1, { what: 'the request to arrive' });
  const closing = srv.server.close();
  release();
  const res = await pending;
  assert.equal(res.body.toString(), 'late answer');
  assert.equal(res.headers.connection, 'close');
  await closing;
});

test('close() cuts an answer that takes longer than drainMs', async (t) => {
  const srv = await startServer(t, { drainMs: 50, handler: () => new Promise(() => {}) });
  const client = startClient(t);
  const pending = client.request(srv.addr, { method: 'GET', path: '/never' });
  await waitFor(() => srv.calls.length === 1, { what: 'the request to arrive' });
  await srv.server.close();
  await assert.rejects(pending, {
    code: ErrorCode.CLUSTER_UNREACHABLE,
    message: new RegExp(`^cannot reach ${srv.addr}: the connection closed before the answer`),
  });
});

test('aborting the signal closes the server; listen then rejects', async () => {
  const ac = new AbortController();
  const server = createClusterServer({
    name: 'server',
    logger: silentLogger,
    handler: (_req, res) => void res.end(),
    signal: ac.signal,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  ac.abort();
  await server.close();
  const socket = connect(port, '127.0.0.1');
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  await assert.rejects(server.listen(0, '127.0.0.1'), { code: ErrorCode.ABORTED });
});

test('listen on a port in use rejects with CFD_ERR_CLUSTER_LISTEN', async (t) => {
  const srv = await startServer(t);
  const other = createClusterServer({ name: 'server', logger: silentLogger, handler: () => {} });
  await assert.rejects(other.listen(srv.port, '127.0.0.1'), {
    code: ErrorCode.CLUSTER_LISTEN,
    message: `cluster (server): cannot listen on 127.0.0.1:${srv.port}: listen EADDRINUSE: address already in use 127.0.0.1:${srv.port}`,
  });
  await other.close();
  await assert.rejects(other.listen(0, '127.0.0.1'), {
    code: ErrorCode.CLUSTER_LISTEN,
    message: 'cluster (server): cannot listen: the server is closed',
  });
});
