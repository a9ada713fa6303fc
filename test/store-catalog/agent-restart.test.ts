import assert from 'node:assert/strict';
import { test } from 'node:test';
import Consul from 'consul';
import { startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

type Checks = Record<string, { Status: string; Output: string }>;

test('confd agent: services registered over HTTP survive a restart and their TTL checks resume', async (t) => {
  const dataDir = await tempDir(t);
  const args = ['-node', 'n1', '-dns-port', '-1', '-data-dir', dataDir];
  let agent = await startAgent(t, args);
  let consul = new Consul({ host: '127.0.0.1', port: agent.port });
  await consul.agent.service.register({ name: 'job', port: 9, check: { ttl: '1s' } } as never);
  await consul.agent.check.pass({ id: 'service:job', note: 'ran' });
  assert.equal(await agent.stop(), 0);

  agent = await startAgent(t, args);
  consul = new Consul({ host: '127.0.0.1', port: agent.port });
  const services = (await consul.catalog.service.list()) as unknown as Record<string, string[]>;
  assert.deepEqual(services, { consul: [], job: [] });
  const checks = (await consul.agent.check.list()) as unknown as Checks;
  assert.deepEqual(checks['service:job'], {
    ...checks['service:job'],
    Status: 'passing',
    Output: 'ran',
  });
  // The TTL runs again after the restart: no update within 1s turns it critical.
  await waitFor(
    async () =>
      ((await consul.agent.check.list()) as unknown as Checks)['service:job'].Status === 'critical',
    { what: 'TTL expiry after restart' },
  );
});
