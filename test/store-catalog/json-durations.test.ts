/**
 * Durations in request bodies, through the HTTP API: Consul's decoders take a Go duration string
 * or a JSON number of nanoseconds, print them back as Go durations, and answer bad values with
 * Consul's texts.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { waitFor } from '../helpers/wait-for.js';
import { startServiceApi } from './service-api.js';

type Json = Record<string, unknown>;

const INTERVAL_REQUIRED =
  'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks';
const TTL_REQUIRED = 'Invalid check: TTL must be > 0 for TTL checks';
// Nothing listens there: the HTTP checks below are only looked at, their probes fail.
const DEAD_URL = 'http://127.0.0.1:1/health';

async function api(t: TestContext) {
  const { port } = await startServiceApi(t);
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const put = (path: string, body: unknown) => send('PUT', path, body);
  const getJson = async <T = Json>(path: string): Promise<T> => {
    const res = await send('GET', path);
    assert.equal(res.status, 200, res.text);
    return JSON.parse(res.text) as T;
  };
  const agentChecks = () => getJson<Record<string, Json>>('/v1/agent/checks');
  return { put, getJson, agentChecks };
}

test('agent check register: a number of nanoseconds works like the duration string', async (t) => {
  const { put, agentChecks } = await api(t);
  const ok = async (body: Json) =>
    assert.deepEqual(await put('/v1/agent/check/register', body), {
      status: 200,
      text: '',
    });
  await ok({
    Name: 'strings',
    HTTP: DEAD_URL,
    Interval: '10s',
    Timeout: '1500ms',
    DeregisterCriticalServiceAfter: '90s',
  });
  await ok({
    Name: 'numbers',
    HTTP: DEAD_URL,
    Interval: 10e9,
    Timeout: 1.5e9,
    DeregisterCriticalServiceAfter: 90e9,
  });
  await ok({
    name: 'snake',
    http: DEAD_URL,
    interval: 10e9,
    timeout: 1.5e9,
    deregister_critical_service_after: 90e9,
  });
  const checks = await agentChecks();
  // Shown back as Go prints a time.Duration, whichever way it was given.
  const want = {
    HTTP: DEAD_URL,
    Interval: '10s',
    Timeout: '1.5s',
    DeregisterCriticalServiceAfter: '1m30s',
  };
  for (const id of ['strings', 'numbers', 'snake']) assert.deepEqual(checks[id].Definition, want);
  assert.equal(checks.numbers.Type, 'http');

  // Go's time.Duration(float64): a fraction of a nanosecond is cut off; a negative timeout is
  // kept (and, as in Consul, not used: the default applies).
  await ok({ Name: 'odd', HTTP: DEAD_URL, Interval: 10e9 + 0.75, Timeout: -1e9 });
  assert.deepEqual((await agentChecks()).odd.Definition, {
    HTTP: DEAD_URL,
    Interval: '10s',
    Timeout: '-1s',
  });
});

test('agent check register: a TTL given in nanoseconds expires like the string', async (t) => {
  const { put, agentChecks } = await api(t);
  assert.equal((await put('/v1/agent/check/register', { Name: 'beat', TTL: 300e6 })).status, 200);
  assert.equal((await agentChecks()).beat.Type, 'ttl');
  assert.equal((await put('/v1/agent/check/pass/beat', undefined)).status, 200);
  assert.equal((await agentChecks()).beat.Status, 'passing');
  await waitFor(async () => (await agentChecks()).beat.Status === 'critical', {
    what: 'TTL expiry',
  });
  assert.equal((await agentChecks()).beat.Output, 'TTL expired');
});

test("agent check register: bad durations get Consul's 400 answers", async (t) => {
  const { put, agentChecks } = await api(t);
  const cases: [Json, string][] = [
    // Not above 0, or of another type (Consul's decoder ignores it): no interval.
    [{ Interval: 0 }, INTERVAL_REQUIRED],
    [{ Interval: -10e9 }, INTERVAL_REQUIRED],
    [{ Interval: 0.5 }, INTERVAL_REQUIRED],
    [{ Interval: true }, INTERVAL_REQUIRED],
    [{ Interval: ['10s'] }, INTERVAL_REQUIRED],
    [{ Interval: '10x' }, 'Request decode failed: time: unknown unit "x" in duration "10x"'],
    [{ Interval: '10' }, 'Request decode failed: time: missing unit in duration "10"'],
    [{ Interval: '10s', Timeout: 'soon' }, 'Request decode failed: time: invalid duration "soon"'],
  ];
  for (const [durations, text] of cases) {
    const body = { Name: 'bad', HTTP: DEAD_URL, ...durations };
    assert.deepEqual(
      await put('/v1/agent/check/register', body),
      { status: 400, text },
      JSON.stringify(durations),
    );
  }
  for (const ttl of [0, -5e9, false, '0s', '-5s']) {
    assert.deepEqual(
      await put('/v1/agent/check/register', { Name: 'bad', TTL: ttl }),
      { status: 400, text: TTL_REQUIRED },
      JSON.stringify(ttl),
    );
  }
  assert.deepEqual(Object.keys(await agentChecks()), []);
});

test('agent service register: embedded Check/Checks take numbers like strings', async (t) => {
  const { put, agentChecks, getJson } = await api(t);
  for (const [id, ttl, interval, timeout] of [
    ['web-1', 30e9, 5e9, 2e9],
    ['web-2', '30s', '5s', '2000ms'],
  ] as const) {
    const res = await put('/v1/agent/service/register', {
      Name: 'web',
      ID: id,
      Port: 80,
      Check: { TTL: ttl },
      Checks: [{ HTTP: DEAD_URL, Interval: interval, Timeout: timeout }],
    });
    assert.deepEqual(res, { status: 200, text: '' }, id);
  }
  const checks = await agentChecks();
  for (const id of ['web-1', 'web-2']) {
    assert.equal(checks[`service:${id}:1`].Type, 'ttl');
    assert.deepEqual(checks[`service:${id}:2`].Definition, {
      HTTP: DEAD_URL,
      Interval: '5s',
      Timeout: '2s',
    });
  }
  assert.equal((await put('/v1/agent/check/pass/service:web-1:1', undefined)).status, 200);
  assert.equal((await agentChecks())['service:web-1:1'].Status, 'passing');

  const bad = await put('/v1/agent/service/register', {
    Name: 'bad',
    Checks: [{ HTTP: DEAD_URL, Interval: -1 }],
  });
  assert.deepEqual(bad, { status: 400, text: INTERVAL_REQUIRED });
  const badTtl = await put('/v1/agent/service/register', { Name: 'bad', Check: { TTL: -1 } });
  assert.deepEqual(badTtl, { status: 400, text: TTL_REQUIRED });
  const badText = await put('/v1/agent/service/register', {
    Name: 'bad',
    Check: { TTL: '30 s' },
  });
  assert.deepEqual(badText, {
    status: 400,
    text: 'Request decode failed: time: unknown unit " s" in duration "30 s"',
  });
  const services = await getJson('/v1/agent/services');
  assert.deepEqual(Object.keys(services).sort(), ['web-1', 'web-2']);
});

test("catalog register: Definition durations take numbers; the check's own Interval is a string", async (t) => {
  const { put, getJson } = await api(t);
  for (const [node, interval, timeout, dcsa] of [
    ['n-numbers', 5e9, 1e9, 60e9],
    ['n-strings', '5s', '1000ms', '1m'],
  ] as const) {
    const res = await put('/v1/catalog/register', {
      Node: node,
      Address: '10.0.0.1',
      Check: {
        CheckID: 'tcp',
        Name: 'tcp',
        Definition: {
          TCP: '10.0.0.1:80',
          Interval: interval,
          Timeout: timeout,
          DeregisterCriticalServiceAfter: dcsa,
        },
      },
    });
    assert.deepEqual(res, { status: 200, text: 'true' }, node);
    const [check] = await getJson<Json[]>(`/v1/health/node/${node}`);
    assert.deepEqual(
      check.Definition,
      { TCP: '10.0.0.1:80', Interval: '5s', Timeout: '1s', DeregisterCriticalServiceAfter: '1m0s' },
      node,
    );
  }

  const register = (check: Json, many = false) =>
    put('/v1/catalog/register', {
      Node: 'bad',
      Address: '10.0.0.2',
      ...(many ? { Checks: [check] } : { Check: check }),
    });
  assert.deepEqual(
    await register({ CheckID: 'c', Definition: { TCP: '10.0.0.2:80', Interval: '5 s' } }),
    { status: 400, text: 'Request decode failed: time: unknown unit " s" in duration "5 s"' },
  );
  // HealthCheck.Interval and .Timeout are plain strings in Consul: a number does not decode.
  assert.deepEqual(await register({ CheckID: 'c', Interval: 5e9 }), {
    status: 400,
    text: 'Request decode failed: json: cannot unmarshal number into Go struct field HealthCheck.Check.Interval of type string',
  });
  assert.deepEqual(await register({ CheckID: 'c', Timeout: true }, true), {
    status: 400,
    text: 'Request decode failed: json: cannot unmarshal bool into Go struct field HealthCheck.Checks.Timeout of type string',
  });
  assert.equal((await getJson<unknown>('/v1/catalog/node/bad')) ?? null, null);
});
