// Mismatched keys: a wrong key, no key against a keyed port, a key against a plain port. Every one
// is refused on both sides with a clear text, and nothing reaches the handler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import { generateKey, parseEncryptKey } from '../../src/transport/keys.js';
import { waitFor } from '../helpers/wait-for.js';
import { startClient, startServer } from './fixtures.js';
import type { ClusterClient } from '../../src/transport/client.js';

const newKey = () => parseEncryptKey(generateKey());
const hint = 'wrong or missing -encrypt key?';

/** assertHandshakeRefused checks the caller's side of a refused TLS handshake. */
async function assertHandshakeRefused(client: ClusterClient, addr: string) {
  await assert.rejects(
    client.request(addr, { method: 'GET', path: '/v1/internal/ping' }),
    (err: unknown) => {
      assert.ok(isConfdError(err, ErrorCode.CLUSTER_UNREACHABLE), String(err));
      assert.ok(
        err.message.startsWith(`cannot reach ${addr}: TLS handshake failed (`),
        err.message,
      );
      assert.ok(err.message.endsWith(`); ${hint}`), err.message);
      return true;
    },
  );
}

test('a client with another key is refused: typed error with the hint, logged, handler untouched', async (t) => {
  const srv = await startServer(t, { key: newKey() });
  const client = startClient(t, { key: newKey() });
  await assertHandshakeRefused(client, srv.addr);
  const line = await waitFor(() => srv.log.warnings()[0], { what: 'the rejection line' });
  assert.match(
    line,
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.1:\d+: TLS handshake failed; wrong or missing -encrypt key\?$/,
  );
  assert.deepEqual(srv.calls, []);
});

test('a plaintext HTTP client on a keyed port is told so, in plaintext; the server says the key is missing there', async (t) => {
  const srv = await startServer(t, { key: newKey() });
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: srv.port, path: '/v1/internal/ping' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(answer, {
    status: 400,
    body: 'Client sent an HTTP request to a port that requires -encrypt.\n',
  });
  const line = await waitFor(() => srv.log.warnings()[0], { what: 'the rejection line' });
  assert.match(
    line,
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.1:\d+: plaintext HTTP on a port that requires -encrypt; the -encrypt key is probably missing on the other side$/,
  );
  assert.deepEqual(srv.calls, []);
});

test('a cluster client without a key on a keyed port gets a typed error naming the cause', async (t) => {
  let now = 0;
  // Each request is 10 s after the previous one for the log's rate limit: both are logged.
  const srv = await startServer(t, { key: newKey(), now: () => (now += 10_000) });
  const client = startClient(t);
  // OpenSSL tells PUT (like GET, POST, HEAD) from TLS; DELETE is just "wrong version number".
  for (const method of ['PUT', 'DELETE']) {
    await assert.rejects(client.request(srv.addr, { method, path: '/v1/internal/x', body: '{}' }), {
      code: ErrorCode.CLUSTER_UNREACHABLE,
      message: `cannot reach ${srv.addr}: the agent there requires -encrypt (TLS); is the -encrypt key missing here?`,
    });
  }
  const lines = await waitFor(
    () => (srv.log.warnings().length === 2 ? srv.log.warnings() : undefined),
    {
      what: 'two rejection lines',
    },
  );
  assert.match(
    lines[0] ?? '',
    /: plaintext HTTP on a port that requires -encrypt; the -encrypt key is probably missing on the other side$/,
  );
  assert.match(
    lines[1] ?? '',
    /: not TLS \(wrong version number\) on a port that requires -encrypt; the -encrypt key is probably missing on the other side$/,
  );
  assert.deepEqual(srv.calls, []);
});

test('a keyed client on a plaintext port is refused on both sides', async (t) => {
  const srv = await startServer(t);
  const client = startClient(t, { key: newKey() });
  await assertHandshakeRefused(client, srv.addr);
  const line = await waitFor(() => srv.log.warnings()[0], { what: 'the rejection line' });
  assert.match(
    line,
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.1:\d+: a TLS handshake on a port without -encrypt; is -encrypt set on the other side only\?$/,
  );
  assert.deepEqual(srv.calls, []);
});
