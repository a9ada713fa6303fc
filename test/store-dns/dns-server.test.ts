import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { CatalogState, parseCatalogRegister } from '../../src/store/catalog/index.js';
import { catalogDnsView, startDnsServer } from '../../src/store/dns/index.js';
import { needs, tools } from '../helpers/system-tools.js';
import { dig } from './dig.js';

function catalog(): CatalogState {
  const state = new CatalogState();
  let index = 0;
  const reg = (body: unknown) => {
    const parsed = parseCatalogRegister(body, 'dc1');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    const { outcome } = state.apply(++index, parsed.value);
    assert.ok(outcome.ok);
  };
  for (let i = 1; i <= 5; i++) {
    reg({
      Node: `n${i}`,
      Address: `10.0.0.${i}`,
      NodeMeta: { rack: `r${i}` },
      Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
    });
    reg({
      Node: `n${i}`,
      Address: `10.0.0.${i}`,
      NodeMeta: { rack: `r${i}` },
      Service: { Service: 'big', Port: 9000 + i },
    });
  }
  reg({
    Node: 'n1',
    Address: '10.0.0.1',
    NodeMeta: { rack: 'r1' },
    Service: { Service: 'web', Tags: ['rails'], Port: 80 },
  });
  reg({
    Node: 'n2',
    Address: '10.0.0.2',
    NodeMeta: { rack: 'r2' },
    Service: { Service: 'web', Port: 81, Address: '10.1.202.196' },
  });
  // web on n3 is critical: never served.
  reg({
    Node: 'n3',
    Address: '10.0.0.3',
    NodeMeta: { rack: 'r3' },
    Service: { Service: 'web', Tags: ['rails'], Port: 82 },
    Check: { CheckID: 'service:web', ServiceID: 'web', Status: 'critical' },
  });
  return state;
}

async function server(t: TestContext, state = catalog()) {
  const dns = await startDnsServer({
    view: catalogDnsView({ catalog: () => state, datacenter: 'dc1' }),
    logger: silentLogger,
    port: 0,
    now: () => 1_700_000_000_000,
  });
  t.after(() => dns.close());
  return dns;
}

function records(out: string, section: string): string[] {
  const start = out.indexOf(`;; ${section} SECTION:`);
  if (start < 0) return [];
  const lines = out.slice(start).split('\n').slice(1);
  const end = lines.findIndex((l) => l.trim() === '');
  return lines.slice(0, end).map((l) => l.split(/\s+/).join(' '));
}

test(
  'dig SRV lists only healthy instances with node or addr targets and A in ADDITIONAL',
  { skip: needs(tools.dig) },
  async (t) => {
    const dns = await server(t);
    const out = await dig(dns.port, 'web.service.consul', 'SRV');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /flags: qr aa/);
    assert.deepEqual(records(out, 'ANSWER').sort(), [
      'web.service.consul. 0 IN SRV 1 1 80 n1.node.dc1.consul.',
      'web.service.consul. 0 IN SRV 1 1 81 0a01cac4.addr.dc1.consul.',
    ]);
    assert.deepEqual(
      records(out, 'ADDITIONAL')
        .filter((r) => !r.includes('OPT'))
        .sort(),
      ['0a01cac4.addr.dc1.consul. 0 IN A 10.1.202.196', 'n1.node.dc1.consul. 0 IN A 10.0.0.1'],
    );
  },
);

test(
  'dig A answers for <tag>.<service>, RFC 2782 names, nodes and datacenter suffixes',
  { skip: needs(tools.dig) },
  async (t) => {
    const dns = await server(t);
    assert.equal(
      (await dig(dns.port, '+short', 'rails.web.service.consul', 'A')).trim(),
      '10.0.0.1',
    );
    assert.equal(
      (await dig(dns.port, '+short', 'web.service.dc1.consul')).trim().split('\n').sort().join(','),
      '10.0.0.1,10.1.202.196',
    );
    assert.equal(
      (await dig(dns.port, '+short', '_web._rails.service.consul', 'SRV')).trim(),
      '1 1 80 n1.node.dc1.consul.',
    );
    const tcpAll = await dig(dns.port, '+short', '_web._tcp.service.consul', 'SRV');
    assert.equal(tcpAll.trim().split('\n').length, 2);
    assert.equal((await dig(dns.port, '+short', 'n4.node.consul')).trim(), '10.0.0.4');
    assert.equal((await dig(dns.port, '+short', 'N4.node.dc1.consul')).trim(), '10.0.0.4');
    assert.equal((await dig(dns.port, '+short', 'n4.node.consul', 'TXT')).trim(), '"rack=r4"');
    assert.equal(
      (await dig(dns.port, '+short', '0a01cac4.addr.dc1.consul')).trim(),
      '10.1.202.196',
    );
  },
);

