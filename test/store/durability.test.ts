/**
 * Durability with real files: restart, crash images (a copy of the data directory taken while the
 * store runs), torn tails, mid-log corruption, snapshots, group commit and file modes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFile,
  cp,
  open as openFile,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { createStore, type StoreEngine } from '../../src/store/store.js';
import type { LogFile } from '../../src/store/types.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const b = (s: string) => Buffer.from(s);
const text = (s: StoreEngine, key: string) => {
  const v = s.kvGet(key).value?.value;
  return v === undefined ? undefined : v === null ? null : Buffer.from(v).toString();
};

async function open(dir: string, extra: { snapshotEvery?: number } = {}): Promise<StoreEngine> {
  return createStore({ dataDir: dir, nodeName: 'node1', timerIntervalMs: 0, ...extra });
}

/** setup gives a temp dir and a list of stores closed before the dir is removed. */
async function setup(t: TestContext): Promise<{ root: string; stores: StoreEngine[] }> {
  const stores: StoreEngine[] = [];
  t.after(() => Promise.all(stores.map((s) => s.close())));
  return { root: await tempDir(t), stores };
}

/** crashImage copies the data directory as a crash would leave it (the store keeps running). */
async function crashImage(store: StoreEngine, from: string, to: string): Promise<string> {
  await store.idle();
  // The LOCK file names this (live) process; a crashed owner would be dead, so leave it out.
  await cp(from, to, { recursive: true, filter: (src) => !src.endsWith('/LOCK') });
  return to;
}

async function walFile(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort();
  return join(dir, names.at(-1)!);
}

test('a restart recovers keys, indexes, flags, sessions, locks and tombstones', async (t) => {
  const { root, stores } = await setup(t);
  const dir = join(root, 'data');
  let s = await open(dir);
  await s.kvSet('app/a', b('1'), { flags: 99n });
  await s.kvSet('app/b', b('2'));
  await s.kvDelete('app/b');
  const sess = await s.sessionCreate({ name: 'locker', ttl: '30s' });
  await s.kvSet('app/lock', b('held'), { acquire: sess.id });
  await s.kvSet('bin', Uint8Array.from([0, 255, 128, 10]));
  await s.kvSet('emoji/😀', b('smile'));
  await s.kvSet('empty', null);
  const before = {
    last: s.lastIndex,
    list: s.kvList('app/'),
    keys: s.kvKeys('', '/').value,
    missing: s.kvGet('app/b').index,
  };
  await s.close();
  s = await open(dir);
  stores.push(s);
  assert.equal(s.lastIndex, before.last);
  assert.deepEqual(s.kvList('app/'), before.list);
  assert.deepEqual(s.kvKeys('', '/').value, before.keys);
  assert.equal(s.kvGet('app/b').index, before.missing);
  assert.equal(s.kvList('app/b').index, 4, 'the tombstone survived');
  assert.equal(s.kvGet('app/a').value?.flags, 99n);
  assert.equal(s.kvGet('app/lock').value?.session, sess.id);
  assert.equal(s.sessionInfo(sess.id).value?.name, 'locker');
  assert.deepEqual([...s.kvGet('bin').value!.value!], [0, 255, 128, 10]);
  assert.equal(text(s, 'emoji/😀'), 'smile');
  assert.equal(text(s, 'empty'), null);
  // the recovered session still owns its lock: destroying it releases the key
  await s.sessionDestroy(sess.id);
  assert.equal(s.kvGet('app/lock').value?.session, undefined);
  assert.equal(s.lastIndex, before.last + 1);
});

test('a crash image replays the log; writes continue at the next index', async (t) => {
  const { root, stores } = await setup(t);
  const s = await open(join(root, 'a'));
  stores.push(s);
  for (let i = 0; i < 20; i++) await s.kvSet(`k/${i}`, b(`v${i}`));
  await s.kvDelete('k/3');
  const image = await crashImage(s, join(root, 'a'), join(root, 'b'));
  const r = await open(image);
  stores.push(r);
  assert.equal(r.lastIndex, 22);
  assert.equal(text(r, 'k/19'), 'v19');
  assert.equal(r.kvGet('k/3').value, undefined);
  assert.equal(r.kvList('k/').index, 22);
  await r.kvSet('k/new', b('n'));
  assert.equal(r.kvGet('k/new').index, 23);
});

