/**
 * Durations in `confd agent` config files: Go duration strings only. Consul decodes them into
 * strings (mapstructure without weak typing), so a JSON number there stops start-up, unlike in
 * HTTP request bodies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentStartFails, startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';

function assertIncludes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
}

test('agent config files: check durations are Go duration strings, shown as Go prints them', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    join(dir, 'web.json'),
    JSON.stringify({
      service: {
        name: 'web',
        port: 80,
        check: {
          http: 'http://127.0.0.1:1/health',
          interval: '10000ms',
          timeout: '1.5s',
          deregister_critical_service_after: '90s',
        },
      },
      check: { name: 'disk', ttl: '1h' },
    }),
  );
  const agent = await startAgent(t, ['-dns-port', '-1', '-config-dir', dir]);
  const checks = (await (await fetch(`${agent.url}/v1/agent/checks`)).json()) as Record<
    string,
    { Type: string; Definition: Record<string, unknown> }
  >;
  assert.deepEqual(checks['service:web'].Definition, {
    HTTP: 'http://127.0.0.1:1/health',
    Interval: '10s',
    Timeout: '1.5s',
    DeregisterCriticalServiceAfter: '1m30s',
  });
  assert.equal(checks.disk.Type, 'ttl');
});

test('agent config files: a number as a duration stops start-up naming the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'web.json');
  await writeFile(
    file,
    JSON.stringify({
      service: { name: 'web', check: { http: 'http://127.0.0.1:1/', interval: 10e9 } },
    }),
  );
  assertIncludes(
    await agentStartFails(['-config-dir', dir]),
    `==> Error parsing ${file}: service: Interval: expected a string, got 10000000000`,
  );

  await writeFile(file, JSON.stringify({ check: { name: 'disk', ttl: 3600e9 } }));
  assertIncludes(
    await agentStartFails(['-config-dir', dir]),
    `==> Error parsing ${file}: check: TTL: expected a string, got 3600000000000`,
  );

  await writeFile(file, JSON.stringify({ default_query_time: 300e9 }));
  assertIncludes(
    await agentStartFails(['-config-dir', dir]),
    `==> Error parsing ${file}: default_query_time: expected a string, got 300000000000`,
  );

  // A bad string keeps its message.
  await writeFile(file, JSON.stringify({ service: { name: 'web', check: { ttl: '30 s' } } }));
  assertIncludes(
    await agentStartFails(['-config-dir', dir]),
    `==> Error parsing ${file}: service: TTL: invalid duration "30 s"`,
  );
});
