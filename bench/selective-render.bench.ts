/**
 * Selective re-rendering of the daemon in `-watch` mode (embedded backend): 1,000 resources over
 * 10,000 keys (resource i has keys = ["/app/<i, 4 digits>"] and reads its 10 keys); one key change must
 * re-render exactly its one dependant, within 50 ms of the PUT's acknowledgement.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { freePort } from '../test/helpers/free-port.js';
import { makeConfdir, startWatchDaemon, writeResource } from './harness/daemon.js';
import { watchFile } from './harness/file-watch.js';
import { infoFigure, limitFigure } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

const KEYS_PER_RESOURCE = 10;

/**
 * id names resource i's key prefix, zero-padded so that no prefix is a prefix of another: confd
 * matches keys by plain string prefix, so `/app/5` would also depend on `/app/50/k3`.
 */
const id = (i: number): string => String(i).padStart(4, '0');
/** Consul's limit on operations in one `/v1/txn`. */
const TXN_OPS = 64;

function content(values: (k: number) => string): string {
  const lines: string[] = [];
  for (let k = 0; k < KEYS_PER_RESOURCE; k++) lines.push(`k${k}=${values(k)}`);
  return `${lines.join('\n')}\n`;
}

/** fingerprint is a target's inode and nanosecond mtime: it changes when a render renames. */
async function fingerprint(path: string): Promise<string> {
  const st = await stat(path, { bigint: true });
  return `${st.ino}:${st.mtimeNs}`;
}

async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const bench: Bench = {
  name: 'selective-render',
  description: '1,000 resources over 10,000 keys: one key change re-renders only its dependant',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const resources = ctx.quick ? 100 : 1000;
    const dir = join(ctx.workDir, 'confdir');
    const out = join(ctx.workDir, 'out');
    await makeConfdir(dir, out);
    const target = (i: number): string => join(out, `app-${i}.conf`);
    for (let i = 0; i < resources; i++) {
      await writeResource(dir, {
        name: `app-${i}`,
        toml: `app-${id(i)}.toml`,
        dest: target(i),
        keys: [`/app/${id(i)}`],
        template: content((k) => `{{getv "/app/${id(i)}/k${k}" "unset"}}`),
      });
    }
    const port = await freePort();
    startWatchDaemon(ctx, {
      label: 'selective-render',
      confdir: dir,
      args: ['-store-addr', `127.0.0.1:${port}`, '-data-dir', join(ctx.workDir, 'data')],
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
    ctx.defer(() => pool.close());

    ctx.log(`waiting for the first render of ${resources} targets`);
    await waitFor('first render', () => stat(target(resources - 1)).then(() => true), 120_000);

    ctx.log(`loading ${resources * KEYS_PER_RESOURCE} keys`);
    const value = (i: number, k: number): string => `v-${i}-${k}`;
    let ops: { KV: { Verb: string; Key: string; Value: string } }[] = [];
    const flush = async (): Promise<void> => {
      if (ops.length === 0) return;
      const res = await pool.request({ path: '/v1/txn', method: 'PUT', body: JSON.stringify(ops) });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`PUT /v1/txn: ${res.statusCode} ${text}`);
      ops = [];
    };
    for (let i = 0; i < resources; i++) {
      for (let k = 0; k < KEYS_PER_RESOURCE; k++) {
        const b64 = Buffer.from(value(i, k)).toString('base64');
        ops.push({ KV: { Verb: 'set', Key: `app/${id(i)}/k${k}`, Value: b64 } });
        if (ops.length === TXN_OPS) await flush();
      }
    }
    await flush();
    await waitFor(
      'every target to hold its keys',
      async () => {
        for (let i = 0; i < resources; i++) {
          const text = await readFile(target(i), 'utf8');
          if (text !== content((k) => value(i, k))) return false;
        }
        return true;
      },
      300_000,
    );
    // Let any render in flight settle before taking the fingerprints.
    await sleep(1000);
    const before: string[] = [];
    for (let i = 0; i < resources; i++) before.push(await fingerprint(target(i)));

    const chosen = Math.floor(resources / 2);
    const newValue = 'changed';
    const expected = content((k) => (k === 3 ? newValue : value(chosen, k)));
    // Every render writes a stage file `.app-<i>.conf<digits>` next to its target, even when the
    // content turns out unchanged, so stage files count renders that replace nothing.
    const staged = new Set<number>();
    const stageName = /^\.app-(\d+)\.conf\d+$/;
    const changed = watchFile(
      target(chosen),
      (text) => text === expected,
      (filename) => {
        const m = filename === null ? null : stageName.exec(filename);
        if (m) staged.add(Number(m[1]));
      },
    );
    let ackAt: number;
    try {
      const res = await pool.request({
        path: `/v1/kv/app/${id(chosen)}/k3`,
        method: 'PUT',
        body: newValue,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200 || text.trim() !== 'true') {
        throw new Error(`PUT: ${res.statusCode} ${text}`);
      }
      ackAt = performance.now();
      await changed.check();
      await waitFor(
        'the changed target',
        () => Promise.resolve(!Number.isNaN(changed.seenAt)),
        10_000,
      );
      // Give unrelated renders, if any, time to happen before counting.
      await sleep(2000);
    } finally {
      changed.close();
    }
    const rendered: number[] = [];
    for (let i = 0; i < resources; i++) {
      if ((await fingerprint(target(i))) !== before[i]) rendered.push(i);
    }
    const ms = Math.max(0, changed.seenAt - ackAt);
    const touched = [...new Set([...staged, ...rendered])].sort((a, b) => a - b);
    const countOk = touched.length === 1 && touched[0] === chosen;
    return [
      {
        ok: countOk,
        line:
          `selective-render ${resources} resources / ${resources * KEYS_PER_RESOURCE} keys: one key ` +
          `change re-rendered ${touched.length} resource(s) (target exactly 1, /app/${id(chosen)})`,
      },
      limitFigure('selective-render PUT ack -> dependant renamed', ms * 1000, 50_000, 'us'),
      infoFigure(
        `selective-render: stage files written for ${staged.size} resource(s) ` +
          `(${[...staged].slice(0, 10).join(', ')}); targets replaced: ${rendered.slice(0, 10).join(', ')}${rendered.length > 10 ? ', ...' : ''}`,
      ),
    ];
  },
};

export default bench;
