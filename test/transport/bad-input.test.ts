// Bad input on a cluster port: answered or closed, logged at most once per remote address per
// 10 s (with the count of the lines held back), never handed to the handler; a good client is
// served right after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createClusterClient } from '../../src/transport/client.js';
import { generateKey, parseEncryptKey } from '../../src/transport/keys.js';
import { waitFor } from '../helpers/wait-for.js';
import { rawExchange, startClient, startServer } from './fixtures.js';
import type { TestServer } from './fixtures.js';

const from = (srv: TestServer, ip: string) =>
  srv.log.warnings().filter((l) => l.includes(` from ${ip}:`));

async function servesGoodClient(srv: TestServer, key?: Buffer): Promise<void> {
  const client = createClusterClient({ key });
  try {
    const res = await client.request(srv.addr, { method: 'GET', path: '/after' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'GET /after ');
  } finally {
    await client.close();
  }
}

test('garbage, a truncated request and an oversized header block are answered or closed and logged', async (t) => {
  const srv = await startServer(t, { maxHeaderBytes: 1024 });
  const garbage = await rawExchange(srv.port, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]), {
    localAddress: '127.0.0.11',
  });
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const truncated = await rawExchange(srv.port, 'GET /x HTTP/1.1\r\nHost: a\r\nX-Half: ', {
    localAddress: '127.0.0.12',
  });
  assert.equal(truncated, '');
  const oversized = await rawExchange(
    srv.port,
    `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`,
    { localAddress: '127.0.0.13' },
  );
  assert.match(oversized, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(oversized, /\r\n\r\nheader block larger than 1024 bytes\n$/);

  const lines = srv.log.warnings();
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(
    lines[0] ?? '',
    /^cluster \(serf_lan\): bad request from 127\.0\.0\.11:\d+: malformed HTTP \(Invalid method encountered\)$/,
  );
  assert.match(
    lines[1] ?? '',
    /^cluster \(serf_lan\): bad request from 127\.0\.0\.12:\d+: connection closed in the middle of a request$/,
  );
  assert.match(
    lines[2] ?? '',
    /^cluster \(serf_lan\): bad request from 127\.0\.0\.13:\d+: header block larger than 1024 bytes$/,
  );
  assert.deepEqual(srv.calls, []);
  await servesGoodClient(srv);
});

test('a client that never finishes its headers is cut off after the headers timeout', async (t) => {
  const srv = await startServer(t, { headersTimeoutMs: 200, requestTimeoutMs: 1000 });
  const answer = await rawExchange(srv.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n', {
    end: false,
    localAddress: '127.0.0.14',
  });
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  const [line, ...rest] = from(srv, '127.0.0.14');
  assert.deepEqual(rest, []);
  assert.match(
    line ?? '',
    /^cluster \(serf_lan\): bad request from 127\.0\.0\.14:\d+: request not received in time \(headers within 200 ms, the whole request within 1000 ms\)$/,
  );
  assert.deepEqual(srv.calls, []);
  await servesGoodClient(srv);
});

test('a keyed port: garbage and a silent client fail the TLS handshake, logged', async (t) => {
  const key = parseEncryptKey(generateKey());
  const srv = await startServer(t, { key, headersTimeoutMs: 200, requestTimeoutMs: 1000 });
  const garbage = await rawExchange(srv.port, Buffer.from('\x00\x01garbage\r\n\r\n'), {
    localAddress: '127.0.0.21',
  });
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const silent = await rawExchange(srv.port, '', { end: false, localAddress: '127.0.0.22' });
  assert.equal(silent, '');
  assert.match(
    from(srv, '127.0.0.21').join('\n'),
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.21:\d+: not TLS \(wrong version number\) on a port that requires -encrypt; the -encrypt key is probably missing on the other side$/,
  );
  assert.match(
    from(srv, '127.0.0.22').join('\n'),
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.22:\d+: TLS handshake not completed within 200 ms$/,
  );
  assert.deepEqual(srv.calls, []);
  await servesGoodClient(srv, key);
});

test('log lines are rate-limited per remote address, and the next one counts those held back', async (t) => {
  let now = 0;
  const srv = await startServer(t, { now: () => now });
  const bad = (ip: string) =>
    rawExchange(srv.port, 'NOT HTTP AT ALL\r\n\r\n', { localAddress: ip });
  for (let i = 0; i < 4; i++) await bad('127.0.0.5');
  await bad('127.0.0.6');
  await bad('127.0.0.6');
  assert.equal(from(srv, '127.0.0.5').length, 1);
  assert.equal(from(srv, '127.0.0.6').length, 1);
  assert.doesNotMatch(srv.log.warnings().join('\n'), /suppressed/);

  now += 10_000;
  await bad('127.0.0.5');
  const lines = from(srv, '127.0.0.5');
  assert.equal(lines.length, 2);
  assert.match(
    lines[1] ?? '',
    /: malformed HTTP \([^)]+\) \(3 similar lines from 127\.0\.0\.5 suppressed\)$/,
  );
  assert.deepEqual(srv.calls, []);
  await servesGoodClient(srv);
});

test('a handler that throws answers 500 and is logged; the server keeps serving', async (t) => {
  let calls = 0;
  const srv = await startServer(t, {
    handler: (req, res) => {
      calls += 1;
      if (req.url === '/throw') throw new Error('boom');
      if (req.url === '/reject') return Promise.reject(new Error('async boom'));
      res.end('fine');
      return undefined;
    },
  });
  const client = startClient(t);
  assert.equal((await client.request(srv.addr, { method: 'GET', path: '/throw' })).status, 500);
  assert.equal((await client.request(srv.addr, { method: 'GET', path: '/reject' })).status, 500);
  assert.equal(
    (await client.request(srv.addr, { method: 'GET', path: '/ok' })).body.toString(),
    'fine',
  );
  assert.equal(calls, 3);
  const errors = srv.log.lines.filter((l) => l.level === 'error').map((l) => l.msg);
  assert.equal(errors.length, 2);
  assert.match(
    errors[0] ?? '',
    /^cluster \(serf_lan\): handler failed on GET \/throw from 127\.0\.0\.1:\d+: boom$/,
  );
  assert.match(
    errors[1] ?? '',
    /^cluster \(serf_lan\): handler failed on GET \/reject from 127\.0\.0\.1:\d+: async boom$/,
  );
});

test('connections beyond maxConnections are closed at once and logged', async (t) => {
  const srv = await startServer(t, { maxConnections: 1 });
  const held = connect(srv.port, '127.0.0.1');
  t.after(() => held.destroy());
  await once(held, 'connect');
  const dropped = await rawExchange(srv.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', {
    localAddress: '127.0.0.31',
  });
  assert.equal(dropped, '');
  assert.match(
    from(srv, '127.0.0.31').join('\n'),
    /^cluster \(serf_lan\): rejected a connection from 127\.0\.0\.31:\d+: too many connections \(at most 1\)$/,
  );
  held.destroy();
  const client = createClusterClient({});
  t.after(() => client.close());
  await waitFor(
    async () => (await client.request(srv.addr, { method: 'GET', path: '/' })).status === 200,
    {
      what: 'the server to take a connection again',
    },
  );
  assert.deepEqual(
    srv.calls.map((c) => c.url),
    ['/'],
  );
});
