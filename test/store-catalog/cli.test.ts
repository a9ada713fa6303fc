import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startAgent } from '../helpers/agent.js';
import { confdBin } from '../helpers/paths.js';

const run = promisify(execFile);

async function confd(url: string, ...args: string[]) {
  const { stdout } = await run(process.execPath, [confdBin, ...args], {
    env: { ...process.env, CONSUL_HTTP_ADDR: url },
  });
  return stdout;
}

test('confd services/catalog/members against a running agent', async (t) => {
  const agent = await startAgent(t, ['-node', 'cli-node', '-dns-port', '-1']);
  assert.equal(
    await confd(
      agent.url,
      'services',
      'register',
      '-name=web',
      '-port=80',
      '-tag',
      'rails',
      '-tag=v1',
    ),
    'Registered service: web\n',
  );
  assert.equal(await confd(agent.url, 'catalog', 'services'), 'consul\nweb\n');
  assert.equal(
    await confd(agent.url, 'catalog', 'services', '-tags'),
    'consul  \nweb     rails,v1\n',
  );
  assert.match(
    await confd(agent.url, 'catalog', 'nodes'),
    /^Node {6}ID {8}Address {4}DC\ncli-node {2}[0-9a-f]{8} {2}127\.0\.0\.1 {2}dc1\n$/,
  );
  assert.equal(await confd(agent.url, 'catalog', 'datacenters'), 'dc1\n');
  const members = await confd(agent.url, 'members');
  const lines = members.trimEnd().split('\n');
  assert.match(
    lines[0],
    /^Node\s+Address\s+Status\s+Type\s+Build\s+Protocol\s+DC\s+Partition\s+Segment$/,
  );
  assert.match(
    lines[1],
    /^cli-node\s+127\.0\.0\.1:\d+\s+alive\s+server\s+\S+\s+2\s+dc1\s+default\s+<all>$/,
  );
  assert.equal(
    await confd(agent.url, 'services', 'deregister', '-id', 'web'),
    'Deregistered service: web\n',
  );
  assert.equal(await confd(agent.url, 'catalog', 'services'), 'consul\n');
});
