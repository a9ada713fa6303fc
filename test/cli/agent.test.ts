import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Consul from 'consul';
import { startAgent } from '../helpers/agent.js';
import { confdBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** runAgent runs `confd agent ...args` expecting it to exit by itself. */
function runAgent(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [confdBin, 'agent', ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function client(t: import('node:test').TestContext, port: number): Consul {
  const consul = new Consul({ host: '127.0.0.1', port });
  t.after(() => consul.destroy());
  return consul;
}

test('the consul npm client can set, get, list and delete keys', async (t) => {
  const agent = await startAgent(t);
  const consul = client(t, agent.port);
  assert.equal(await consul.kv.set('app/db/host', 'db.local'), true);
  assert.equal(await consul.kv.set({ key: 'app/db/port', value: '5432', flags: 42 }), true);
  const entry = await consul.kv.get('app/db/host');
  assert.equal(entry?.Value, 'db.local');
  assert.equal(entry?.Key, 'app/db/host');
  const port = await consul.kv.get('app/db/port');
  assert.equal(port?.Flags, 42);
  assert.deepEqual(await consul.kv.keys('app/'), ['app/db/host', 'app/db/port']);
  assert.deepEqual(await consul.kv.keys({ key: '', separator: '/' }), ['app/']);
  const all = (await consul.kv.get({ key: 'app/', recurse: true })) as { Key: string }[];
  assert.deepEqual(
    all.map((e) => e.Key),
    ['app/db/host', 'app/db/port'],
  );
  assert.equal(await consul.kv.get('app/none'), undefined);
  assert.equal(await consul.kv.del('app/db/host'), true);
  assert.equal(await consul.kv.get('app/db/host'), undefined);
  assert.equal(await consul.kv.del({ key: 'app/', recurse: true }), true);
  await assert.rejects(consul.kv.keys('app/'), /not found/i);
});

test('the consul npm client runs transactions and sessions', async (t) => {
  const agent = await startAgent(t);
  const consul = client(t, agent.port);
  const ops = [
    { KV: { Verb: 'set', Key: 'txn/a', Value: Buffer.from('A').toString('base64') } },
    { KV: { Verb: 'get', Key: 'txn/a' } },
  ];
  const result = await consul.transaction.create(ops as never);
  assert.equal(result.Errors, null);
  assert.equal((result.Results as { KV: { Value: string } }[])[1].KV.Value, 'QQ==');
  await assert.rejects(
    consul.transaction.create([{ KV: { Verb: 'get', Key: 'txn/none' } }] as never),
    /409|conflict/i,
  );

  const { ID } = await consul.session.create({ name: 'job', ttl: '30s', lockdelay: '1s' });
  const info = await consul.session.info(ID);
  assert.equal(info?.Name, 'job');
  assert.equal(info?.TTL, '30s');
  assert.equal(info?.LockDelay, 1_000_000_000);
  assert.equal((await consul.session.list()).length, 1);
  assert.equal(await consul.kv.set({ key: 'leader', value: 'me', acquire: ID }), true);
  assert.equal(((await consul.kv.get('leader')) as { Session?: string }).Session, ID);
  const renewed = await consul.session.renew(ID);
  assert.equal(renewed[0]?.ID, ID);
  await consul.session.destroy(ID);
  assert.equal(await consul.session.info(ID), undefined);
  assert.equal(((await consul.kv.get('leader')) as { Session?: string }).Session, undefined);
});

test('a blocking consul.kv.get returns when the key changes', async (t) => {
  const agent = await startAgent(t);
  const consul = client(t, agent.port);
  await consul.kv.set('watched', 'v1');
  const first = (await consul.kv.get('watched')) as { ModifyIndex: number };
  // The typings lack index/wait, which the client does send (utils.options).
  const blocked = consul.kv.get({
    key: 'watched',
    index: first.ModifyIndex,
    wait: '30s',
  } as never) as Promise<{ Value: string; ModifyIndex: number }>;
  let settled = false;
  void blocked.then(() => (settled = true));
  await consul.kv.set('unrelated', 'x');
  assert.equal(settled, false);
  await consul.kv.set('watched', 'v2');
  const changed = await blocked;
  assert.equal(changed.Value, 'v2');
  assert.ok(changed.ModifyIndex > first.ModifyIndex);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} with parked blocking queries exits 0 promptly`, async (t) => {
    const agent = await startAgent(t);
    await fetch(`${agent.url}/v1/kv/k`, { method: 'PUT', body: 'v' });
    const res = await fetch(`${agent.url}/v1/kv/k`);
    const index = res.headers.get('x-consul-index');
    await res.text();
    const parked = Array.from({ length: 5 }, () =>
      fetch(`${agent.url}/v1/kv/k?index=${index}&wait=5m`).then(
        () => 'answered',
        () => 'closed',
      ),
    );
    await waitFor(async () => {
      const self = await fetch(`${agent.url}/v1/agent/self`);
      await self.text();
      return self.ok;
    });
    const started = Date.now();
    const code = await agent.stop(signal);
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await Promise.all(parked), Array(5).fill('closed'));
    assert.match(agent.output(), /Caught signal: (terminated|interrupt)/);
  });
}

test('Go-style flags: unknown flag prints usage and exits 2, -h exits 0', async () => {
  const unknown = await runAgent(['-bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^flag provided but not defined: -bogus\nUsage: confd agent/);
  assert.match(unknown.stderr, /-data-dir string/);
  const missing = await runAgent(['-data-dir']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^flag needs an argument: -data-dir/);
  const badInt = await runAgent(['-dev', '-http-port=abc']);
  assert.equal(badInt.code, 2);
  assert.match(badInt.stderr, /^invalid value "abc" for flag -http-port: parse error/);
  const help = await runAgent(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.stderr, /Usage: confd agent/);
});

test("-data-dir is required unless -dev, with Consul's error", async () => {
  const res = await runAgent([]);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, '==> data_dir cannot be empty\n');
});

test('startup output names the node, datacenter and real HTTP port', async (t) => {
  const agent = await startAgent(t, ['--node=edge-1', '-datacenter', 'west']);
  const out = agent.output();
  assert.match(out, /==> Starting Consul agent\.\.\./);
  assert.match(out, /Node name: 'edge-1'/);
  assert.match(out, /Datacenter: 'west'/);
  assert.match(out, new RegExp(`Client Addr: \\[127\\.0\\.0\\.1\\] \\(HTTP: ${agent.port},`));
  const self = (await (await fetch(`${agent.url}/v1/agent/self`)).json()) as {
    Config: { NodeName: string; Datacenter: string };
  };
  assert.equal(self.Config.NodeName, 'edge-1');
  assert.equal(self.Config.Datacenter, 'west');
  // -dev answers pretty JSON.
  // The server RPC address (the helper asks for a free server port, as for the serf port).
  assert.match(
    await (await fetch(`${agent.url}/v1/status/leader`)).text(),
    /^"127\.0\.0\.1:\d+"\n$/,
  );
});

test('JSON config files and dirs are merged in order and flags win', async (t) => {
  const dir = await tempDir(t);
  const confDir = join(dir, 'conf.d');
  mkdirSync(confDir);
  writeFileSync(
    join(confDir, '10-base.json'),
    JSON.stringify({ node_name: 'from-dir', datacenter: 'dir-dc', ports: { http: 0 } }),
  );
  writeFileSync(
    join(confDir, '20-more.json'),
    JSON.stringify({ datacenter: 'dir-dc2', log_level: 'debug' }),
  );
  writeFileSync(join(confDir, 'ignored.txt'), 'not json');
  const file = join(dir, 'extra.json');
  writeFileSync(
    file,
    JSON.stringify({
      node_name: 'from-file',
      data_dir: join(dir, 'data'),
      server: true,
      bootstrap: true,
    }),
  );
  const agent = await startAgent(
    t,
    ['-config-dir', confDir, '-config-file', file, '-datacenter', 'flag-dc'],
    { dev: false },
  );
  const self = (await (await fetch(`${agent.url}/v1/agent/self`)).json()) as {
    Config: { NodeName: string; Datacenter: string };
  };
  assert.equal(self.Config.NodeName, 'from-file');
  assert.equal(self.Config.Datacenter, 'flag-dc');
  assert.ok(existsSync(join(dir, 'data')));
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);

  writeFileSync(join(dir, 'bad.json'), '{"ports": {"http": "eighty"}}');
  const bad = await runAgent(['-dev', '-config-file', join(dir, 'bad.json')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.json: ports\.http: expected an integer/);
});

test('-pid-file is written while running and removed on exit', async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'agent.pid');
  const agent = await startAgent(t, ['-pid-file', pidFile]);
  assert.equal(readFileSync(pidFile, 'utf8'), String(agent.pid));
  assert.equal(await agent.stop(), 0);
  assert.equal(existsSync(pidFile), false);
});

test('malformed requests to a running agent get 4xx and it keeps serving', async (t) => {
  const agent = await startAgent(t);
  const send = async (method: string, path: string, body?: string | Uint8Array) => {
    const res = await fetch(agent.url + path, { method, body });
    return { status: res.status, text: await res.text() };
  };
  const txn = await send('PUT', '/v1/txn', '[{"KV": {"Verb": "set", "Key": ');
  assert.equal(txn.status, 400);
  assert.match(txn.text, /^Failed to parse body: /);
  assert.deepEqual(await send('GET', '/v1/kv/k?index=nope'), {
    status: 400,
    text: 'Invalid index',
  });
  const huge = await send('PUT', '/v1/kv/huge', new Uint8Array(600_000));
  assert.equal(huge.status, 413);
  const post = await send('POST', '/v1/kv/k', 'x');
  assert.equal(post.status, 405);
  assert.equal((await send('PUT', '/v1/kv/after', 'ok')).text, 'true\n');
  assert.equal((await send('GET', '/v1/kv/after?raw')).text, 'ok');
});

test('SIGHUP does not stop the agent; debug logging shows requests', async (t) => {
  const agent = await startAgent(t, ['-log-level', 'debug']);
  process.kill(agent.pid, 'SIGHUP');
  await waitFor(() => agent.output().includes('Caught signal: hangup'), { what: 'the hangup' });
  const res = await fetch(`${agent.url}/v1/status/leader`);
  assert.equal(res.status, 200);
  await res.text();
  await waitFor(
    () => /Request finished: method=GET url=\/v1\/status\/leader/.test(agent.output()),
    {
      what: 'the request log line',
    },
  );
  assert.equal(await agent.stop(), 0);
});

test('PUT /v1/agent/leave answers 200 and the agent shuts down with exit 0', async (t) => {
  const agent = await startAgent(t);
  const res = await fetch(`${agent.url}/v1/agent/leave`, { method: 'PUT' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
  assert.equal(await agent.stop('SIGCONT'), 0);
  assert.match(agent.output(), /Gracefully shutting down agent/);
});
