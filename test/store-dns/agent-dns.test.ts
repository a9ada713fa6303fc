import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Consul from 'consul';
import { agentStartFails, startAgent } from '../helpers/agent.js';
import { needs, toolPath, tools } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { dig as digOutput } from './dig.js';

const run = promisify(execFile);

/** dig with `+short`, trimmed. */
async function dig(port: number, ...args: string[]): Promise<string> {
  return (await digOutput(port, '+short', ...args)).trim();
}

test(
  'confd agent: -config-dir services with checks are served over HTTP and DNS',
  { skip: needs(tools.dig) },
  async (t) => {
    const dir = await tempDir(t);
    await writeFile(
      join(dir, '10-web.json'),
      JSON.stringify({ service: { name: 'web', tags: ['rails'], port: 80, check: { ttl: '1h' } } }),
    );
    await writeFile(
      join(dir, '20-more.json'),
      JSON.stringify({
        services: [{ id: 'db-1', name: 'db', port: 5432, address: '10.1.202.196' }],
        check: { name: 'disk', ttl: '1h', status: 'passing' },
      }),
    );
    const agent = await startAgent(t, ['-node', 'n1', '-dns-port', '0', '-config-dir', dir]);
    const dnsPort = Number(/DNS: (\d+)\)/.exec(agent.output())?.[1]);
    assert.ok(dnsPort > 0, agent.output());
    const consul = new Consul({ host: '127.0.0.1', port: agent.port });

    const services = (await consul.catalog.service.list()) as unknown as Record<string, string[]>;
    assert.deepEqual(services, { consul: [], db: [], web: ['rails'] });
    const checks = (await consul.agent.check.list()) as unknown as Record<
      string,
      { Status: string }
    >;
    assert.deepEqual(Object.keys(checks).sort(), ['disk', 'service:web']);
    assert.equal(checks['service:web'].Status, 'critical');

    // web starts critical: not in DNS until its TTL check passes.
    assert.equal(await dig(dnsPort, 'web.service.consul'), '');
    await consul.agent.check.pass('service:web');
    assert.equal(await dig(dnsPort, 'web.service.consul'), '127.0.0.1');
    assert.equal(
      await dig(dnsPort, 'rails.web.service.consul', 'SRV'),
      '1 1 80 n1.node.dc1.consul.',
    );
    assert.equal(
      await dig(dnsPort, 'db.service.consul', 'SRV'),
      '1 1 5432 0a01cac4.addr.dc1.consul.',
    );
    assert.equal(await dig(dnsPort, 'consul.service.consul'), '127.0.0.1');
    assert.equal(await dig(dnsPort, 'n1.node.consul'), '127.0.0.1');
    await consul.agent.check.fail('service:web');
    await waitFor(async () => (await dig(dnsPort, 'web.service.consul')) === '', {
      what: 'web gone',
    });
  },
);

test('confd agent: a bad service definition stops start-up naming the file', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ service: { port: 80 } }));
  const stderr = await agentStartFails(['-config-dir', dir]);
  assert.match(stderr, /bad\.json: service: Missing service name/);
});

test(
  'confd agent: dns_config udp_answer_limit, enable_truncate and only_passing',
  { skip: needs(tools.dig) },
  async (t) => {
    const dir = await tempDir(t);
    await writeFile(
      join(dir, 'dns.json'),
      JSON.stringify({
        dns_config: { udp_answer_limit: 1, enable_truncate: true, only_passing: true },
      }),
    );
    const agent = await startAgent(t, ['-node', 'n1', '-dns-port', '0', '-config-dir', dir]);
    const dnsPort = Number(/DNS: (\d+)\)/.exec(agent.output())?.[1]);
    const consul = new Consul({ host: '127.0.0.1', port: agent.port });
    for (const [node, status] of [
      ['a', 'passing'],
      ['b', 'passing'],
      ['c', 'warning'],
    ]) {
      await consul.catalog.register({
        node,
        address: `10.0.1.${node.charCodeAt(0)}`,
        service: { service: 'multi', port: 1 },
        check: { checkid: 'c', serviceid: 'multi', status },
      } as never);
    }
    const { stdout: udp } = await run(toolPath(tools.dig), [
      '@127.0.0.1',
      '-p',
      String(dnsPort),
      '+ignore',
      'multi.service.consul',
    ]);
    assert.match(udp, /flags: qr aa tc/);
    assert.match(udp, /ANSWER: 1,/);
    const tcp = await dig(dnsPort, '+tcp', 'multi.service.consul');
    // The warning instance is left out with only_passing.
    assert.deepEqual(tcp.split('\n').sort(), ['10.0.1.97', '10.0.1.98']);
  },
);
