import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { DecodedPacket } from 'dns-packet';
import { Agent, request } from 'undici';
import { silentLogger, type Logger } from '../../src/log.js';
import {
  catalogDnsView,
  httpDnsView,
  RCODE,
  startDnsServer,
  type HttpViewRequest,
} from '../../src/store/dns/index.js';
import { startServiceApi, type ServiceApi } from '../store-catalog/service-api.js';
import { freePort } from '../helpers/free-port.js';
import { needs, tools } from '../helpers/system-tools.js';
import { dig } from './dig.js';
import { query, rcodeOf, type QuestionSpec } from './dns-client.js';

const NOW = 1_700_000_000_000;
const SOA_DATA = {
  mname: 'ns.consul',
  rname: 'hostmaster.consul',
  serial: 1_700_000_000,
  refresh: 3600,
  retry: 600,
  expire: 86400,
  minimum: 0,
};

/** seeded is a deterministic [0,1) generator (mulberry32): both servers shuffle alike. */
function seeded(seed = 7): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** register fills the catalog through PUT /v1/catalog/register, as a Consul client would. */
async function register(api: ServiceApi): Promise<void> {
  const put = async (body: unknown) => {
    const res = await request(`http://127.0.0.1:${api.port}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify(body),
    });
    assert.equal(await res.body.text(), 'true', JSON.stringify(body));
  };
  const serf = { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' };
  const meta = (i: number) =>
    i === 4 ? { rack: 'r4', 'rfc1035-note': 'plain text' } : { rack: `r${i}` };
  const on = (i: number, extra: Record<string, unknown>) =>
    put({ Node: `n${i}`, Address: `10.0.0.${i}`, NodeMeta: meta(i), ...extra });
  for (let i = 1; i <= 5; i++) {
    await on(i, { Check: serf });
    await on(i, { Service: { Service: 'big', Port: 9000 + i } });
  }
  await on(1, { Service: { Service: 'web', Tags: ['rails'], Port: 80 } });
  await on(2, { Service: { Service: 'web', Port: 81, Address: '10.1.202.196' } });
  // web on n3 is critical: never served.
  await on(3, {
    Service: { Service: 'web', Tags: ['rails'], Port: 82 },
    Check: { CheckID: 'service:web', ServiceID: 'web', Status: 'critical' },
  });
  // A node whose node-level check is critical: none of its instances is served.
  await put({
    Node: 'sick',
    Address: '10.0.0.9',
    Service: { Service: 'big', Port: 9009 },
    Check: { ...serf, Status: 'critical' },
  });
  // SRV weights: Weights.Passing for the passing instance, Weights.Warning for the warning one.
  await on(1, {
    Service: { Service: 'weighted', Port: 7001, Weights: { Passing: 10, Warning: 1 } },
  });
  await on(2, {
    Service: { Service: 'weighted', Port: 7002, Weights: { Passing: 10, Warning: 3 } },
    Check: { CheckID: 'w', ServiceID: 'weighted', Status: 'warning' },
  });
  await on(3, {
    Service: { Service: 'warnonly', Port: 7003 },
    Check: { CheckID: 'wo', ServiceID: 'warnonly', Status: 'warning' },
  });
  await on(5, {
    Service: { Service: 'onlycrit', Port: 4 },
    Check: { CheckID: 'oc', ServiceID: 'onlycrit', Status: 'critical' },
  });
  // Names resolved case-insensitively: `api` finds `Api`; `mixed` the first of MIXED/Mixed.
  await on(1, { Service: { Service: 'Api', Port: 8080 } });
  await on(2, { Service: { Service: 'MIXED', Port: 1 } });
  await on(3, { Service: { Service: 'Mixed', Port: 2 } });
  await on(4, { Service: { Service: 'tagged', Tags: ['Blue'], Port: 3 } });
  await put({ Node: 'Mixed-Node', Address: '10.0.0.77', NodeMeta: { Team: 'Ops' } });
  await put({ Node: 'v6', Address: 'fd00::1', Service: { Service: 'six', Port: 443 } });
}

interface Pair {
  /** DNS over catalogDnsView of the store. */
  readonly local: number;
  /** DNS over httpDnsView, reading the same store over real HTTP. */
  readonly remote: number;
  /** The paths the remote view requested. */
  readonly paths: string[];
}

/** httpRequest is an HttpViewRequest over real HTTP to 127.0.0.1:`port`. */
function httpRequest(t: TestContext, port: number, paths: string[] = []): HttpViewRequest {
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  t.after(() => dispatcher.close());
  return async (path, signal) => {
    paths.push(path);
    const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher, signal });
    return { status: res.statusCode, body: await res.body.text() };
  };
}

async function pair(t: TestContext, onlyPassing = false): Promise<Pair> {
  const api = await startServiceApi(t);
  await register(api);
  const paths: string[] = [];
  const common = { logger: silentLogger, port: 0, now: () => NOW };
  const local = await startDnsServer({
    ...common,
    random: seeded(),
    view: catalogDnsView({
      catalog: () => api.store.catalogState(),
      datacenter: 'dc1',
      onlyPassing,
    }),
  });
  t.after(() => local.close());
  const remote = await startDnsServer({
    ...common,
    random: seeded(),
    view: httpDnsView({ datacenter: 'dc1', onlyPassing, request: httpRequest(t, api.port, paths) }),
  });
  t.after(() => remote.close());
  return { local: local.port, remote: remote.port, paths };
}

/** same asks both servers the same question (same transport, same ID) and compares the packets. */
async function same(p: Pair, q: QuestionSpec, tcp = false): Promise<DecodedPacket> {
  const local = await query(p.local, q, { tcp });
  const remote = await query(p.remote, q, { tcp });
  assert.deepEqual(remote, local, `${q.name} ${q.type}${tcp ? ' over TCP' : ''}`);
  return local;
}

const data = (packet: DecodedPacket, section: 'answers' | 'additionals' = 'answers') =>
  (packet[section] ?? []).map((a) => ('data' in a ? a.data : undefined));

test('httpDnsView over real HTTP answers exactly as catalogDnsView of the same store', async (t) => {
  const p = await pair(t);

  // SRV: healthy instances only, node or addr targets, A records in ADDITIONAL.
  const srv = await same(p, { name: 'web.service.consul', type: 'SRV' });
  assert.equal(rcodeOf(srv), RCODE.NOERROR);
  assert.ok(srv.flag_aa);
  assert.deepEqual(
    data(srv)
      .map((d) => JSON.stringify(d))
      .sort(),
    [
      { priority: 1, weight: 1, port: 80, target: 'n1.node.dc1.consul' },
      { priority: 1, weight: 1, port: 81, target: '0a01cac4.addr.dc1.consul' },
    ]
      .map((d) => JSON.stringify(d))
      .sort(),
  );
  assert.deepEqual(data(srv, 'additionals').sort(), ['10.0.0.1', '10.1.202.196']);
  // Several askings: the shuffles (same seeded random on both sides) agree every time.
  for (let i = 0; i < 4; i++) await same(p, { name: 'web.service.consul', type: 'SRV' });

  // A, tags (case-insensitive), datacenter suffix, RFC 2782 names.
  assert.deepEqual(data(await same(p, { name: 'web.service.consul', type: 'A' })).sort(), [
    '10.0.0.1',
    '10.1.202.196',
  ]);
  // The critical rails instance on n3 is dropped.
  assert.deepEqual(data(await same(p, { name: 'rails.web.service.consul', type: 'SRV' })), [
    { priority: 1, weight: 1, port: 80, target: 'n1.node.dc1.consul' },
  ]);
  assert.deepEqual(data(await same(p, { name: 'RAILS.Web.service.dc1.consul', type: 'A' })), [
    '10.0.0.1',
  ]);
  assert.deepEqual(data(await same(p, { name: 'blue.tagged.service.consul', type: 'A' })), [
    '10.0.0.4',
  ]);
  assert.equal(data(await same(p, { name: '_web._rails.service.consul', type: 'SRV' })).length, 1);
  assert.equal(data(await same(p, { name: '_web._tcp.service.consul', type: 'SRV' })).length, 2);
  assert.equal(data(await same(p, { name: '_web._tcp.dc1.consul', type: 'SRV' })).length, 2);

  // Weights.Passing / Weights.Warning by the instance's health.
  const weighted = await same(p, { name: 'weighted.service.consul', type: 'SRV' });
  assert.deepEqual(
    data(weighted)
      .map((d) => (d as { weight: number }).weight)
      .sort((a, b) => a - b),
    [3, 10],
  );
  assert.equal(data(await same(p, { name: 'warnonly.service.consul', type: 'A' })).length, 1);

  // Case-insensitive service names (the label is `api`, the service `Api`).
  assert.deepEqual(data(await same(p, { name: 'api.service.consul', type: 'SRV' })), [
    { priority: 1, weight: 1, port: 8080, target: 'n1.node.dc1.consul' },
  ]);
  // Both MIXED and Mixed match: the first in name order (upper case sorts first) is served.
  assert.deepEqual(data(await same(p, { name: 'mixed.service.consul', type: 'SRV' })), [
    { priority: 1, weight: 1, port: 1, target: 'n2.node.dc1.consul' },
  ]);

  // UDP cut to 3 without TC; TCP complete; the instance on the critical node is left out.
  const udp = await same(p, { name: 'big.service.consul', type: 'SRV' });
  assert.equal(udp.answers?.length, 3);
  assert.equal(udp.flag_tc, false);
  const tcp = await same(p, { name: 'big.service.consul', type: 'SRV' }, true);
  assert.deepEqual(
    data(tcp)
      .map((d) => (d as { port: number }).port)
      .sort(),
    [9001, 9002, 9003, 9004, 9005],
  );

  // Nodes: A, case-insensitive names, TXT from node meta, ANY; IPv6.
  assert.deepEqual(data(await same(p, { name: 'n4.node.consul', type: 'A' })), ['10.0.0.4']);
  assert.deepEqual(data(await same(p, { name: 'N4.node.dc1.consul', type: 'A' })), ['10.0.0.4']);
  assert.deepEqual(data(await same(p, { name: 'n4.node.consul', type: 'TXT' })), [
    [Buffer.from('rack=r4')],
    [Buffer.from('plain text')],
  ]);
  assert.equal(data(await same(p, { name: 'n4.node.consul', type: 'ANY' })).length, 3);
  assert.deepEqual(data(await same(p, { name: 'mixed-node.node.consul', type: 'A' })), [
    '10.0.0.77',
  ]);
  assert.deepEqual(data(await same(p, { name: 'mixed-node.node.consul', type: 'TXT' })), [
    [Buffer.from('Team=Ops')],
  ]);
  assert.deepEqual(data(await same(p, { name: 'six.service.consul', type: 'AAAA' })), ['fd00::1']);
  assert.deepEqual(data(await same(p, { name: 'six.service.consul', type: 'SRV' }, true)), [
    { priority: 1, weight: 1, port: 443, target: 'v6.node.dc1.consul' },
  ]);
  assert.deepEqual(data(await same(p, { name: '0a01cac4.addr.dc1.consul', type: 'A' })), [
    '10.1.202.196',
  ]);

  // NXDOMAIN (and empty answers) carry the SOA in AUTHORITY.
  for (const name of [
    'nope.service.consul',
    'web.service.dc2.consul',
    'ghost.node.consul',
    'a.b.c.service.consul',
    'onlycrit.service.consul',
    'nope.web.service.consul',
  ]) {
    const nx = await same(p, { name, type: 'A' });
    assert.equal(rcodeOf(nx), RCODE.NXDOMAIN, name);
    assert.deepEqual(nx.authorities, [
      { name: 'consul', type: 'SOA', ttl: 0, class: 'IN', flush: false, data: SOA_DATA },
    ]);
  }
  const empty = await same(p, { name: 'web.service.consul', type: 'AAAA' });
  assert.equal(rcodeOf(empty), RCODE.NOERROR);
  assert.equal(empty.answers?.length, 0);
  assert.equal(empty.authorities?.length, 1);
  assert.equal(rcodeOf(await same(p, { name: 'example.com', type: 'A' })), RCODE.REFUSED);
  assert.equal(data(await same(p, { name: 'consul', type: 'SOA' })).length, 1);

  // Every read was a stale read of the Consul HTTP API.
  assert.ok(p.paths.length > 0);
  for (const path of p.paths) assert.match(path, /\?stale$/, path);
  const routes = new Set(p.paths.map((path) => path.split('/').slice(0, 4).join('/')));
  assert.deepEqual([...routes].sort(), [
    '/v1/catalog/node',
    '/v1/catalog/nodes?stale',
    '/v1/catalog/services?stale',
    '/v1/health/service',
  ]);
});

test('httpDnsView with onlyPassing leaves out warning instances like catalogDnsView', async (t) => {
  const p = await pair(t, true);
  const weighted = await same(p, { name: 'weighted.service.consul', type: 'SRV' });
  assert.deepEqual(data(weighted), [
    { priority: 1, weight: 10, port: 7001, target: 'n1.node.dc1.consul' },
  ]);
  assert.equal(
    rcodeOf(await same(p, { name: 'warnonly.service.consul', type: 'A' })),
    RCODE.NXDOMAIN,
  );
  assert.equal(data(await same(p, { name: 'web.service.consul', type: 'SRV' }, true)).length, 2);
});

test(
  'dig gets the same answers from DNS over httpDnsView as over catalogDnsView',
  { skip: needs(tools.dig) },
  async (t) => {
    const p = await pair(t);
    for (const args of [
      ['web.service.consul', 'SRV'],
      ['rails.web.service.consul', 'A'],
      ['_web._tcp.service.consul', 'SRV'],
      ['big.service.consul', 'SRV'],
      ['+tcp', 'big.service.consul', 'SRV'],
      ['n4.node.consul', 'TXT'],
      ['mixed-node.node.consul'],
      ['nope.service.consul'],
    ]) {
      const flags = ['+noall', '+comments', '+answer', '+authority', '+additional'];
      // The header line carries dig's random query ID: compare everything else.
      const strip = (out: string) => out.replace(/id: \d+/, 'id: -');
      const local = strip(await dig(p.local, ...flags, ...args));
      const remote = strip(await dig(p.remote, ...flags, ...args));
      assert.equal(remote, local, args.join(' '));
      assert.match(local, /status: (NOERROR|NXDOMAIN)/);
    }
    const out = await dig(p.remote, '+short', 'rails.web.service.consul', 'SRV');
    assert.equal(out.trim(), '1 1 80 n1.node.dc1.consul.');
  },
);

/** capture is a Logger that keeps the error lines. */
function capture(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  return { logger: { ...silentLogger, error: (msg: string) => errors.push(msg) }, errors };
}

test('an unreachable server answers SERVFAIL and is logged; the DNS server keeps serving', async (t) => {
  const closedPort = await freePort();
  const { logger, errors } = capture();
  const dns = await startDnsServer({
    view: httpDnsView({ datacenter: 'dc1', request: httpRequest(t, closedPort) }),
    logger,
    port: 0,
  });
  t.after(() => dns.close());
  for (const q of [
    { name: 'web.service.consul', type: 'SRV' },
    { name: 'n1.node.consul', type: 'A' },
  ] as const) {
    for (const tcp of [false, true]) {
      const reply = await query(dns.port, q, { tcp });
      assert.equal(rcodeOf(reply), RCODE.SERVFAIL, `${q.name} tcp=${tcp}`);
      assert.deepEqual(reply.questions, [{ name: q.name, type: q.type, class: 'IN' }]);
    }
  }
  // One line per failed query (other error lines, e.g. of a socket, are not what this checks).
  const failed = errors.filter((e) => e.startsWith('dns: failed to answer query'));
  assert.equal(failed.length, 4, errors.join('\n'));
  assert.match(failed[0], /^dns: failed to answer query web\.service\.consul SRV: /);
  // Names that need no lookup are still answered.
  assert.equal(rcodeOf(await query(dns.port, { name: 'example.com', type: 'A' })), RCODE.REFUSED);
  const addr = await query(dns.port, { name: '0a000001.addr.dc1.consul', type: 'A' });
  assert.deepEqual(data(addr), ['10.0.0.1']);
});

test('httpDnsView rejects on HTTP errors, bad JSON and its own timeout', async () => {
  const view = (request: HttpViewRequest, timeoutMs?: number) =>
    httpDnsView({ datacenter: 'dc1', request, timeoutMs });
  const answer = (status: number, body: string): HttpViewRequest => {
    return () => Promise.resolve({ status, body });
  };
  await assert.rejects(
    view(answer(500, 'No cluster leader')).serviceInstances('web', undefined),
    /GET \/v1\/health\/service\/web\?stale: HTTP 500: No cluster leader/,
  );
  await assert.rejects(
    view(answer(200, '{"Node":')).node('n1'),
    /GET \/v1\/catalog\/node\/n1\?stale: unexpected answer: invalid JSON/,
  );
  await assert.rejects(
    view(answer(200, '{}')).serviceInstances('web', undefined),
    /not a list of entries/,
  );
  // A request that honours its signal is aborted after timeoutMs.
  const hanging: HttpViewRequest = (_path, signal) =>
    new Promise<never>((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  // (AbortSignal.timeout does not hold the event loop: a plain timer does meanwhile.)
  const hold = setTimeout(() => {}, 5000);
  try {
    await assert.rejects(view(hanging, 50).node('n1'), { name: 'TimeoutError' });
  } finally {
    clearTimeout(hold);
  }
  // Labels are escaped into the path.
  const seen: string[] = [];
  await view((path) => {
    seen.push(path);
    return Promise.resolve({
      status: 200,
      body: path.startsWith('/v1/catalog/nodes') ? '[]' : 'null',
    });
  }).node('a/b?c');
  assert.deepEqual(seen, ['/v1/catalog/node/a%2Fb%3Fc?stale', '/v1/catalog/nodes?stale']);
});
