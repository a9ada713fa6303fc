/**
 * The consul backend's catalog lookups (`service`, `services`, `nodes`) against a real
 * `confd agent`: health filtering, tags, sorting, and blocking watches on health changes.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConsulBackend } from '../../src/backends/consul.js';
import type { Backend } from '../../src/backends/types.js';
import type { ServiceLookupRequest } from '../../src/template/types.js';
import { startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runConfd } from '../daemon/confd-process.js';
import { makeConfdir, toml } from '../daemon/fixtures.js';

async function put(base: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'PUT',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.equal(res.status, 200, `${path}: ${await res.text()}`);
}

/** Lookups is a backend that answers catalog lookups. */
type Lookups = Backend & Required<Pick<Backend, 'getServices' | 'watchServices'>>;

async function agentWithWeb(t: TestContext): Promise<{ url: string; backend: Lookups }> {
  const agent = await startAgent(t, ['-dns-port', '-1']);
  // Registered in reverse ID order so the sorting is visible.
  for (const [id, port, tags] of [
    ['web-2', 8082, ['b']],
    ['web-1', 8081, ['a', 'b']],
  ] as const) {
    await put(agent.url, '/v1/agent/service/register', {
      Name: 'web',
      ID: id,
      Port: port,
      Tags: tags,
      Meta: { slot: id },
      ...(id === 'web-1' ? { Address: '10.0.0.1' } : {}),
      Check: { TTL: '30s' },
    });
    await put(agent.url, `/v1/agent/check/pass/service:${id}`);
  }
  const backend = await createConsulBackend({ node: agent.url, waitMs: 10_000 });
  t.after(() => backend.close());
  assert.equal(typeof backend.getServices, 'function');
  assert.equal(typeof backend.watchServices, 'function');
  return { url: agent.url, backend: backend as Lookups };
}

const web = (passing = true, tag = ''): ServiceLookupRequest => ({
  kind: 'service',
  name: 'web',
  tag,
  passing,
});

const ids = (list: unknown[]) => list.map((i) => (i as { ID: string }).ID);

test('consul getServices: healthy instances, sorted, with the embedded shape', async (t) => {
  const { backend } = await agentWithWeb(t);
  const list = await backend.getServices(web());
  assert.equal(list.length, 2);
  const [first, second] = list as Record<string, unknown>[];
  assert.deepEqual(
    { ...first, Node: undefined },
    {
      Node: undefined,
      Address: '10.0.0.1',
      ID: 'web-1',
      Name: 'web',
      Port: 8081,
      Tags: ['a', 'b'],
      Meta: { slot: 'web-1' },
    },
  );
  assert.equal(second?.ID, 'web-2');
  // No service address: the node's address stands in.
  assert.equal(typeof second?.Address, 'string');
  assert.notEqual(second?.Address, '');
  assert.equal(typeof first?.Node, 'string');
  assert.notEqual(first?.Node, '');

  assert.deepEqual(ids(await backend.getServices(web(true, 'a'))), ['web-1']);
  assert.deepEqual(
    ids(await backend.getServices({ kind: 'service', name: 'nope', tag: '', passing: true })),
    [],
  );

  const services = (await backend.getServices({ kind: 'services' })) as {
    Name: string;
    Tags: string[];
  }[];
  const webEntry = services.find((s) => s.Name === 'web');
  assert.deepEqual(webEntry?.Tags.slice().sort(), ['a', 'b']);
  const nodes = (await backend.getServices({ kind: 'nodes' })) as { Node: string }[];
  assert.ok(nodes.some((n) => n.Node === first?.Node));
});

test('consul getServices: a failing instance drops out unless |any', async (t) => {
  const { url, backend } = await agentWithWeb(t);
  await put(url, '/v1/agent/check/fail/service:web-2');
  assert.deepEqual(ids(await backend.getServices(web())), ['web-1']);
  assert.deepEqual(ids(await backend.getServices(web(false))), ['web-1', 'web-2']);
});

test('consul watchServices parks until a health change and returns a higher index', async (t) => {
  const { url, backend } = await agentWithWeb(t);
  const signal = AbortSignal.timeout(10_000);
  const first = await backend.watchServices(web(), { waitIndex: 0, signal });
  assert.ok(first >= 1);
  let settled = false;
  const parked = backend.watchServices(web(), { waitIndex: first, signal }).finally(() => {
    settled = true;
  });
  // A full round trip to the agent later, the blocking query is still parked.
  assert.deepEqual(ids(await backend.getServices(web())), ['web-1', 'web-2']);
  assert.equal(settled, false);
  await put(url, '/v1/agent/check/fail/service:web-1');
  const next = await parked;
  assert.ok(next > first, `${next} > ${first}`);
  assert.deepEqual(ids(await backend.getServices(web())), ['web-2']);

  // An aborted watch rejects instead of hanging.
  const controller = new AbortController();
  const aborted = backend.watchServices(web(), { waitIndex: next, signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted);
});

test('confd -onetime -backend consul renders the passing instances of a service', async (t) => {
  const { url } = await agentWithWeb(t);
  await put(url, '/v1/agent/check/fail/service:web-2');
  const dir = await tempDir(t);
  const { confdir, out } = await makeConfdir(dir, {
    'up.toml': {
      toml: toml({ src: 'up.tmpl', dest: join(dir, 'out', 'up.conf'), keys: ['/app'] }),
      template: {
        name: 'up.tmpl',
        text:
          '{{range service "web"}}up {{.ID}} {{.Address}}:{{.Port}}\n{{end}}' +
          '{{range service "web|any"}}any {{.ID}}\n{{end}}',
      },
    },
  });
  const node = url.replace(/^http:\/\//, '');
  const r = await runConfd([
    '-onetime',
    '-backend',
    'consul',
    '-node',
    node,
    '-confdir',
    confdir,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await readFile(join(out, 'up.conf'), 'utf8'),
    'up web-1 10.0.0.1:8081\nany web-1\nany web-2\n',
  );
});
