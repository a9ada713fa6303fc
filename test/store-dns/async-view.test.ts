import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import dnsPacket from 'dns-packet';
import { silentLogger, type Logger } from '../../src/log.js';
import { CatalogState, parseCatalogRegister } from '../../src/store/catalog/index.js';
import {
  answerQuery,
  catalogDnsView,
  isPromiseLike,
  RCODE,
  startDnsServer,
  type DnsCatalogView,
  type DnsInstance,
} from '../../src/store/dns/index.js';
import { encodeQuery, query, rcodeOf, tcpQueries, type QuestionSpec } from './dns-client.js';

function catalog(): CatalogState {
  const state = new CatalogState();
  let index = 0;
  for (let i = 1; i <= 4; i++) {
    const parsed = parseCatalogRegister(
      {
        Node: `n${i}`,
        Address: `10.0.0.${i}`,
        NodeMeta: { rack: `r${i}` },
        Service: { Service: 'web', Tags: i % 2 ? ['odd'] : [], Port: 80 + i },
      },
      'dc1',
    );
    assert.ok(parsed.ok);
    assert.ok(state.apply(++index, parsed.value).outcome.ok);
  }
  return state;
}

const instance: DnsInstance = {
  node: 'n1',
  nodeAddress: '10.0.0.1',
  serviceAddress: '',
  port: 80,
  weight: 1,
};

/**
 * faulty answers `ok` at once, `later` after 50 ms, and fails the others: `boom` rejects, `hang`
 * never settles, `throw` throws synchronously; `hang.node` never settles either.
 */
const faulty: DnsCatalogView = {
  datacenter: 'dc1',
  serviceInstances(service: string) {
    switch (service) {
      case 'ok':
        return [instance];
      case 'later':
        return new Promise<DnsInstance[]>((resolve) => setTimeout(() => resolve([instance]), 50));
      case 'boom':
        return Promise.reject(new Error('backend down'));
      case 'hang':
        return new Promise<never>(() => {});
      case 'throw':
        throw new Error('view bug');
      default:
        return Promise.resolve(undefined);
    }
  },
  node(name: string) {
    if (name === 'hang') return new Promise<never>(() => {});
    return Promise.resolve({ node: name, address: '10.0.0.9', meta: {} });
  },
};

function capture(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  return { logger: { ...silentLogger, error: (msg: string) => errors.push(msg) }, errors };
}

async function server(t: TestContext, view: DnsCatalogView, logger: Logger = silentLogger) {
  const dns = await startDnsServer({ view, logger, port: 0, lookupTimeoutMs: 300 });
  t.after(() => dns.close());
  return dns;
}

const q = (name: string, type: QuestionSpec['type'] = 'A'): QuestionSpec => ({ name, type });

test('a rejected, throwing or timed-out lookup is answered SERVFAIL and logged', async (t) => {
  const { logger, errors } = capture();
  const dns = await server(t, faulty, logger);
  for (const tcp of [false, true]) {
    for (const name of ['boom.service.consul', 'throw.service.consul', 'hang.node.consul']) {
      const started = performance.now();
      const reply = await query(dns.port, q(name), { tcp });
      assert.equal(rcodeOf(reply), RCODE.SERVFAIL, `${name} tcp=${tcp}`);
      assert.deepEqual(reply.questions, [{ name, type: 'A', class: 'IN' }]);
      if (name.startsWith('hang')) assert.ok(performance.now() - started >= 250);
    }
  }
  const once = [
    'dns: failed to answer query boom.service.consul A: backend down',
    'dns: failed to answer query throw.service.consul A: view bug',
    'dns: failed to answer query hang.node.consul A: catalog lookup timed out',
  ];
  // Once over UDP, once over TCP.
  assert.deepEqual(
    errors.map((e) => e.replace(/ after \d+ ms$/, '')),
    [...once, ...once],
  );
  // The server keeps serving, asynchronous lookups included.
  assert.equal(rcodeOf(await query(dns.port, q('ok.service.consul'))), RCODE.NOERROR);
  const later = await query(dns.port, q('later.service.consul', 'SRV'), { tcp: true });
  const first = later.answers?.[0];
  assert.deepEqual(first && 'data' in first ? first.data : undefined, {
    priority: 1,
    weight: 1,
    port: 80,
    target: 'n1.node.dc1.consul',
  });
  assert.equal(rcodeOf(await query(dns.port, q('nope.service.consul'))), RCODE.NXDOMAIN);
});

test('a pending lookup does not hold other queries back on UDP', async (t) => {
  const dns = await server(t, faulty);
  const hung = query(dns.port, q('hang.service.consul'), { id: 1 });
  const started = performance.now();
  const ok = await query(dns.port, q('ok.service.consul'), { id: 2 });
  assert.equal(rcodeOf(ok), RCODE.NOERROR);
  assert.ok(performance.now() - started < 250, 'answered while the other lookup hangs');
  assert.equal(rcodeOf(await hung), RCODE.SERVFAIL);
});

test('pipelined TCP queries are answered in query order, sync behind async', async (t) => {
  const dns = await server(t, faulty);
  const replies = await tcpQueries(dns.port, [
    encodeQuery(q('later.service.consul'), 1),
    encodeQuery(q('ok.service.consul'), 2),
    encodeQuery(q('hang.service.consul'), 3),
    encodeQuery(q('example.com'), 4),
    encodeQuery(q('ok.service.consul'), 5),
  ]);
  assert.deepEqual(
    replies.map((r) => [r.id, rcodeOf(r)]),
    [
      [1, RCODE.NOERROR],
      [2, RCODE.NOERROR],
      [3, RCODE.SERVFAIL],
      [4, RCODE.REFUSED],
      [5, RCODE.NOERROR],
    ],
  );
  // The connection is usable again once the queue drained.
  const again = await tcpQueries(dns.port, [encodeQuery(q('ok.service.consul'), 6)]);
  assert.equal(again[0].id, 6);
});

test('an asynchronous view gets the same packets as the synchronous one', async () => {
  const state = catalog();
  const sync = catalogDnsView({ catalog: () => state, datacenter: 'dc1' });
  const async: DnsCatalogView = {
    datacenter: 'dc1',
    serviceInstances: (service, tag) => Promise.resolve(sync.serviceInstances(service, tag)),
    node: (name) => Promise.resolve(sync.node(name)),
  };
  const random = () => {
    let n = 0;
    return () => (n++ * 0.37) % 1;
  };
  const base = { domain: 'consul', udpAnswerLimit: 3, enableTruncate: false, now: () => 1e12 };
  const syncOptions = { ...base, view: sync, random: random() };
  const asyncOptions = { ...base, view: async, random: random() };
  for (const [name, type] of [
    ['web.service.consul', 'SRV'],
    ['odd.web.service.consul', 'A'],
    ['_web._tcp.service.consul', 'SRV'],
    ['n2.node.consul', 'TXT'],
    ['N3.node.consul', 'ANY'],
    ['nope.service.consul', 'A'],
    ['ghost.node.consul', 'A'],
  ] as const) {
    for (const udp of [true, false]) {
      const packet = dnsPacket.decode(encodeQuery({ name, type }, 9));
      const expected = answerQuery(packet, { ...syncOptions, udp });
      assert.ok(!isPromiseLike(expected), 'the in-process view answers synchronously');
      const pending = answerQuery(packet, { ...asyncOptions, udp });
      assert.ok(isPromiseLike(pending));
      assert.deepEqual(await pending, expected, `${name} ${type} udp=${udp}`);
    }
  }
});
