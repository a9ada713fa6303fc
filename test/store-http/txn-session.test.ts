import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'undici';
import { startApi } from '../helpers/agent.js';
import { startServiceApi } from '../store-catalog/service-api.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('txn applies KV ops atomically: 200 Results with Errors null', async (t) => {
  const { request } = await startApi(t);
  const res = await request(
    'PUT',
    '/v1/txn',
    JSON.stringify([
      { KV: { Verb: 'set', Key: 'a', Value: b64('1'), Flags: 7 } },
      { kv: { verb: 'set', key: 'b', value: b64('2') } },
      { KV: { Verb: 'get', Key: 'a' } },
    ]),
  );
  assert.equal(res.status, 200);
  const body = JSON.parse(res.text) as { Results: { KV: Record<string, unknown> }[]; Errors: null };
  assert.equal(body.Errors, null);
  assert.deepEqual(
    body.Results.map((r) => [r.KV.Key, r.KV.Value, r.KV.Flags]),
    [
      ['a', null, 7],
      ['b', null, 0],
      ['a', b64('1'), 7],
    ],
  );
  assert.match(res.text, /^\{"Results":\[\{"KV":\{"LockIndex":0,"Key":"a","Flags":7,"Value":null,/);
  assert.equal((await request('GET', '/v1/kv/b?raw')).text, '2');
});

test('txn rolls back on a failed op: 409 with OpIndex and What, nothing written', async (t) => {
  const { request } = await startApi(t);
  const res = await request(
    'PUT',
    '/v1/txn',
    JSON.stringify([
      { KV: { Verb: 'set', Key: 'x', Value: b64('1') } },
      { KV: { Verb: 'get', Key: 'missing' } },
    ]),
  );
  assert.equal(res.status, 409);
  const body = JSON.parse(res.text) as {
    Results: null;
    Errors: { OpIndex: number; What: string }[];
  };
  assert.equal(body.Results, null);
  assert.equal(body.Errors.length, 1);
  assert.equal(body.Errors[0].OpIndex, 1);
  assert.match(body.Errors[0].What, /missing/);
  assert.equal((await request('GET', '/v1/kv/x')).status, 404);
});

test('txn ops without a key fail with 409 Must provide key, except delete-tree', async (t) => {
  const { request } = await startApi(t);
  await request('PUT', '/v1/kv/keep', 'v');
  // Consul's pre-check (kvsPreApply) reports every op that lacks a key; nothing is applied.
  const res = await request(
    'PUT',
    '/v1/txn',
    JSON.stringify([
      { KV: { Verb: 'set', Value: b64('x') } },
      { KV: { Verb: 'set', Key: 'ok', Value: b64('1') } },
      { KV: { Verb: 'delete', Key: '' } },
      { KV: { Verb: 'delete-tree', Key: '' } },
    ]),
  );
  assert.equal(res.status, 409);
  assert.deepEqual(JSON.parse(res.text), {
    Results: null,
    Errors: [
      { OpIndex: 0, What: 'Must provide key' },
      { OpIndex: 2, What: 'Must provide key' },
    ],
  });
  assert.equal((await request('GET', '/v1/kv/ok')).status, 404, 'nothing was written');
  assert.equal((await request('GET', '/v1/kv/keep?raw')).text, 'v', 'nothing was deleted');
  assert.equal((await request('GET', '/v1/kv/?keys')).text, '["keep"]', 'no key "" either');

  for (const verb of [
    'cas',
    'lock',
    'unlock',
    'get',
    'get-or-empty',
    'get-tree',
    'check-index',
    'check-session',
    'check-not-exists',
    'delete-cas',
  ]) {
    const one = await request('PUT', '/v1/txn', JSON.stringify([{ KV: { Verb: verb } }]));
    assert.equal(one.status, 409, verb);
    assert.equal(one.text, '{"Results":null,"Errors":[{"OpIndex":0,"What":"Must provide key"}]}');
  }
  // The key check runs before the state store, so it also wins over an unknown verb.
  const unknown = await request('PUT', '/v1/txn', '[{"KV":{"Verb":"explode"}}]');
  assert.equal(unknown.text, '{"Results":null,"Errors":[{"OpIndex":0,"What":"Must provide key"}]}');
  // delete-tree with an empty prefix is a valid op: it empties the store.
  const wipe = await request('PUT', '/v1/txn', '[{"KV":{"Verb":"delete-tree"}}]');
  assert.equal(wipe.status, 200);
  assert.equal((await request('GET', '/v1/kv/keep')).status, 404);
});

test('txn refuses bad bodies with 400, too many ops and big values with 413', async (t) => {
  const { request } = await startApi(t);
  const bad = await request('PUT', '/v1/txn', '{not json');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /^Failed to parse body: /);
  const notArray = await request('PUT', '/v1/txn', '{"KV":{}}');
  assert.equal(notArray.status, 400);
  assert.match(notArray.text, /^Failed to parse body: /);
  const badB64 = await request('PUT', '/v1/txn', '[{"KV":{"Verb":"set","Key":"k","Value":"!!"}}]');
  assert.equal(badB64.status, 400);

  const ops = Array.from({ length: 129 }, (_, i) => ({ KV: { Verb: 'set', Key: `k${i}` } }));
  const many = await request('PUT', '/v1/txn', JSON.stringify(ops));
  assert.equal(many.status, 413);
  assert.equal(many.text, 'Transaction contains too many operations (129 > 128)');
  assert.equal((await request('PUT', '/v1/txn', JSON.stringify(ops.slice(0, 128)))).status, 200);

  const huge = Buffer.alloc(600_000).toString('base64');
  const body = await request(
    'PUT',
    '/v1/txn',
    JSON.stringify([{ KV: { Verb: 'set', Key: 'h', Value: huge } }]),
  );
  assert.equal(body.status, 413);
  assert.equal(body.text, 'Request body too large, max size: 524288 bytes');
  const roomy = await startApi(t, { txnMaxReqLen: 2_000_000 });
  const big = await roomy.request(
    'PUT',
    '/v1/txn',
    JSON.stringify([{ KV: { Verb: 'set', Key: 'big', Value: huge } }]),
  );
  assert.equal(big.status, 413);
  assert.equal(big.text, 'Value for key "big" is too large (600000 > 524288 bytes)');

  const unknown = await request('PUT', '/v1/txn', '[{"KV":{"Verb":"explode","Key":"k"}}]');
  assert.equal(unknown.status, 409);
  assert.deepEqual(JSON.parse(unknown.text), {
    Results: null,
    Errors: [{ OpIndex: 0, What: 'unknown KV verb "explode"' }],
  });
});

test('sessions: create, info, list, node, renew, destroy with Consul shapes', async (t) => {
  const { request } = await startApi(t);
  const created = await request(
    'PUT',
    '/v1/session/create',
    JSON.stringify({ Name: 'web-lock', LockDelay: '5s', TTL: '30s', Behavior: 'delete' }),
  );
  assert.equal(created.status, 200);
  const { ID } = JSON.parse(created.text) as { ID: string };
  assert.match(ID, /^[0-9a-f-]{36}$/);

  const info = await request('GET', `/v1/session/info/${ID}`);
  assert.equal(info.status, 200);
  assert.ok(Number(info.headers['x-consul-index']) > 0);
  const [session] = JSON.parse(info.text) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(session), [
    'ID',
    'Name',
    'Node',
    'LockDelay',
    'Behavior',
    'TTL',
    'NodeChecks',
    'ServiceChecks',
    'CreateIndex',
    'ModifyIndex',
  ]);
  assert.equal(session.Name, 'web-lock');
  assert.equal(session.Node, 'test-node');
  assert.equal(session.LockDelay, 5_000_000_000);
  assert.equal(session.Behavior, 'delete');
  assert.equal(session.TTL, '30s');
  assert.deepEqual(session.NodeChecks, ['serfHealth']);

  assert.equal(
    (JSON.parse((await request('GET', '/v1/session/list')).text) as unknown[]).length,
    1,
  );
  assert.equal(
    (JSON.parse((await request('GET', '/v1/session/node/test-node')).text) as unknown[]).length,
    1,
  );
  assert.equal((await request('GET', '/v1/session/node/other')).text, '[]');
  const renew = await request('PUT', `/v1/session/renew/${ID}`);
  assert.equal(renew.status, 200);
  assert.equal((JSON.parse(renew.text) as { ID: string }[])[0].ID, ID);

  assert.equal((await request('PUT', `/v1/session/destroy/${ID}`)).text, 'true');
  assert.equal((await request('PUT', `/v1/session/destroy/${ID}`)).text, 'true');
  assert.equal((await request('GET', `/v1/session/info/${ID}`)).text, '[]');
  const gone = await request('PUT', `/v1/session/renew/${ID}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.text, `Session id '${ID}' not found`);
});

test('session create needs a registered node and registered, non-critical checks (500)', async (t) => {
  // The store with its local agent, as `confd agent` and the daemon run it: node1 is registered
  // with its serfHealth check.
  const { port } = await startServiceApi(t);
  const put = async (path: string, body?: unknown) => {
    const res = await httpRequest(`http://127.0.0.1:${port}${path}`, {
      method: 'PUT',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const create = (body?: unknown) => put('/v1/session/create', body);
  // The defaults (this node, serfHealth) work, with or without a body.
  assert.equal((await create()).status, 200);
  assert.equal((await create({ Node: 'node1', Checks: ['serfHealth'] })).status, 200);

  assert.deepEqual(await create({ Node: 'ghost' }), {
    status: 500,
    text: 'Missing node registration',
  });
  assert.deepEqual(await create({ Checks: ['serfHealth', 'nope'] }), {
    status: 500,
    text: "Missing check 'nope' registration",
  });
  assert.deepEqual(await create({ NodeChecks: [], ServiceChecks: [{ ID: 'service:web' }] }), {
    status: 500,
    text: "Missing check 'service:web' registration",
  });

  // A check counts only on its own node: other-node has disk, but no serfHealth.
  const registered = await put('/v1/catalog/register', {
    Node: 'other-node',
    Address: '10.0.0.9',
    Check: { CheckID: 'disk', Name: 'disk', Status: 'passing' },
  });
  assert.equal(registered.status, 200);
  assert.deepEqual(await create({ Checks: ['disk'] }), {
    status: 500,
    text: "Missing check 'disk' registration",
  });
  assert.deepEqual(await create({ Node: 'other-node' }), {
    status: 500,
    text: "Missing check 'serfHealth' registration",
  });
  assert.equal((await create({ Node: 'other-node', Checks: ['disk'] })).status, 200);

  // A critical check (a new TTL check starts critical) cannot back a session.
  assert.equal((await put('/v1/agent/check/register', { Name: 'ttl', TTL: '1h' })).status, 200);
  assert.deepEqual(await create({ Checks: ['serfHealth', 'ttl'] }), {
    status: 500,
    text: "Check 'ttl' is in critical state",
  });
  assert.equal((await put('/v1/agent/check/pass/ttl')).status, 200);
  assert.equal((await create({ Checks: ['serfHealth', 'ttl'] })).status, 200);
  const list = await httpRequest(`http://127.0.0.1:${port}/v1/session/list`);
  assert.equal(((await list.body.json()) as unknown[]).length, 4, 'only the accepted ones exist');
});

test('session LockDelay numbers are nanoseconds, below 1000 they are seconds', async (t) => {
  const { request } = await startApi(t);
  for (const [given, ns] of [
    [7, 7_000_000_000],
    [2_000_000_000, 2_000_000_000],
    ['15ms', 15_000_000],
  ] as const) {
    const { ID } = JSON.parse(
      (await request('PUT', '/v1/session/create', JSON.stringify({ LockDelay: given }))).text,
    ) as { ID: string };
    const [s] = JSON.parse((await request('GET', `/v1/session/info/${ID}`)).text) as {
      LockDelay: number;
    }[];
    assert.equal(s.LockDelay, ns, `LockDelay ${given}`);
  }
  const bad = await request('PUT', '/v1/session/create', '{"LockDelay":"soon"}');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /^Request decode failed: /);
  const ttl = await request('PUT', '/v1/session/create', '{"TTL":"1s"}');
  assert.equal(ttl.status, 500);
  assert.match(ttl.text, /^Invalid Session TTL '1000000000', must be between \[10s=24h0m0s\]/);
});

