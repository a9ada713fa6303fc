import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startAgent } from '../helpers/agent.js';
import { tempDir } from '../helpers/temp-dir.js';

test('every acknowledged PUT survives a SIGKILL mid-stream and a restart on the same dir', async (t) => {
  const dir = join(await tempDir(t), 'data');
  const first = await startAgent(t, ['-data-dir', dir]);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  t.after(() => dispatcher.destroy());

  const acked = new Map<string, string>();
  let killed = false;
  const writer = async (w: number) => {
    for (let n = 0; !killed; n++) {
      const key = `crash/w${w}/${n}`;
      const value = `${w}-${n}-${'x'.repeat(n % 50)}`;
      try {
        const res = await request(`${first.url}/v1/kv/${key}`, {
          method: 'PUT',
          body: value,
          dispatcher,
        });
        const text = await res.body.text();
        if (text === 'true') acked.set(key, value);
      } catch {
        return;
      }
      if (!killed && acked.size >= 200) {
        killed = true;
        first.kill();
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(writer));
  assert.equal(await first.stop(), null, 'the first agent died by SIGKILL');
  assert.ok(acked.size >= 200);

  const second = await startAgent(t, ['-data-dir', dir]);
  const res = await request(`${second.url}/v1/kv/crash/?recurse`, { dispatcher });
  assert.equal(res.statusCode, 200);
  const entries = (await res.body.json()) as { Key: string; Value: string | null }[];
  const stored = new Map(
    entries.map((e) => [e.Key, Buffer.from(e.Value ?? '', 'base64').toString()]),
  );
  const lost = [...acked].filter(([key, value]) => stored.get(key) !== value).map(([key]) => key);
  assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged writes lost`);
  assert.equal(await second.stop(), 0);
});

test('a second agent on the same data dir refuses to start', async (t) => {
  const dir = join(await tempDir(t), 'data');
  const first = await startAgent(t, ['-data-dir', dir]);
  const second = await startAgent(t, ['-data-dir', dir]).then(
    () => 'started',
    (err: Error) => err.message,
  );
  assert.match(second, /exited with 1 before listening/);
  assert.match(
    second,
    /==> Error starting agent: data_dir ".*" is in use by another agent \(pid \d+\)/,
  );
  assert.equal(await first.stop(), 0);
  // A clean stop releases the lock.
  const third = await startAgent(t, ['-data-dir', dir]);
  assert.equal(await third.stop(), 0);
});
