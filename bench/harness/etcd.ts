/**
 * Starting etcd 3.4 (`/usr/bin/etcd`, Debian `etcd-server`) for a side-by-side bench: a single
 * member on free loopback ports with its data dir under the bench's work dir (same disk as the
 * agent's), stopped after the bench.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { etcdMemberArgs } from '../../test/helpers/etcd.js';
import { freePort } from '../../test/helpers/free-port.js';
import { spawnServer, type ServerProcess } from './process.js';
import type { BenchContext } from './types.js';

/** ETCD_BIN is the etcd server binary the benches compare against. */
export const ETCD_BIN = '/usr/bin/etcd';

/** BenchEtcd is a running etcd. */
export interface BenchEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly process: ServerProcess;
  /** put writes a key through the v3 JSON gateway. */
  put(key: string, value: string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** b64 encodes text or bytes as standard base64 (etcd's JSON gateway wants base64 keys/values). */
export function b64(value: string | Buffer): string {
  return Buffer.from(value).toString('base64');
}

/** startBenchEtcd starts etcd and waits until its JSON gateway answers. */
export async function startBenchEtcd(ctx: BenchContext, name = 'etcd'): Promise<BenchEtcd> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = await spawnServer({
    command: ETCD_BIN,
    args: etcdMemberArgs({ name, dataDir: join(ctx.workDir, `${name}-data`), url, peer }),
    ready: /serving client traffic|ready to serve client requests|serving insecure client requests/,
    timeoutMs: 60_000,
  });
  ctx.defer(() => proc.stop());
  const put = async (key: string, value: string | Buffer): Promise<void> => {
    const res = await request(`${url}/v3/kv/put`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: b64(key), value: b64(value) }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`etcd put: ${res.statusCode} ${text}`);
  };
  // The gateway may lag the "ready" log line briefly; the first put doubles as the readiness probe.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await put('bench/probe', 'x');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, process: proc, put, stop: () => proc.stop() };
}
