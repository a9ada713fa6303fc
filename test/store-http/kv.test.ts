import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startApi } from '../helpers/agent.js';

/** rawPut sends a PUT with the path exactly as given (fetch/undici would normalize `..`). */
function rawPut(url: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/`, { method: 'PUT', path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end('v');
  });
}

test('PUT then GET answers Consul JSON in Go field order, compact, with meta headers', async (t) => {
  const { request } = await startApi(t);
  const put = await request('PUT', '/v1/kv/app/zip?flags=18446744073709551615', 'test');
  assert.equal(put.status, 200);
  assert.equal(put.text, 'true');
  assert.equal(put.headers['content-type'], 'application/json');

  const get = await request('GET', '/v1/kv/app/zip');
  assert.equal(get.status, 200);
  const index = Number(get.headers['x-consul-index']);
  assert.ok(index > 0);
  assert.equal(
    get.text,
    `[{"LockIndex":0,"Key":"app/zip","Flags":18446744073709551615,"Value":"dGVzdA==",` +
      `"CreateIndex":${index},"ModifyIndex":${index}}]`,
  );
  assert.equal(get.headers['x-consul-knownleader'], 'true');
  assert.equal(get.headers['x-consul-lastcontact'], '0');
  assert.equal(get.headers['x-consul-effective-consistency'], 'leader');
});

test('an empty value is null, ?pretty indents with 4 spaces and a newline', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/empty');
  const get = await request('GET', '/v1/kv/empty?pretty');
  const index = get.headers['x-consul-index'];
  assert.equal(
    get.text,
    '[\n    {\n        "LockIndex": 0,\n        "Key": "empty",\n        "Flags": 0,\n' +
      `        "Value": null,\n        "CreateIndex": ${index},\n        "ModifyIndex": ${index}\n    }\n]\n`,
  );
});

test('a missing key is a 404 with an empty body and meta headers, never index 0', async (t) => {
  const { request } = await startApi(t);
  const res = await request('GET', '/v1/kv/nope');
  assert.equal(res.status, 404);
  assert.equal(res.text, '');
  assert.equal(res.headers['x-consul-index'], '1');
  assert.equal(res.headers['x-consul-knownleader'], 'true');
  assert.equal(res.headers['x-consul-lastcontact'], '0');
  const rec = await request('GET', '/v1/kv/nope/?recurse');
  assert.equal(rec.status, 404);
  assert.equal(rec.text, '');
});

test('?raw answers the bytes as text/plain with the hardening headers', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/page', '<b>hi</b>');
  const res = await request('GET', '/v1/kv/page?raw');
  assert.equal(res.status, 200);
  assert.equal(res.text, '<b>hi</b>');
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['content-security-policy'], 'sandbox');
  assert.equal(res.headers['content-length'], '9');
});

test('?recurse lists the prefix sorted; ?keys with separator truncates and de-duplicates', async (t) => {
  const { request } = await startApi(t);
  for (const k of ['a/x/1', 'a/x/2', 'a/y', 'b']) await request('PUT', `/v1/kv/${k}`, k);
  const rec = await request('GET', '/v1/kv/a/?recurse');
  assert.deepEqual(
    (JSON.parse(rec.text) as { Key: string }[]).map((e) => e.Key),
    ['a/x/1', 'a/x/2', 'a/y'],
  );
  const keys = await request('GET', '/v1/kv/a/?keys&separator=/');
  assert.equal(keys.text, '["a/x/","a/y"]');
  const misspelt = await request('GET', '/v1/kv/a/?keys&seperator=/');
  assert.equal(misspelt.text, '["a/x/","a/y"]');
  const all = await request('GET', '/v1/kv/?keys');
  assert.equal(all.text, '["a/x/1","a/x/2","a/y","b"]');
});

test('?keys gives [] on an empty root and 404 on an empty prefix match', async (t) => {
  const { request } = await startApi(t);
  const root = await request('GET', '/v1/kv/?keys');
  assert.equal(root.status, 200);
  assert.equal(root.text, '[]');
  const prefix = await request('GET', '/v1/kv/none/?keys');
  assert.equal(prefix.status, 404);
  assert.equal(prefix.text, '');
});

test('the key comes from the percent-decoded path', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/with%20space%2Finside', 'v');
  const res = await request('GET', '/v1/kv/?keys');
  assert.equal(res.text, '["with space/inside"]');
});

test('cas=0 creates only when absent, cas=N only on the matching ModifyIndex', async (t) => {
  const { request } = await startApi(t);
  assert.equal((await request('PUT', '/v1/kv/c?cas=0', 'one')).text, 'true');
  assert.equal((await request('PUT', '/v1/kv/c?cas=0', 'two')).text, 'false');
  const index = Number((await request('GET', '/v1/kv/c')).headers['x-consul-index']);
  assert.equal((await request('PUT', `/v1/kv/c?cas=${index + 5}`, 'three')).text, 'false');
  assert.equal((await request('PUT', `/v1/kv/c?cas=${index}`, 'four')).text, 'true');
  assert.equal((await request('GET', '/v1/kv/c?raw')).text, 'four');
  assert.equal((await request('PUT', '/v1/kv/missing?cas=7', 'x')).text, 'false');
});

test('DELETE: true even when absent, recurse wipes a prefix, cas deletes only on match', async (t) => {
  const { request } = await startApi(t);
  assert.equal((await request('DELETE', '/v1/kv/ghost')).text, 'true');
  for (const k of ['d/1', 'd/2', 'e']) await request('PUT', `/v1/kv/${k}`, k);
  assert.equal((await request('DELETE', '/v1/kv/d/?recurse')).text, 'true');
  assert.equal((await request('GET', '/v1/kv/?keys')).text, '["e"]');
  const index = Number((await request('GET', '/v1/kv/e')).headers['x-consul-index']);
  assert.equal((await request('DELETE', `/v1/kv/e?cas=${index + 1}`)).text, 'false');
  assert.equal((await request('DELETE', `/v1/kv/e?cas=${index}`)).text, 'true');
  assert.equal((await request('GET', '/v1/kv/e')).status, 404);
});

test('missing key names and conflicting flags are 400 with Consul texts', async (t) => {
  const { request } = await startApi(t);
  for (const [method, path] of [
    ['GET', '/v1/kv/'],
    ['PUT', '/v1/kv/'],
    ['DELETE', '/v1/kv/'],
  ] as const) {
    const res = await request(method, path);
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.text, 'Missing key name');
  }
  const put = await request('PUT', '/v1/kv/k?release=b&cas=1&acquire=a%20b', 'v');
  assert.equal(put.status, 400);
  assert.equal(put.text, 'Conflicting flags: acquire=a+b&cas=1&release=b\n');
  const del = await request('DELETE', '/v1/kv/k?recurse&cas=1');
  assert.equal(del.status, 400);
  assert.equal(del.text, 'Conflicting flags: cas=1&recurse=\n');
  assert.equal((await request('GET', '/v1/kv/k')).status, 404, 'nothing was written');
});

test('bad index, wait, flags and consistency combinations are 400', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  const cases: [string, string][] = [
    ['/v1/kv/k?index=abc', 'Invalid index'],
    ['/v1/kv/k?index=-1', 'Invalid index'],
    ['/v1/kv/k?index=1&wait=10', 'Invalid wait time'],
    ['/v1/kv/k?wait=forever', 'Invalid wait time'],
    // Go's time.ParseDuration fails past its int64 nanoseconds (~2562047h), strconv.ParseUint
    // past 2^64-1.
    ['/v1/kv/k?wait=99999999999h', 'Invalid wait time'],
    ['/v1/kv/k?wait=2562048h', 'Invalid wait time'],
    ['/v1/kv/k?wait=9223372036854775808ns', 'Invalid wait time'],
    ['/v1/kv/k?index=18446744073709551616', 'Invalid index'],
    ['/v1/kv/k?stale&consistent', 'Cannot specify ?stale with ?consistent, conflicting semantics.'],
  ];
  for (const [path, text] of cases) {
    const res = await request('GET', path);
    assert.equal(res.status, 400, path);
    assert.equal(res.text, text, path);
  }
  const flags = await request('PUT', '/v1/kv/k?flags=x', 'v');
  assert.equal(flags.status, 400);
  assert.match(flags.text, /^Invalid flags: /);
});

test('the largest wait and index Go parses are accepted', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  for (const path of [
    '/v1/kv/k?wait=2562047h',
    '/v1/kv/k?wait=9223372036854775807ns',
    '/v1/kv/k?wait=-9223372036854775808ns',
    // An index ahead of the store blocks for the wait, then answers the current state.
    '/v1/kv/k?index=18446744073709551615&wait=20ms',
  ]) {
    const res = await request('GET', path);
    assert.equal(res.status, 200, path);
    assert.equal((JSON.parse(res.text) as { Key: string }[])[0].Key, 'k', path);
  }
});

test('stale and consistent reads say so in X-Consul-Effective-Consistency', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/k', 'v');
  const stale = await request('GET', '/v1/kv/k?stale');
  assert.equal(stale.headers['x-consul-effective-consistency'], 'stale');
  const consistent = await request('GET', '/v1/kv/k?consistent');
  assert.equal(consistent.headers['x-consul-effective-consistency'], 'consistent');
});

test('an unknown ?dc is refused like Consul, our own is fine', async (t) => {
  const { request } = await startApi(t, { datacenter: 'east' });
  await request('PUT', '/v1/kv/k?dc=east', 'v');
  assert.equal((await request('GET', '/v1/kv/k?dc=east')).status, 200);
  const other = await request('GET', '/v1/kv/k?dc=west');
  assert.equal(other.status, 500);
  assert.equal(other.text, 'No path to datacenter');
});

test('path traversal and leading/trailing spaces in keys are 400; the option turns it off', async (t) => {
  const { request, url } = await startApi(t);
  for (const path of [
    '/v1/kv/a/../b',
    '/v1/kv/a/..%2Fb',
    '/v1/kv/a/%2e%2e%2fb',
    '/v1/kv/a/%252e%252e%252fb',
    '/v1/kv/..',
    '/v1/kv/%20lead',
    '/v1/kv/trail%20',
  ]) {
    const res = await rawPut(url, path);
    assert.equal(res.status, 400, path);
    assert.match(res.text, /^Invalid key name /, path);
  }
  assert.equal((await request('GET', '/v1/kv/?keys')).text, '[]');
  const lax = await startApi(t, { disableKvKeyValidation: true });
  assert.equal((await lax.request('PUT', '/v1/kv/%20lead', 'v')).text, 'true');
});

test('values over 512 KiB are 413 by Content-Length and by bytes actually received', async (t) => {
  const { request, url } = await startApi(t);
  const big = new Uint8Array(524289);
  const res = await request('PUT', '/v1/kv/big', big);
  assert.equal(res.status, 413);
  assert.equal(
    res.text,
    'Request body(524289 bytes) too large, max size: 524288 bytes. ' +
      'See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
  );
  // Exactly the limit is fine.
  assert.equal((await request('PUT', '/v1/kv/edge', new Uint8Array(524288))).text, 'true');
  // A chunked body without Content-Length is cut off once it passes the limit.
  const chunked = await fetch(`${url}/v1/kv/chunked`, {
    method: 'PUT',
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < 9; i++) controller.enqueue(new Uint8Array(65536));
        controller.close();
      },
    }),
    duplex: 'half',
  });
  assert.equal(chunked.status, 413);
  assert.match(
    await chunked.text(),
    /^Request body\(\d+ bytes\) too large, max size: 524288 bytes/,
  );
  assert.equal((await request('GET', '/v1/kv/chunked')).status, 404);
  assert.equal((await request('GET', '/v1/kv/?keys')).text, '["edge"]');
});

test('acquire with an unknown session is a 500 naming it', async (t) => {
  const { request } = await startApi(t);
  const res = await request('PUT', '/v1/kv/lock?acquire=nosuch', 'v');
  assert.equal(res.status, 500);
  assert.equal(res.text, 'invalid session "nosuch"');
});
