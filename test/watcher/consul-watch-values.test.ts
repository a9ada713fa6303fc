/**
 * The consul backend serves getValues from its latest watch answer while that answer is current
 * (a blocking query parked on it, or just received), so a change costs one round trip to the
 * agent, not two; a failed or aborted watch sends getValues back to the agent. The agent here is a
 * small real HTTP server playing Consul's KV endpoint, so that requests can be counted.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { createConsulBackend } from '../../src/backends/consul.js';
import type { Backend } from '../../src/backends/types.js';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import { listenLoopback } from '../helpers/http-server.js';
import { waitFor } from '../helpers/wait-for.js';

interface FakeConsul {
  node: string;
  /** Request URLs, in arrival order. */
  urls: string[];
  /** The KV content served, Consul key -> value. */
  kv: Map<string, string>;
  index: number;
  /** Blocking queries held open, answered by release(). */
  parked: ServerResponse[];
  /** Answer for the next blocking query instead of parking it (`error` = HTTP 500). */
  next: 'park' | 'error';
  release(): void;
}

function answer(fake: FakeConsul, res: ServerResponse, prefix: string): void {
  const entries = [...fake.kv]
    .filter(([k]) => k.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([Key, v]) => ({ Key, Value: Buffer.from(v).toString('base64') }));
  res.writeHead(entries.length === 0 ? 404 : 200, { 'X-Consul-Index': String(fake.index) });
  res.end(entries.length === 0 ? '' : JSON.stringify(entries));
}

async function fakeConsul(t: TestContext): Promise<FakeConsul> {
  const fake: FakeConsul = {
    node: '',
    urls: [],
    kv: new Map(),
    index: 5,
    parked: [],
    next: 'park',
    release() {
      for (const res of fake.parked.splice(0)) {
        const prefix = decodeURIComponent(new URL(res.req.url ?? '', 'http://x').pathname);
        answer(fake, res, prefix.slice('/v1/kv/'.length));
      }
    },
  };
  const server = createServer((req, res) => {
    fake.urls.push(req.url ?? '');
    const url = new URL(req.url ?? '', 'http://x');
    if (url.searchParams.has('index')) {
      if (fake.next === 'error') {
        res.writeHead(500).end('boom');
        return;
      }
      fake.parked.push(res);
      return;
    }
    answer(fake, res, decodeURIComponent(url.pathname).slice('/v1/kv/'.length));
  });
  fake.node = await listenLoopback(t, server);
  return fake;
}

/** A backend on a clock that moves only when the test says so. */
async function backendFor(
  t: TestContext,
  fake: FakeConsul,
): Promise<{ backend: Backend; clock: { ms: number } }> {
  const clock = { ms: 0 };
  const backend = await createConsulBackend({
    node: fake.node,
    waitMs: 60_000,
    now: () => clock.ms,
  });
  t.after(() => backend.close());
  return { backend, clock };
}

const values = (m: Map<string, string>) => Object.fromEntries([...m].sort());

test('getValues after a watch round reads its answer, not the agent', async (t) => {
  const fake = await fakeConsul(t);
  fake.kv.set('app/db/host', 'h1');
  fake.kv.set('app/db/port', '5432');
  fake.kv.set('app/dbx', 'sibling');
  fake.kv.set('other/key', 'x');
  const { backend, clock } = await backendFor(t, fake);
  const signal = AbortSignal.timeout(10_000);
  const first = await backend.watchPrefix('/app', { keys: [], waitIndex: 0, signal });
  assert.equal(first, 5);
  assert.equal(fake.urls.length, 1);

  // Covered by the watched prefix `app` (plain string prefixes, as Consul's recurse).
  assert.deepEqual(values(await backend.getValues(['/app/db', '/app/db/host'])), {
    '/app/db/host': 'h1',
    '/app/db/port': '5432',
    '/app/dbx': 'sibling',
  });
  assert.equal(fake.urls.length, 1, fake.urls.join('\n'));

  // Not covered: asked of the agent.
  assert.deepEqual(values(await backend.getValues(['/other'])), { '/other/key': 'x' });
  assert.deepEqual(fake.urls.slice(1), ['/v1/kv/other?recurse=']);

  // Half a second later with no blocking query parked on it, the answer may be stale.
  clock.ms += 501;
  fake.kv.set('app/db/host', 'h2');
  assert.equal((await backend.getValues(['/app/db/host'])).get('/app/db/host'), 'h2');
  assert.equal(fake.urls.at(-1), '/v1/kv/app/db/host?recurse=');
});

test('a parked watch keeps its answer current; the next answer replaces it', async (t) => {
  const fake = await fakeConsul(t);
  fake.kv.set('app/value', 'v1');
  const { backend, clock } = await backendFor(t, fake);
  const signal = AbortSignal.timeout(10_000);
  const first = await backend.watchPrefix('/app', { keys: [], waitIndex: 0, signal });
  const parked = backend.watchPrefix('/app', { keys: [], waitIndex: first, signal });
  await waitFor(() => fake.parked.length === 1, { what: 'the blocking query' });
  // However old, an answer with a blocking query parked on its index is current.
  clock.ms += 60_000;
  assert.deepEqual(values(await backend.getValues(['/app/value'])), { '/app/value': 'v1' });

  fake.kv.set('app/value', 'v2');
  fake.index = 9;
  fake.release();
  assert.equal(await parked, 9);
  assert.deepEqual(values(await backend.getValues(['/app/value'])), { '/app/value': 'v2' });
  assert.equal(fake.urls.length, 2, fake.urls.join('\n'));
});

test('after a failed or aborted watch, getValues asks the agent again', async (t) => {
  const fake = await fakeConsul(t);
  fake.kv.set('app/value', 'v1');
  const { backend } = await backendFor(t, fake);
  const first = await backend.watchPrefix('/app', {
    keys: [],
    waitIndex: 0,
    signal: AbortSignal.timeout(10_000),
  });

  fake.next = 'error';
  await assert.rejects(
    backend.watchPrefix('/app', {
      keys: [],
      waitIndex: first,
      signal: AbortSignal.timeout(10_000),
    }),
    (err) => isConfdError(err, ErrorCode.BACKEND_RESPONSE),
  );
  fake.kv.set('app/value', 'v2');
  assert.deepEqual(values(await backend.getValues(['/app/value'])), { '/app/value': 'v2' });
  assert.equal(fake.urls.at(-1), '/v1/kv/app/value?recurse=');

  fake.next = 'park';
  const again = await backend.watchPrefix('/app', {
    keys: [],
    waitIndex: 0,
    signal: AbortSignal.timeout(10_000),
  });
  const controller = new AbortController();
  const parked = backend.watchPrefix('/app', {
    keys: [],
    waitIndex: again,
    signal: controller.signal,
  });
  await waitFor(() => fake.parked.length === 1, { what: 'the blocking query' });
  controller.abort();
  await assert.rejects(parked, (err) => isConfdError(err, ErrorCode.ABORTED));
  fake.kv.set('app/value', 'v3');
  const before = fake.urls.length;
  assert.deepEqual(values(await backend.getValues(['/app/value'])), { '/app/value': 'v3' });
  assert.equal(fake.urls.length, before + 1);
});
