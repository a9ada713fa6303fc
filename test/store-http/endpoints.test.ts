import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startApi } from '../helpers/agent.js';

test('status leader and peers name the server address', async (t) => {
  const { request } = await startApi(t, { serverAddr: '127.0.0.1:8300' });
  const leader = await request('GET', '/v1/status/leader');
  assert.equal(leader.text, '"127.0.0.1:8300"');
  assert.equal((await request('GET', '/v1/status/peers')).text, '["127.0.0.1:8300"]');
});

test('agent self and members describe this single alive server', async (t) => {
  const { request } = await startApi(t, { datacenter: 'dc7', nodeId: 'abc' });
  const self = JSON.parse((await request('GET', '/v1/agent/self')).text) as Record<
    string,
    Record<string, unknown>
  >;
  assert.deepEqual(Object.keys(self).sort(), [
    'Config',
    'Coord',
    'DebugConfig',
    'Member',
    'Meta',
    'Stats',
  ]);
  assert.equal(self.Config.Datacenter, 'dc7');
  assert.equal(self.Config.NodeName, 'test-node');
  assert.equal(self.Config.NodeID, 'abc');
  assert.equal(self.Config.Server, true);
  assert.equal(typeof self.Config.Version, 'string');
  assert.equal((self.Stats.consul as Record<string, string>).leader_addr, '127.0.0.1:8300');
  const members = JSON.parse((await request('GET', '/v1/agent/members')).text) as {
    Name: string;
    Status: number;
    Tags: Record<string, string>;
  }[];
  assert.equal(members.length, 1);
  assert.equal(members[0].Name, 'test-node');
  assert.equal(members[0].Status, 1);
  assert.equal(members[0].Tags.dc, 'dc7');
});

test('wrong methods are 405 with Allow, OPTIONS answers Allow, unknown paths 404', async (t) => {
  const { request } = await startApi(t);
  const post = await request('POST', '/v1/kv/k', 'x');
  assert.equal(post.status, 405);
  assert.equal(post.text, 'method POST not allowed');
  assert.equal(post.headers.allow, 'OPTIONS,GET,PUT,DELETE');
  const options = await request('OPTIONS', '/v1/kv/k');
  assert.equal(options.status, 200);
  assert.equal(options.headers.allow, 'OPTIONS,GET,PUT,DELETE');
  assert.equal(options.text, '');
  const txn = await request('GET', '/v1/txn');
  assert.equal(txn.status, 405);
  assert.equal(txn.headers.allow, 'OPTIONS,PUT');
  // Without an onLeave hook (the daemon's embedded API), /v1/agent/leave does not exist.
  assert.equal((await request('PUT', '/v1/agent/leave')).status, 404);
  const unknown = await request('GET', '/v1/nothing/here');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.text, '404 page not found\n');
});

test('dev-mode pretty printing applies to every JSON answer', async (t) => {
  const { request } = await startApi(t, { pretty: true });
  assert.equal((await request('PUT', '/v1/kv/k', 'v')).text, 'true\n');
  assert.equal((await request('GET', '/v1/status/leader')).text, '"127.0.0.1:8300"\n');
  assert.equal((await request('GET', '/v1/kv/?keys')).text, '[\n    "k"\n]\n');
});

test('malformed requests get 4xx and the server keeps serving', async (t) => {
  const { request, url, store } = await startApi(t);
  assert.equal((await request('GET', '/v1/kv/%zz')).status, 400);
  assert.equal((await request('GET', '/v1/kv/k?a=%zz')).status, 400);
  assert.equal((await request('PUT', '/v1/session/create', '[1,2')).status, 400);
  assert.equal((await request('PUT', '/v1/session/create', '{"Behavior":"explode"}')).status, 500);
  assert.equal((await request('PUT', '/v1/txn', 'null')).status, 400);
  assert.equal(
    (await request('PUT', '/v1/txn', '[{"KV":{"Verb":"set","Key":"k","Flags":-1}}]')).status,
    400,
  );
  // Garbage on the wire is a 400 from the HTTP parser.
  const garbage = await new Promise<string>((resolve, reject) => {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write('NOT HTTP AT ALL\r\n\r\n'),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  // Go's net/http answer to an unreadable request.
  assert.equal(
    garbage,
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request',
  );
  // A store that throws a plain bug is a 500 with its message, and the server goes on.
  const broken = await startApi(t, {
    store: new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'kvGet') {
          return () => {
            throw new Error('boom');
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    }),
  });
  const res = await broken.request('GET', '/v1/kv/k');
  assert.equal(res.status, 500);
  assert.equal(res.text, 'boom');
  assert.equal((await broken.request('GET', '/v1/status/leader')).status, 200);
  assert.equal((await request('PUT', '/v1/kv/still', 'alive')).text, 'true');
});

/** rawExchange writes `payload` on a fresh connection and reads until the server closes it. */
function rawExchange(url: string, payload: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(payload));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

test("request headers: Go's 1 MB limit, past it 431 as Go's net/http writes it", async (t) => {
  const { url, request } = await startApi(t);
  const withHeader = (size: number) =>
    `GET /v1/status/leader HTTP/1.1\r\nHost: x\r\nX-Consul-Token: ${'t'.repeat(size)}\r\n` +
    'Connection: close\r\n\r\n';
  // Far past Node's default 16 KiB, within Go's http.DefaultMaxHeaderBytes (1 << 20).
  assert.match(await rawExchange(url, withHeader(1_000_000)), /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(
    await rawExchange(url, withHeader(1_100_000)),
    'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      'Connection: close\r\n\r\n431 Request Header Fields Too Large',
  );
  // A client still sending when refused gets the answer too, then the connection closes.
  assert.match(await rawExchange(url, withHeader(8_000_000)), /^HTTP\/1\.1 431 /);
  assert.equal((await request('GET', '/v1/status/leader')).status, 200, 'the server goes on');

  const small = await startApi(t, { maxHeaderBytes: 1000 });
  assert.match(await rawExchange(small.url, withHeader(500)), /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(await rawExchange(small.url, withHeader(6000)), /^HTTP\/1\.1 431 /);
});

test("paths with // are redirected like Go's ServeMux", async (t) => {
  const { request } = await startApi(t);
  const res = await request('GET', '/v1/kv/a//b?raw');
  assert.equal(res.status, 301);
  assert.equal(res.headers.location, '/v1/kv/a/b?raw');
  const encoded = await request('GET', '/v1/kv/x%2F%2Fy%3Fz');
  assert.equal(encoded.status, 301);
  assert.equal(encoded.headers.location, '/v1/kv/x/y%3Fz');
});

test('an absolute-form request target is served by its path', async (t) => {
  const { url, request } = await startApi(t);
  await request('PUT', '/v1/kv/abs', 'olute');
  const { port } = new URL(url);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write(
        `GET http://127.0.0.1:${port}/v1/kv/abs?raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    );
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
  assert.match(text, /^HTTP\/1\.1 200 OK/);
  assert.match(text, /\r\n\r\nolute$/);
});

test('an aborted signal closes the API; listen after close is refused', async (t) => {
  const controller = new AbortController();
  const { api, url } = await startApi(t, { signal: controller.signal });
  assert.equal((await fetch(`${url}/v1/status/leader`)).status, 200);
  controller.abort();
  await api.close();
  await assert.rejects(fetch(`${url}/v1/status/leader`));
  await assert.rejects(api.listen(0), /the HTTP API is closed/);
});
