/** A real crash: SIGKILL a process that is writing, then every acknowledged write must be there. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const writerScript = fileURLToPath(new URL('./fixtures/crash-writer.js', import.meta.url));

test('after SIGKILL mid-write, recovery keeps every acknowledged write', async (t) => {
  const dir = join(await tempDir(t), 'data');
  const child = spawn(process.execPath, [writerScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const acked = new Set<number>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no acks in time: ${stderr}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acked.add(Number(line.slice(4)));
      if (acked.size >= 300) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
  );
  const store = await createStore({ dataDir: dir, nodeName: 'n', timerIntervalMs: 0 });
  t.after(() => store.close());
  const missing = [...acked].filter((n) => store.kvGet(`c/${n}`).value === undefined);
  assert.deepEqual(missing, []);
  for (const n of [...acked].slice(0, 20)) {
    assert.equal(Buffer.from(store.kvGet(`c/${n}`).value!.value!).toString(), `value-${n}`);
  }
  assert.ok(store.lastIndex >= acked.size);
});