test(
  'unknown names answer NXDOMAIN with Consul SOA in AUTHORITY',
  { skip: needs(tools.dig) },
  async (t) => {
    const dns = await server(t);
    for (const name of [
      'nope.service.consul',
      'web.service.dc2.consul',
      'ghost.node.consul',
      'a.b.c.service.consul',
    ]) {
      const out = await dig(dns.port, name);
      assert.match(out, /status: NXDOMAIN/, name);
      assert.deepEqual(records(out, 'AUTHORITY'), [
        'consul. 0 IN SOA ns.consul. hostmaster.consul. 1700000000 3600 600 86400 0',
      ]);
    }
    // A critical-only tag set has no instances: NXDOMAIN as well.
    assert.match(await dig(dns.port, 'rails.web.service.consul', 'SRV'), /ANSWER: 1,/);
    assert.match(await dig(dns.port, 'example.com'), /status: REFUSED/);
  },
);

test(
  'UDP answers are limited to 3 without TC; TCP answers are complete',
  { skip: needs(tools.dig) },
  async (t) => {
    const dns = await server(t);
    const udp = await dig(dns.port, 'big.service.consul', 'SRV');
    assert.equal(records(udp, 'ANSWER').length, 3);
    assert.doesNotMatch(udp, /flags:[^;]* tc/);
    const tcp = await dig(dns.port, '+tcp', 'big.service.consul', 'SRV');
    assert.equal(records(tcp, 'ANSWER').length, 5);
    assert.deepEqual(
      records(tcp, 'ANSWER')
        .map((r) => r.split(' ')[6])
        .sort(),
      ['9001', '9002', '9003', '9004', '9005'],
    );
  },
);

test(
  'malformed packets over UDP and TCP never crash the server',
  { skip: needs(tools.dig) },
  async (t) => {
    const dns = await server(t);
    const sock = createSocket('udp4');
    t.after(() => sock.close());
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    const garbage = [
      Buffer.from([1]),
      Buffer.from('0123456789abcdef', 'utf8'),
      Buffer.from([
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61,
      ]),
      Buffer.alloc(600, 0xff),
    ];
    for (const g of garbage) sock.send(g, dns.port, '127.0.0.1');
    const tcp = connect(dns.port, '127.0.0.1');
    await new Promise<void>((resolve) => tcp.once('connect', resolve));
    tcp.write(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5, 0x00]));
    tcp.destroy();
    // The server still answers real clients over both transports.
    assert.match(await dig(dns.port, 'web.service.consul'), /status: NOERROR/);
    assert.match(await dig(dns.port, '+tcp', 'web.service.consul'), /status: NOERROR/);
    // The header-bearing garbage got FORMERR answers with its ID.
    const formerr = replies.filter((r) => r.length >= 12 && (r[3] & 0x0f) === 1);
    assert.ok(formerr.some((r) => r.readUInt16BE(0) === 0x1234));
  },
);

test(
  'AAAA for an IPv4-only service is an empty NOERROR with SOA; IPv6 addresses get AAAA',
  { skip: needs(tools.dig) },
  async (t) => {
    const state = catalog();
    const parsed = parseCatalogRegister(
      { Node: 'v6', Address: 'fd00::1', Service: { Service: 'six', Port: 443 } },
      'dc1',
    );
    assert.ok(parsed.ok);
    assert.ok(state.apply(state.maxIndex + 1, parsed.value).outcome.ok);
    const dns = await server(t, state);
    const out = await dig(dns.port, 'web.service.consul', 'AAAA');
    assert.match(out, /status: NOERROR/);
    assert.match(out, /ANSWER: 0,/);
    assert.equal(records(out, 'AUTHORITY').length, 1);
    assert.equal((await dig(dns.port, '+short', 'six.service.consul', 'AAAA')).trim(), 'fd00::1');
    assert.equal(
      (await dig(dns.port, '+short', 'six.service.consul', 'SRV')).trim(),
      '1 1 443 v6.node.dc1.consul.',
    );
    const any = await dig(dns.port, 'rails.web.service.consul', 'ANY');
    assert.deepEqual(records(any, 'ANSWER'), ['rails.web.service.consul. 0 IN A 10.0.0.1']);
  },
);