test('session LockDelay decodes as Consul: numbers truncated, negatives kept, other types 0', async (t) => {
  const { request } = await startApi(t);
  const lockDelayOf = async (body: string) => {
    const created = await request('PUT', '/v1/session/create', body);
    assert.equal(created.status, 200, `${body}: ${created.text}`);
    const { ID } = JSON.parse(created.text) as { ID: string };
    const [s] = JSON.parse((await request('GET', `/v1/session/info/${ID}`)).text) as {
      LockDelay: number;
    }[];
    return s.LockDelay;
  };
  for (const [body, ns] of [
    ['{"LockDelay":1500000000}', 1_500_000_000],
    ['{"LockDelay":"1.5s"}', 1_500_000_000],
    ['{"LockDelay":1500000000.9}', 1_500_000_000],
    ['{"LockDelay":2.9}', 2_000_000_000], // 2ns, below 1000: seconds
    ['{"LockDelay":"20ns"}', 20_000_000_000], // strings below 1000ns too
    ['{"LockDelay":-5}', -5_000_000_000],
    ['{"LockDelay":0}', 0],
    ['{"LockDelay":true}', 0],
    ['{"LockDelay":{}}', 0],
    ['{"LockDelay":null}', 15_000_000_000],
  ] as const) {
    assert.equal(await lockDelayOf(body), ns, body);
  }
  const bad = await request('PUT', '/v1/session/create', '{"LockDelay":"5x"}');
  assert.equal(bad.status, 400);
  assert.equal(bad.text, 'Request decode failed: time: unknown unit "x" in duration "5x"');
});

