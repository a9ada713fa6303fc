/**
 * The daemon in -watch mode against our agent through the consul backend: a PUT re-renders, and
 * the agent going away and coming back never blanks the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, startConfd } from '../daemon/confd-process.js';
import { makeConfdir, toml } from '../daemon/fixtures.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function put(url: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${url}/v1/kv/${key}`, { method: 'PUT', body: value });
  assert.equal((await res.text()).trim(), 'true');
}

test('-watch via consul: a PUT re-renders; an agent outage never blanks the target', async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  const agentArgs = ['-data-dir', join(dir, 'agent-data'), '-http-port', String(port)];
  let agent = await startAgent(t, agentArgs);
  await put(agent.url, 'nginx/proxy', 'example.com');
  const dest = join(dir, 'out', 'nginx.conf');
  const { confdir } = await makeConfdir(dir, {
    'nginx.toml': {
      toml: toml({ src: 'nginx.conf.tmpl', dest, keys: ['/nginx'] }),
      template: {
        name: 'nginx.conf.tmpl',
        text: 'proxy_pass http://www.{{getv "/nginx/proxy"}};\n',
      },
    },
  });
  const confd = startConfd(t, [
    '-watch',
    '-backend',
    'consul',
    '-node',
    `127.0.0.1:${port}`,
    '-confdir',
    confdir,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  const content = () => readFile(dest, 'utf8').catch(() => '');
  await eventually(async () => (await content()) === 'proxy_pass http://www.example.com;\n', {
    what: 'the first render',
  }).catch((err: Error) => {
    throw new Error(`${err.message}; confd said:\n${confd.stderr()}`);
  });

  await put(agent.url, 'nginx/proxy', 'google.com');
  await eventually(async () => (await content()) === 'proxy_pass http://www.google.com;\n', {
    what: 'the watch to react to a PUT',
  });

  // The agent goes away: confd logs errors and retries, the target stays as it was.
  await agent.stop();
  const mark = confd.lines().length;
  await confd.waitForLine(/^ERROR .*connection refused/, { from: mark });
  await confd.waitForLine(/^ERROR .*connection refused/, { from: confd.lines().length });
  assert.equal(await content(), 'proxy_pass http://www.google.com;\n');

  // It comes back with its data: within a retry delay (at most 1 s) the watch answers again and
  // says so, and the next change renders.
  agent = await startAgent(t, agentArgs);
  await confd.waitForLine(/^INFO Watch of prefix \/ recovered after \d+ failed attempt\(s\)$/, {
    from: mark,
  });
  await put(agent.url, 'nginx/proxy', 'nodejs.org');
  await eventually(async () => (await content()) === 'proxy_pass http://www.nodejs.org;\n', {
    timeoutMs: 15_000,
    what: 'the render after the outage',
  });
  await confd.waitForLine(new RegExp(`^INFO Target config ${dest} has been updated$`), {
    from: mark,
  });
  assert.equal(await confd.stop('SIGINT'), 0);
  assert.ok(confd.lines().includes('INFO Captured interrupt. Exiting...'));
});

test('-watch via consul sees the very first write to a brand-new agent (index 1)', async (t) => {
  const dir = await tempDir(t);
  const agent = await startAgent(t);
  const dest = join(dir, 'out', 'a');
  const { confdir } = await makeConfdir(dir, {
    'a.toml': {
      toml: toml({ src: 'a.tmpl', dest, keys: ['/app'] }),
      template: { name: 'a.tmpl', text: 'v={{getv "/app/x" "unset"}}\n' },
    },
  });
  const confd = startConfd(t, [
    '-watch',
    '-backend',
    'consul',
    '-node',
    agent.url.replace(/^http:\/\//, ''),
    '-confdir',
    confdir,
    '-config-file',
    '/nonexistent/confd.toml',
  ]);
  const content = () => readFile(dest, 'utf8').catch(() => '');
  await eventually(async () => (await content()) === 'v=unset\n');
  await put(agent.url, 'app/x', 'first');
  await eventually(async () => (await content()) === 'v=first\n', { what: 'the first write' });
  await put(agent.url, 'app/x', 'second');
  await eventually(async () => (await content()) === 'v=second\n', { what: 'the second write' });
  assert.equal(await confd.stop(), 0);
});
