import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { startAgent } from '../helpers/agent.js';
import { freePort } from '../helpers/free-port.js';
import { kv, type KvResult as Result } from './kv-in-process.js';
import { confdBin } from '../helpers/paths.js';
import { listenLoopback } from '../helpers/http-server.js';
import { tempDir } from '../helpers/temp-dir.js';

function httpClient(t: TestContext): Agent {
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  t.after(() => dispatcher.close());
  return dispatcher;
}

async function modifyIndex(url: string, key: string, dispatcher: Agent): Promise<number> {
  const res = await request(`${url}/v1/kv/${key}`, { dispatcher });
  const [entry] = (await res.body.json()) as { ModifyIndex: number }[];
  assert.ok(entry);
  return entry.ModifyIndex;
}

test('confd kv against a real agent', async (t) => {
  const agent = await startAgent(t);
  const env = { CONSUL_HTTP_ADDR: agent.url };
  const dispatcher = httpClient(t);
  const ok = (stdout: string): Result => ({ code: 0, stdout, stderr: '' });
  const fail = (stderr: string): Result => ({ code: 1, stdout: '', stderr });

  await t.test('put then get prints the value (the issue sequence, step 1)', async () => {
    assert.deepEqual(await kv(env, ['put', 'foo', '1']), ok('Success! Data written to: foo\n'));
    assert.deepEqual(await kv(env, ['get', 'foo']), ok('1\n'));
  });

  await t.test('get -detailed foo prints the tabwriter layout with the real indexes', async () => {
    const res = await request(`${agent.url}/v1/kv/foo`, { dispatcher });
    const [e] = (await res.body.json()) as { CreateIndex: number; ModifyIndex: number }[];
    assert.ok(e);
    const expected = [
      `CreateIndex      ${e.CreateIndex}`,
      'Flags            0',
      'Key              foo',
      'LockIndex        0',
      `ModifyIndex      ${e.ModifyIndex}`,
      'Session          -',
      'Value            1',
      '',
    ].join('\n');
    assert.deepEqual(await kv(env, ['get', '-detailed', 'foo']), ok(expected));
    // a leading "/" is stripped by get, as consul does
    assert.deepEqual(await kv(env, ['get', '-detailed', '/foo']), ok(expected));
  });

  await t.test(
    'put -cas succeeds with the current ModifyIndex and fails with a stale one',
    async () => {
      const n = await modifyIndex(agent.url, 'foo', dispatcher);
      assert.deepEqual(
        await kv(env, ['put', '-cas', `-modify-index=${n}`, 'foo', '2']),
        ok('Success! Data written to: foo\n'),
      );
      assert.deepEqual(await kv(env, ['get', 'foo']), ok('2\n'));
      // the same N is stale now
      assert.deepEqual(
        await kv(env, ['put', '-cas', '-modify-index', String(n), 'foo', '3']),
        fail('Error! Did not write to foo: CAS failed\n'),
      );
      assert.deepEqual(await kv(env, ['get', 'foo']), ok('2\n'));
      assert.deepEqual(
        await kv(env, ['put', '-cas', 'foo', '4']),
        fail('Must specify -modify-index with -cas!\n'),
      );
    },
  );

  await t.test('a value written with a plain HTTP PUT is read back by kv get', async () => {
    const res = await request(`${agent.url}/v1/kv/nginx/http/server/proxy`, {
      method: 'PUT',
      body: 'google.com',
      dispatcher,
    });
    assert.equal((await res.body.text()).trim(), 'true');
    assert.deepEqual(await kv(env, ['get', 'nginx/http/server/proxy']), ok('google.com\n'));
  });

  await t.test('get of a missing key, or without a key, fails as consul does', async () => {
    assert.deepEqual(
      await kv(env, ['get', 'no/such/key']),
      fail('Error! No key exists at: no/such/key\n'),
    );
    assert.deepEqual(await kv(env, ['get']), fail('Error! Missing KEY argument\n'));
    assert.deepEqual(
      await kv(env, ['get', 'a', 'b']),
      fail('Too many arguments (expected 1, got 2)\n'),
    );
  });

  await t.test('get -recurse prints key:value lines and -keys lists names', async () => {
    await kv(env, ['put', 'tree/b/x', '2']);
    await kv(env, ['put', 'tree/a', '1']);
    await kv(env, ['put', 'tree/b/y', '3']);
    assert.deepEqual(
      await kv(env, ['get', '-recurse', 'tree/']),
      ok('tree/a:1\ntree/b/x:2\ntree/b/y:3\n'),
    );
    assert.deepEqual(await kv(env, ['get', '-keys', 'tree/']), ok('tree/a\ntree/b/\n'));
    assert.deepEqual(
      await kv(env, ['get', '-keys', '-separator=', 'tree/']),
      ok('tree/a\ntree/b/x\ntree/b/y\n'),
    );
    assert.deepEqual(await kv(env, ['get', '-recurse', 'nothing/here/']), ok(''));
    assert.deepEqual(
      await kv(env, ['get', '-recurse', '-base64', 'tree/b/']),
      ok('tree/b/x:Mg==\ntree/b/y:Mw==\n'),
    );
    // -keys with -recurse lists every full key (consul reads the entries, prints the names)
    assert.deepEqual(
      await kv(env, ['get', '-keys', '-recurse', 'tree/']),
      ok('tree/a\ntree/b/x\ntree/b/y\n'),
    );
    const keysDetailed = await kv(env, ['get', '-keys', '-recurse', '-detailed', 'tree/b/']);
    assert.equal(keysDetailed.code, 0);
    assert.doesNotMatch(keysDetailed.stdout, /Value/);
    assert.match(keysDetailed.stdout, /^Key {14}tree\/b\/x\nLockIndex/m);
    assert.ok(keysDetailed.stdout.endsWith('Session          -\n\n'));
    const detailed = await kv(env, ['get', '-recurse', '-detailed', 'tree/b/']);
    assert.equal(detailed.code, 0);
    const blocks = detailed.stdout.split('\n\n');
    assert.equal(blocks.length, 2);
    assert.match(blocks[0] ?? '', /^Key {14}tree\/b\/x$/m);
    assert.match(blocks[1] ?? '', /^Value {12}3\n$/m);
  });

  await t.test(
    'put reads @file, - (stdin) and no data; -flags and -base64 are stored',
    async (t2) => {
      const dir = await tempDir(t2);
      const file = join(dir, 'value.txt');
      await writeFile(file, 'from a file\n');
      assert.deepEqual(
        await kv(env, ['put', 'data/file', `@${file}`]),
        ok('Success! Data written to: data/file\n'),
      );
      assert.deepEqual(await kv(env, ['get', 'data/file']), ok('from a file\n\n'));
      assert.deepEqual(
        await kv(env, ['put', 'data/stdin', '-'], 'piped'),
        ok('Success! Data written to: data/stdin\n'),
      );
      assert.deepEqual(await kv(env, ['get', 'data/stdin']), ok('piped\n'));
      assert.deepEqual(
        await kv(env, ['put', 'data/empty']),
        ok('Success! Data written to: data/empty\n'),
      );
      assert.deepEqual(await kv(env, ['get', 'data/empty']), ok('\n'));
      assert.deepEqual(
        await kv(env, ['put', '-flags=42', '-base64', 'data/b64', 'aGVsbG8=']),
        ok('Success! Data written to: data/b64\n'),
      );
      const got = await kv(env, ['get', '-detailed', 'data/b64']);
      assert.match(got.stdout, /^Flags {12}42$/m);
      assert.match(got.stdout, /^Value {12}hello$/m);
      assert.deepEqual(await kv(env, ['get', '-base64', 'data/b64']), ok('aGVsbG8=\n'));
      // uint64 flags survive exactly, beyond 2^53
      await kv(env, ['put', '-flags=18446744073709551615', 'data/bigflags', 'x']);
      const big = await kv(env, ['get', '-detailed', 'data/bigflags']);
      assert.match(big.stdout, /^Flags {12}18446744073709551615$/m);
      assert.match(
        (await kv(env, ['export', 'data/bigflags'])).stdout,
        /"flags": 18446744073709551615,/,
      );
      assert.deepEqual(
        await kv(env, ['put', 'data/missing', `@${join(dir, 'nope')}`]),
        fail(`Error! Failed to read file: open ${join(dir, 'nope')}: no such file or directory\n`),
      );
      assert.deepEqual(
        await kv(env, ['put', '/data/slash', 'x']),
        fail(
          "Error! Failed writing data: Invalid key. Key must not begin with a '/': /data/slash\n",
        ),
      );
    },
  );

  await t.test('delete, delete -recurse and delete -cas print consul messages', async () => {
    await kv(env, ['put', 'del/one', '1']);
    await kv(env, ['put', 'del/two', '2']);
    assert.deepEqual(await kv(env, ['delete', 'del/one']), ok('Success! Deleted key: del/one\n'));
    assert.deepEqual(await kv(env, ['get', 'del/one']), fail('Error! No key exists at: del/one\n'));
    // deleting a missing key still succeeds
    assert.deepEqual(await kv(env, ['delete', 'del/one']), ok('Success! Deleted key: del/one\n'));
    const n = await modifyIndex(agent.url, 'del/two', dispatcher);
    assert.deepEqual(
      await kv(env, ['delete', '-cas', `-modify-index=${n + 1000}`, 'del/two']),
      fail('Error! Did not delete key del/two: CAS failed\n'),
    );
    assert.deepEqual(
      await kv(env, ['delete', '-cas', `-modify-index=${n}`, 'del/two']),
      ok('Success! Deleted key: del/two\n'),
    );
    await kv(env, ['put', 'del/tree/a', '1']);
    await kv(env, ['put', 'del/tree/b', '1']);
    assert.deepEqual(
      await kv(env, ['delete', '-recurse', 'del/tree']),
      ok('Success! Deleted keys with prefix: del/tree\n'),
    );
    assert.deepEqual(await kv(env, ['get', '-recurse', 'del/']), ok(''));
    assert.deepEqual(
      await kv(env, ['delete', '-modify-index=3', 'x']),
      fail('Cannot specify -modify-index without -cas!\n'),
    );
    assert.deepEqual(
      await kv(env, ['delete', '-cas', '-modify-index=3', '-recurse', 'x']),
      fail('Cannot specify both -cas and -recurse!\n'),
    );
    assert.deepEqual(await kv(env, ['delete']), fail('Error! Missing KEY argument\n'));
  });

  await t.test('export prints tab-indented JSON and import writes it back', async () => {
    await kv(env, ['put', 'exp/a', 'one']);
    await kv(env, ['put', '-flags=7', 'exp/b']);
    const exported = await kv(env, ['export', 'exp/']);
    assert.deepEqual(
      exported,
      ok(
        '[\n\t{\n\t\t"key": "exp/a",\n\t\t"flags": 0,\n\t\t"value": "b25l"\n\t},\n' +
          '\t{\n\t\t"key": "exp/b",\n\t\t"flags": 7,\n\t\t"value": ""\n\t}\n]\n',
      ),
    );
    assert.deepEqual(
      await kv(env, ['delete', '-recurse', 'exp/']),
      ok('Success! Deleted keys with prefix: exp/\n'),
    );
    assert.deepEqual(
      await kv(env, ['import', '-'], exported.stdout),
      ok('Imported: exp/a\nImported: exp/b\n'),
    );
    assert.deepEqual(await kv(env, ['export', 'exp/']), exported);
    assert.deepEqual(await kv(env, ['export', 'none/']), ok('[]\n'));
    assert.deepEqual(await kv(env, ['import']), fail('Error! Missing DATA argument\n'));
    const bad = await kv(env, ['import', '[{"key":"x","value":"!!"}]']);
    assert.deepEqual(
      bad,
      fail('Error base 64 decoding value for key x: illegal base64 data at input byte 0\n'),
    );
  });

  await t.test('-acquire/-release take and give back a lock through a session', async () => {
    const res = await request(`${agent.url}/v1/session/create`, {
      method: 'PUT',
      body: '{}',
      dispatcher,
    });
    const { ID: session } = (await res.body.json()) as { ID: string };
    assert.deepEqual(
      await kv(env, ['put', '-acquire', `-session=${session}`, 'lock/a', 'held']),
      ok('Success! Lock acquired on: lock/a\n'),
    );
    assert.match(
      (await kv(env, ['get', '-detailed', 'lock/a'])).stdout,
      new RegExp(`^Session {10}${session}$`, 'm'),
    );
    assert.deepEqual(
      await kv(env, ['put', '-release', `-session=${session}`, 'lock/a']),
      ok('Success! Lock released on: lock/a\n'),
    );
    assert.deepEqual(
      await kv(env, ['put', '-release', `-session=${session}`, 'lock/a']),
      fail('Error! Did not release lock\n'),
    );
    assert.deepEqual(
      await kv(env, ['put', '-acquire', 'lock/a']),
      fail('Error! Missing -session (required with -acquire and -release)\n'),
    );
  });

  await t.test(
    'bin/confd kv runs as a real process (CONSUL_HTTP_ADDR and -http-addr)',
    async () => {
      const put = await execa(process.execPath, [confdBin, 'kv', 'put', 'proc/key', '-'], {
        env: { CONSUL_HTTP_ADDR: agent.url },
        input: 'via stdin',
        reject: false,
      });
      assert.equal(put.exitCode, 0);
      assert.equal(put.stdout, 'Success! Data written to: proc/key');
      const hostPort = agent.url.replace(/^http:\/\//, '');
      const get = await execa(
        process.execPath,
        [confdBin, 'kv', 'get', '-http-addr', hostPort, 'proc/key'],
        {
          reject: false,
        },
      );
      assert.equal(get.exitCode, 0);
      assert.equal(get.stdout, 'via stdin');
      const missing = await execa(
        process.execPath,
        [confdBin, 'kv', 'get', `-http-addr=${hostPort}`, 'proc/none'],
        {
          reject: false,
        },
      );
      assert.equal(missing.exitCode, 1);
      assert.equal(missing.stdout, '');
      assert.equal(missing.stderr, 'Error! No key exists at: proc/none');
    },
  );
});

test('an unreachable agent gives Consul-style errors and exit 1', async () => {
  const port = await freePort();
  const env = { CONSUL_HTTP_ADDR: `127.0.0.1:${port}` };
  assert.deepEqual(await kv(env, ['get', 'foo']), {
    code: 1,
    stdout: '',
    stderr: `Error querying Consul agent: Get "http://127.0.0.1:${port}/v1/kv/foo": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  });
  assert.deepEqual(await kv(env, ['put', 'foo', 'bar']), {
    code: 1,
    stdout: '',
    stderr: `Error! Failed writing data: Put "http://127.0.0.1:${port}/v1/kv/foo": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  });
  const refused = `dial tcp 127.0.0.1:${port}: connect: connection refused`;
  assert.deepEqual(await kv(env, ['put', '-cas', '-modify-index=5', 'foo', 'bar']), {
    code: 1,
    stdout: '',
    stderr: `Error! Did not write to foo: Put "http://127.0.0.1:${port}/v1/kv/foo?cas=5": ${refused}\n`,
  });
  assert.deepEqual(await kv(env, ['delete', '-recurse', 'foo/']), {
    code: 1,
    stdout: '',
    stderr: `Error! Did not delete prefix foo/: Delete "http://127.0.0.1:${port}/v1/kv/foo/?recurse=": ${refused}\n`,
  });
  assert.deepEqual(await kv(env, ['delete', 'foo']), {
    code: 1,
    stdout: '',
    stderr: `Error deleting key foo: Delete "http://127.0.0.1:${port}/v1/kv/foo": ${refused}\n`,
  });
  assert.deepEqual(await kv(env, ['export']), {
    code: 1,
    stdout: '',
    stderr: `Error querying Consul agent: Get "http://127.0.0.1:${port}/v1/kv/?recurse=": ${refused}\n`,
  });
  assert.deepEqual(await kv({ CONSUL_HTTP_ADDR: 'ftp://x:1' }, ['get', 'foo']), {
    code: 1,
    stdout: '',
    stderr: 'Error connecting to Consul agent: Unknown protocol scheme: ftp\n',
  });
});

test('flag errors print the Go message and usage; -h prints help', async () => {
  const bad = await kv({}, ['get', '-bogus', 'foo']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^flag provided but not defined: -bogus\nUsage: confd kv get/);
  const help = await kv({}, ['put', '-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: confd kv put \[options\] KEY \[DATA\]/);
  const late = await kv({}, ['get', 'foo', '-help']);
  assert.equal(late.code, 0);
  assert.match(late.stdout, /^Usage: confd kv get/);
  const none = await kv({}, []);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /^Usage: confd kv <subcommand>/);
  assert.equal((await kv({}, ['-h'])).code, 0);
  assert.equal((await kv({}, ['nope'])).code, 1);
});

test('-token and CONSUL_HTTP_TOKEN are sent as X-Consul-Token, -flags as ?flags', async (t) => {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.end(
      req.method === 'GET'
        ? '[{"LockIndex":0,"Key":"k","Flags":0,"Value":"dg==","CreateIndex":1,"ModifyIndex":1}]'
        : 'true',
    );
  });
  const addr = await listenLoopback(t, server);
  const env = { CONSUL_HTTP_ADDR: `http://${addr}`, CONSUL_HTTP_TOKEN: 'from-env' };
  assert.equal((await kv(env, ['put', '-flags=9', 'a b/c?', 'v'])).code, 0);
  assert.equal((await kv(env, ['put', '-token=from-flag', 'k', 'v'])).code, 0);
  const tokenFile = join(await tempDir(t), 'token');
  await writeFile(tokenFile, 'from-file\n');
  assert.deepEqual(
    await kv(env, ['get', `-token-file=${tokenFile}`, '-stale', '-datacenter=dc2', 'k']),
    { code: 0, stdout: 'v\n', stderr: '' },
  );
  assert.equal((await kv(env, ['delete', '-cas', '-modify-index=0x10', 'k'])).code, 0);
  assert.equal(seen[0]?.url, '/v1/kv/a%20b/c%3F?flags=9');
  assert.equal(seen[0]?.headers['x-consul-token'], 'from-env');
  assert.equal(seen[1]?.headers['x-consul-token'], 'from-flag');
  assert.equal(seen[2]?.url, '/v1/kv/k?dc=dc2&stale=');
  assert.equal(seen[2]?.headers['x-consul-token'], 'from-file');
  assert.equal(seen[3]?.url, '/v1/kv/k?cas=16');
});

test('CONSUL_HTTP_ADDR=unix:///path talks HTTP over a unix socket', async (t) => {
  const dir = await tempDir(t);
  const socketPath = join(dir, 'agent.sock');
  const server = createServer((req, res) => {
    req.resume();
    res.end(req.method === 'PUT' ? 'true' : '');
  });
  server.listen(socketPath);
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  assert.deepEqual(await kv({ CONSUL_HTTP_ADDR: `unix://${socketPath}` }, ['put', 'k', 'v']), {
    code: 0,
    stdout: 'Success! Data written to: k\n',
    stderr: '',
  });
  assert.deepEqual(await kv({}, ['get', `-http-addr=unix://${join(dir, 'none.sock')}`, 'k']), {
    code: 1,
    stdout: '',
    stderr: `Error querying Consul agent: Get "${join(dir, 'none.sock')}/v1/kv/k": dial unix ${join(dir, 'none.sock')}: connect: no such file or directory\n`,
  });
});
