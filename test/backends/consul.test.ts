import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createConsulBackend } from '../../src/backends/consul.js';
import type { ConsulBackendOptions } from '../../src/backends/consul.js';
import { createBackend } from '../../src/backends/index.js';
import type { Backend } from '../../src/backends/types.js';
import { startAgent } from '../helpers/agent.js';
import { listenLoopback } from '../helpers/http-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from '../helpers/temp-dir.js';

const sorted = (m: Map<string, string>) => Object.fromEntries([...m].sort());

async function backendFor(t: TestContext, options: ConsulBackendOptions): Promise<Backend> {
  const backend = await createConsulBackend(options);
  t.after(() => backend.close());
  return backend;
}

interface Recorded {
  url: string;
  headers: IncomingMessage['headers'];
}

/** A tiny real HTTP server that records requests and answers with `handler`. */
async function recorder(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ node: string; requests: Recorded[]; closed: string[] }> {
  const requests: Recorded[] = [];
  const closed: string[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    res.on('close', () => closed.push(req.url ?? ''));
    handler(req, res);
  });
  return { node: await listenLoopback(t, server), requests, closed };
}

async function put(url: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${url}/v1/kv/${key}`, { method: 'PUT', body: value });
  assert.equal((await res.text()).trim(), 'true');
}

test('consul backend against the bundled agent', async (t) => {
  const agent = await startAgent(t);
  const node = agent.url.replace(/^http:\/\//, '');
  await put(agent.url, 'key', 'foobar');
  await put(agent.url, 'database/host', '127.0.0.1');
  await put(agent.url, 'database/port', '3306');
  await put(agent.url, 'database2', 'sibling');
  await put(agent.url, 'upstream/', '');
  await put(agent.url, 'upstream/app1', '10.0.1.10:8080');

  await t.test(
    'getValues maps keys as confd (leading /, folder keys, string prefixes)',
    async (t) => {
      const backend = await backendFor(t, { node });
      assert.deepEqual(sorted(await backend.getValues(['/database', '/key', '/upstream'])), {
        '/database/host': '127.0.0.1',
        '/database/port': '3306',
        '/database2': 'sibling', // Consul recurse is a plain string prefix
        '/key': 'foobar',
        '/upstream': '',
        '/upstream/app1': '10.0.1.10:8080',
      });
      assert.deepEqual(sorted(await backend.getValues(['/nothing/here'])), {});
      // manykeys: 4 keys repeated 48 times
      const many = Array.from({ length: 192 }, (_, i) => `/database/${['host', 'port'][i % 2]}`);
      assert.equal((await backend.getValues(many)).size, 2);
    },
  );

  await t.test('watchPrefix blocks until a write under the prefix', async (t) => {
    const backend = await backendFor(t, { node, waitMs: 10_000 });
    const signal = AbortSignal.timeout(15_000);
    const first = await backend.watchPrefix('/database', { keys: [], waitIndex: 0, signal });
    assert.ok(first > 0);
    let woke = false;
    const pending = backend.watchPrefix('/database', { keys: [], waitIndex: first, signal });
    void pending.then(() => (woke = true));
    await put(agent.url, 'elsewhere', 'x');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(woke, false, 'a write outside the prefix must not wake the watch');
    await put(agent.url, 'database/host', '10.0.0.1');
    const next = await pending;
    assert.ok(next > first, `${next} > ${first}`);
    assert.equal((await backend.getValues(['/database/host'])).get('/database/host'), '10.0.0.1');
  });
});

test('consul sends -auth-token / CONSUL_HTTP_TOKEN and basic auth', async (t) => {
  const server = await recorder(t, (_req, res) => {
    res.writeHead(404, { 'X-Consul-Index': '3' }).end();
  });
  const explicit = await backendFor(t, {
    node: server.node,
    token: 'tok-1',
    basicAuth: { username: 'u', password: 'p' },
  });
  assert.equal((await explicit.getValues(['/database/host'])).size, 0);
  assert.equal(server.requests[0]?.url, '/v1/kv/database/host?recurse=');
  assert.equal(server.requests[0]?.headers['x-consul-token'], 'tok-1');
  assert.equal(
    server.requests[0]?.headers.authorization,
    `Basic ${Buffer.from('u:p').toString('base64')}`,
  );

  const fromEnv = await createBackend(
    {
      backend: 'consul',
      nodes: [server.node],
      scheme: 'http',
      basicAuth: false,
      files: [],
      filter: '*',
    },
    { logger: silentLogger, env: { CONSUL_HTTP_TOKEN: 'tok-env', CONSUL_HTTP_AUTH: 'eu:ep' } },
  );
  t.after(() => fromEnv.close());
  await fromEnv.getValues(['/k']);
  assert.equal(server.requests[1]?.headers['x-consul-token'], 'tok-env');
  assert.equal(
    server.requests[1]?.headers.authorization,
    `Basic ${Buffer.from('eu:ep').toString('base64')}`,
  );

  const flagWins = await createBackend(
    {
      backend: 'consul',
      nodes: [server.node],
      scheme: 'http',
      basicAuth: false,
      authToken: 'tok-flag',
      files: [],
      filter: '*',
    },
    { logger: silentLogger, env: { CONSUL_HTTP_TOKEN: 'tok-env' } },
  );
  t.after(() => flagWins.close());
  await flagWins.getValues(['/k']);
  assert.equal(server.requests[2]?.headers['x-consul-token'], 'tok-flag');
});

test('consul reports unexpected statuses with the body, as consul/api', async (t) => {
  const server = await recorder(t, (_req, res) => {
    res.writeHead(403, { 'X-Consul-Index': '3' }).end('Permission denied\n');
  });
  const backend = await backendFor(t, { node: server.node });
  await assert.rejects(backend.getValues(['/key']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_RESPONSE));
    assert.equal(err.message, 'Unexpected response code: 403 (Permission denied)');
    return true;
  });
});

test('consul index rules: blocking query shape, 0 treated as 1, backwards resets to 0', async (t) => {
  const answers = ['12', '0', '5'];
  const server = await recorder(t, (_req, res) => {
    const index = answers.shift();
    res.writeHead(200, index === '0' ? {} : { 'X-Consul-Index': index ?? '1' }).end('[]');
  });
  const backend = await backendFor(t, { node: server.node, waitMs: 500 });
  const signal = AbortSignal.timeout(5000);
  assert.equal(await backend.watchPrefix('/', { keys: [], waitIndex: 0, signal }), 12);
  assert.equal(server.requests[0]?.url, '/v1/kv/?recurse=');
  assert.equal(await backend.watchPrefix('/app', { keys: [], waitIndex: 12, signal }), 1);
  assert.equal(server.requests[1]?.url, '/v1/kv/app?index=12&recurse=&wait=500ms');
  assert.equal(await backend.watchPrefix('/app', { keys: [], waitIndex: 7, signal }), 0);
});

test('consul watchPrefix abort cancels the request; close is idempotent', async (t) => {
  const server = await recorder(t, () => {
    // never answers: a parked blocking query
  });
  const backend = await createConsulBackend({ node: server.node });
  const controller = new AbortController();
  const pending = backend.watchPrefix('/', { keys: [], waitIndex: 9, signal: controller.signal });
  await waitFor(() => server.requests.length === 1, { what: 'the blocking request' });
  controller.abort();
  await assert.rejects(pending, (err) => isConfdError(err, ErrorCode.ABORTED));
  await waitFor(() => server.closed.length === 1, { what: 'the server to see the request end' });

  const parked = backend.watchPrefix('/', {
    keys: [],
    waitIndex: 9,
    signal: AbortSignal.timeout(5000),
  });
  await waitFor(() => server.requests.length === 2, { what: 'the second blocking request' });
  const rejected = assert.rejects(parked, (err) => isConfdError(err, ErrorCode.ABORTED));
  await backend.close();
  await backend.close();
  await rejected;
});

test('consul unreachable node gives the Go client text naming the URL', async (t) => {
  const backend = await backendFor(t, { node: '127.0.0.1:1' });
  await assert.rejects(backend.getValues(['/key']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_UNREACHABLE));
    assert.equal(
      err.message,
      'Get "http://127.0.0.1:1/v1/kv/key?recurse=": dial tcp 127.0.0.1:1: connect: connection refused',
    );
    return true;
  });
});

test('consul reaches a unix:// socket node', async (t) => {
  const dir = await tempDir(t);
  const socket = join(dir, 'consul.sock');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'X-Consul-Index': '2' }).end(JSON.stringify([{ Key: 'k', Value: null }]));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const backend = await backendFor(t, { node: `unix://${socket}` });
  assert.deepEqual([...(await backend.getValues(['/k']))], [['/k', '']]);
  assert.deepEqual(requests, ['/v1/kv/k?recurse=']);
});