test('session TTL is a string only, as Session.TTL in Consul', async (t) => {
  const { request } = await startApi(t);
  const create = async (body: string) => {
    const res = await request('PUT', '/v1/session/create', body);
    return { status: res.status, text: res.text };
  };
  assert.deepEqual(await create('{"TTL":30000000000}'), {
    status: 400,
    text: 'Request decode failed: json: cannot unmarshal number into Go struct field .TTL of type string',
  });
  assert.deepEqual(await create('{"TTL":true}'), {
    status: 400,
    text: 'Request decode failed: json: cannot unmarshal bool into Go struct field .TTL of type string',
  });
  // An unparsable string reaches the server, which refuses it (500), as Consul's Session.Apply.
  assert.deepEqual(await create('{"TTL":"soon"}'), {
    status: 500,
    text: `Session TTL 'soon' invalid: time: invalid duration "soon"`,
  });
  assert.deepEqual(await create('{"TTL":"30"}'), {
    status: 500,
    text: `Session TTL '30' invalid: time: missing unit in duration "30"`,
  });
  const ok = await create('{"TTL":"30s"}');
  assert.equal(ok.status, 200);
  const { ID } = JSON.parse(ok.text) as { ID: string };
  const [s] = JSON.parse((await request('GET', `/v1/session/info/${ID}`)).text) as {
    TTL: string;
  }[];
  assert.equal(s.TTL, '30s');
});

