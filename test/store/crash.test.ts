/** A real crash: SIGKILL a process that is writing, then every acknowledged write must be there. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createStore } from '../../src/store/store.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const closers = new WeakMap<TestContext, (() => Promise<unknown>)[]>();

/** dataDir makes a temp data dir; stores registered in closers close before it is removed. */
async function dataDir(t: TestContext): Promise<string> {
  const list: (() => Promise<unknown>)[] = [];
  closers.set(t, list);
  t.after(() => Promise.all(list.map((f) => f())));
  return join(await tempDir(t), 'data');
}

const writerScript = fileURLToPath(new URL('./fixtures/crash-writer.js', import.meta.url));

test('after SIGKILL mid-write, recovery keeps every acknowledged write', async (t) => {
  const dir = await dataDir(t);
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
  closers.get(t)!.push(() => store.close());
  const missing = [...acked].filter((n) => store.kvGet(`c/${n}`).value === undefined);
  assert.deepEqual(missing, []);
  for (const n of [...acked].slice(0, 20)) {
    assert.equal(Buffer.from(store.kvGet(`c/${n}`).value!.value!).toString(), `value-${n}`);
  }
  assert.ok(store.lastIndex >= acked.size + 1, 'index 1 is reserved, then one per write');
});

test('a running process holds the data directory; after it dies the lock is taken over', async (t) => {
  const dir = await dataDir(t);
  const child = spawn(process.execPath, [writerScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('writer did not start')), 15_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await assert.rejects(
    createStore({ dataDir: dir, nodeName: 'n', timerIntervalMs: 0 }),
    (e) => isConfdError(e, ErrorCode.STORE_IO) && e.message.includes(`process ${child.pid}`),
  );
  child.kill('SIGKILL');
  await new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
  );
  const store = await createStore({ dataDir: dir, nodeName: 'n', timerIntervalMs: 0 });
  closers.get(t)!.push(() => store.close());
  assert.ok(store.kvKeys('c/').value.length > 0);
});
