/**
 * Randomised check of the radix tree against a plain Map model: gets, lists, keys with separator,
 * the prefix-index rules across deletes and reaping, and a restart from snapshot + log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createStore, type StoreEngine } from '../../src/store/store.js';
import type { TxnKvOp } from '../../src/store/types.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const parts = ['a', 'b', 'ab', '/', 'ba/', 'x', '😀'];

function modelKeys(model: Map<string, string>, prefix: string, sep: string): string[] {
  const out: string[] = [];
  for (const key of [...model.keys()].filter((k) => k.startsWith(prefix)).sort()) {
    const at = sep === '' ? -1 : key.indexOf(sep, prefix.length);
    const k = at >= 0 ? key.slice(0, at + sep.length) : key;
    if (out.at(-1) !== k) out.push(k);
  }
  return out;
}

test('random operations match a Map model, and prefix indexes never go backwards', async (t) => {
  const root = await tempDir(t);
  let now = 0;
  const open = () =>
    createStore({
      dataDir: join(root, 'data'),
      nodeName: 'n',
      now: () => now,
      timerIntervalMs: 0,
      tombstoneTtlMs: 1000,
      snapshotEvery: 97,
    });
  let s: StoreEngine = await open();
  t.after(() => s.close());
  const random = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const randomKey = () =>
    Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(parts)).join('');
  const model = new Map<string, string>();
  const answered = new Map<string, number>();
  let snapshots = 0;
  const prefixes = ['', 'a', 'ab', 'b', 'a/', 'ba/', 'x', '😀', 'ab/', 'aa'];

  for (let step = 0; step < 1500; step++) {
    const r = random();
    const key = randomKey();
    if (r < 0.5) {
      const value = `v${step}`;
      await s.kvSet(key, Buffer.from(value));
      model.set(key, value);
    } else if (r < 0.8) {
      await s.kvDelete(key);
      model.delete(key);
    } else if (r < 0.85) {
      const prefix = key.slice(0, 1);
      await s.kvDelete(prefix, { recurse: true });
      for (const k of [...model.keys()]) if (k.startsWith(prefix)) model.delete(k);
    } else if (r < 0.9) {
      now += 600;
      await s.runTimers();
    } else if (r < 0.96) {
      // a transaction of sets and deletes, sometimes made to fail at its last op
      const ops: TxnKvOp[] = [];
      const next = new Map(model);
      for (let i = 0; i < 2 + Math.floor(random() * 4); i++) {
        const k = randomKey();
        if (random() < 0.6) {
          ops.push({ verb: 'set', key: k, value: Buffer.from(`t${step}.${i}`) });
          next.set(k, `t${step}.${i}`);
        } else {
          ops.push({ verb: 'delete', key: k });
          next.delete(k);
        }
      }
      const fail = random() < 0.5;
      if (fail) ops.push({ verb: 'get', key: 'never-written' });
      const result = await s.txn(ops);
      assert.equal(result.ok, !fail);
      if (!fail) {
        model.clear();
        for (const [k, v] of next) model.set(k, v);
      }
    } else if (r < 0.97) {
      snapshots += s.stats().snapshots;
      await s.close();
      s = await open();
    }
    for (const prefix of prefixes) {
      const list = s.kvList(prefix);
      const want = [...model.entries()].filter(([k]) => k.startsWith(prefix)).sort();
      assert.deepEqual(
        list.value.map((e) => [e.key, Buffer.from(e.value!).toString()]),
        want,
        `step ${step} list ${prefix}`,
      );
      for (const sep of ['', '/', 'b']) {
        assert.deepEqual(
          s.kvKeys(prefix, sep).value,
          modelKeys(model, prefix, sep),
          `step ${step} keys ${prefix} ${sep}`,
        );
      }
      const before = answered.get(prefix);
      if (want.length > 0 && before !== undefined) {
        assert.ok(list.index >= before, `step ${step}: index of ${prefix} went backwards`);
      }
      if (want.length > 0) answered.set(prefix, Math.max(before ?? 0, list.index));
      assert.ok(list.index <= s.kvList('').index);
    }
    const get = s.kvGet(key);
    assert.equal(get.value && Buffer.from(get.value.value!).toString(), model.get(key));
  }
  assert.ok(snapshots + s.stats().snapshots >= 3, 'snapshots were taken along the way');
});