test('torn tails: appended garbage and a half-written record are dropped, nothing else', async (t) => {
  const { root, stores } = await setup(t);
  const s = await open(join(root, 'a'));
  stores.push(s);
  for (let i = 1; i <= 5; i++) await s.kvSet(`k${i}`, b(`value-${i}`));

  // 1. garbage after the last record
  const g = await crashImage(s, join(root, 'a'), join(root, 'garbage'));
  await appendFile(await walFile(g), Buffer.from([7, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
  let r = await open(g);
  assert.equal(r.lastIndex, 6);
  assert.equal(text(r, 'k5'), 'value-5');
  await r.kvSet('k6', b('after'));
  await r.close();
  r = await open(g);
  assert.equal(text(r, 'k6'), 'after', 'the log was truncated cleanly before appending');
  await r.close();

  // 2. the last record cut in the middle
  const h = await crashImage(s, join(root, 'a'), join(root, 'half'));
  const wal = await walFile(h);
  await truncate(wal, (await stat(wal)).size - 5);
  r = await open(h);
  assert.equal(r.lastIndex, 5, 'only the torn record is dropped');
  assert.equal(text(r, 'k4'), 'value-4');
  assert.equal(r.kvGet('k5').value, undefined);
  assert.ok((await stat(wal)).size < (await stat(await walFile(join(root, 'a')))).size);
  await r.close();
});

test('a segment left empty by a crash right after its creation is repaired', async (t) => {
  const { root, stores } = await setup(t);
  const dir = join(root, 'a');
  let s = await open(dir);
  await s.kvSet('k', b('1'));
  await s.close(); // snapshot + a fresh segment holding only its header
  await truncate(await walFile(dir), 0);
  s = await open(dir);
  await s.kvSet('k2', b('2'));
  const image = await crashImage(s, dir, join(root, 'b'));
  await s.close();
  const r = await open(image);
  stores.push(r);
  assert.equal(text(r, 'k'), '1');
  assert.equal(text(r, 'k2'), '2');
});

test('corruption in the middle of the log stops recovery with STORE_CORRUPT naming file and offset', async (t) => {
  const { root, stores } = await setup(t);
  const s = await open(join(root, 'a'));
  stores.push(s);
  for (let i = 1; i <= 5; i++) await s.kvSet(`key-${i}`, b(`value-${i}`));
  const image = await crashImage(s, join(root, 'a'), join(root, 'b'));
  const wal = await walFile(image);
  const bytes = await readFile(wal);
  const at = bytes.indexOf('value-2');
  bytes[at] ^= 0xff;
  await writeFile(wal, bytes);
  await assert.rejects(
    open(image),
    (e) =>
      isConfdError(e, ErrorCode.STORE_CORRUPT) &&
      e.message.includes(wal) &&
      /offset \d+/.test(e.message),
  );
});

test('a missing log segment is reported as corruption, not skipped', async (t) => {
  const { root } = await setup(t);
  const dir = join(root, 'a');
  const s = await open(dir, { snapshotEvery: 3 });
  for (let i = 0; i < 4; i++) await s.kvSet(`k${i}`, b('v'));
  await s.idle();
  await s.close();
  const names = await readdir(dir);
  // Drop the snapshot: the remaining segment no longer starts at record 2 (the first write).
  for (const n of names) if (n.startsWith('snapshot-')) await rm(join(dir, n));
  await assert.rejects(
    open(dir),
    (e) => isConfdError(e, ErrorCode.STORE_CORRUPT) && /records are missing/.test(e.message),
  );
});

test('snapshots bound the log; snapshot + log replay restores the state', async (t) => {
  const { root, stores } = await setup(t);
  const s = await open(join(root, 'a'), { snapshotEvery: 10 });
  stores.push(s);
  for (let i = 0; i < 35; i++) await s.kvSet(`s/${i % 12}`, b(`v${i}`));
  await s.kvDelete('s/0');
  assert.ok(s.stats().snapshots >= 3);
  const files = await readdir(join(root, 'a'));
  assert.equal(files.filter((f) => f.startsWith('snapshot-')).length, 1, files.join());
  assert.equal(files.filter((f) => f.startsWith('wal-')).length, 1, files.join());
  const image = await crashImage(s, join(root, 'a'), join(root, 'b'));
  const r = await open(image);
  stores.push(r);
  assert.equal(r.lastIndex, 37);
  assert.deepEqual(r.kvList('s/'), s.kvList('s/'));
  assert.equal(r.kvList('s/0').index, 37);
  // a damaged snapshot is reported, not silently ignored
  await r.close();
  const snap = (await readdir(image)).find((f) => f.startsWith('snapshot-'))!;
  const bytes = await readFile(join(image, snap));
  bytes[bytes.length - 3] ^= 0x55;
  await writeFile(join(image, snap), bytes);
  await assert.rejects(open(image), (e) => isConfdError(e, ErrorCode.STORE_CORRUPT));
});

test('group commit: concurrent writes share fsyncs, and every acknowledged write is durable', async (t) => {
  const { root, stores } = await setup(t);
  const s = await open(join(root, 'a'));
  stores.push(s);
  const n = 300;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => s.kvSet(`g/${i}`, b(String(i)))),
  );
  assert.ok(results.every((x) => x === true));
  const stats = s.stats();
  assert.ok(stats.fsyncs < n / 4, `${stats.fsyncs} fsyncs for ${n} writes`);
  assert.equal(stats.fsyncs, stats.batches);
  const image = await crashImage(s, join(root, 'a'), join(root, 'b'));
  const r = await open(image);
  stores.push(r);
  assert.equal(r.kvKeys('g/').value.length, n);
});

test('the data directory is created 0700 and its files 0600', async (t) => {
  const { root } = await setup(t);
  const dir = join(root, 'nested', 'data');
  const s = await open(dir, { snapshotEvery: 2 });
  await s.kvSet('a', b('1'));
  await s.kvSet('b', b('2'));
  await s.kvSet('c', b('3'));
  await s.close();
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const files = await readdir(dir);
  assert.ok(
    files.some((f) => f.startsWith('snapshot-')) && files.some((f) => f.startsWith('wal-')),
  );
  for (const f of files) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
});

test('options are validated', async () => {
  await assert.rejects(createStore({ nodeName: 'n' }), (e) =>
    isConfdError(e, ErrorCode.CONFIG_INVALID),
  );
  await assert.rejects(createStore({ dev: true, nodeName: '' }), /nodeName/);
});

/** failingOpen wraps real file handles so that fdatasync fails while `failures` > 0. */
function failingOpen(control: { failures: number }) {
  return async (path: string, flags: string, mode?: number): Promise<LogFile> => {
    const fh = await openFile(path, flags, mode);
    return new Proxy(fh, {
      get(target, prop) {
        // Both the thread-pool fdatasync and the synchronous one a lone record may get.
        if (prop === 'datasync' && control.failures > 0) {
          return () => {
            control.failures--;
            return Promise.reject(
              Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
            );
          };
        }
        if (prop === 'datasyncSync' && control.failures > 0) {
          return () => {
            control.failures--;
            throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  };
}

test('an I/O failure rejects the batch with STORE_IO and never acknowledges it', async (t) => {
  const { root, stores } = await setup(t);
  const dir = join(root, 'a');
  const control = { failures: 0 };
  const s = await createStore({
    dataDir: dir,
    nodeName: 'n',
    timerIntervalMs: 0,
    openLogFile: failingOpen(control),
  });
  stores.push(s);
  await s.kvSet('before', b('1'));
  control.failures = 1;
  const ac = new AbortController();
  let woken = false;
  const waiter = s.waitForChange({ kind: 'key', key: 'lost' }, ac.signal).then(
    () => (woken = true),
    () => undefined,
  );
  await assert.rejects(s.kvSet('lost', b('x')), (e) => isConfdError(e, ErrorCode.STORE_IO));
  assert.equal(s.kvGet('lost').value, undefined, 'a failed write is never visible');
  assert.equal(s.lastIndex, 2);
  // the log was cut back, so later writes go on at the next index
  await s.kvSet('after', b('2'));
  ac.abort();
  await waiter;
  assert.equal(woken, false, 'a failed write wakes nobody');
  assert.equal(s.kvGet('after').index, 3);
  // when even the cut-back fails, the log refuses further writes
  control.failures = 2;
  await assert.rejects(s.kvSet('lost2', b('x')), (e) => isConfdError(e, ErrorCode.STORE_IO));
  await assert.rejects(s.kvSet('lost3', b('x')), (e) => isConfdError(e, ErrorCode.STORE_IO));
  const image = await crashImage(s, dir, join(root, 'b'));
  const r = await open(image);
  stores.push(r);
  assert.deepEqual(r.kvKeys('').value, ['after', 'before']);
  assert.equal(r.lastIndex, 3);
});