test('acquire and release locks with a session, Session shown only while held', async (t) => {
  const { request } = await startApi(t);
  const { ID } = JSON.parse((await request('PUT', '/v1/session/create')).text) as { ID: string };
  const { ID: other } = JSON.parse((await request('PUT', '/v1/session/create')).text) as {
    ID: string;
  };
  assert.equal((await request('PUT', `/v1/kv/lock?acquire=${ID}`, 'me')).text, 'true');
  const held = await request('GET', '/v1/kv/lock');
  assert.match(held.text, new RegExp(`"Value":"bWU=","Session":"${ID}","CreateIndex"`));
  assert.equal((JSON.parse(held.text) as { LockIndex: number }[])[0].LockIndex, 1);
  assert.equal((await request('PUT', `/v1/kv/lock?acquire=${other}`, 'you')).text, 'false');
  assert.equal((await request('PUT', `/v1/kv/lock?release=${other}`)).text, 'false');
  assert.equal((await request('PUT', `/v1/kv/lock?release=${ID}`)).text, 'true');
  const released = await request('GET', '/v1/kv/lock');
  assert.doesNotMatch(released.text, /Session/);
});

test('session routes answer missing ids and wrong methods', async (t) => {
  const { request } = await startApi(t);
  const missing = await request('PUT', '/v1/session/destroy/');
  assert.equal(missing.status, 400);
  assert.equal(missing.text, 'Missing session');
  const wrong = await request('GET', '/v1/session/create');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'OPTIONS,PUT');
  assert.equal((await request('GET', '/v1/session/destroy')).status, 404);
});
