/**
 * Test helper: a real 3-member (or n-member) etcd cluster on loopback, each member on free ports
 * with its own data dir, whose members can be killed (SIGKILL) and started again with the same
 * data. Tests declare `needs(tools.etcd)`.
 */
import type { TestContext } from 'node:test';
import { fetch } from 'undici';
import { startChildServer, type ChildServer } from './etcd.js';
import { freePort } from './free-port.js';
import { toolPath, tools } from './system-tools.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** EtcdMember is one member of a test cluster. */
export interface EtcdMember {
  readonly name: string;
  readonly url: string;
  /** SIGKILLs the member (no-op when down). */
  kill(): Promise<void>;
  /** Starts the member again on its data dir (after kill). */
  restart(): Promise<void>;
}

/** EtcdCluster is a started cluster. */
export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Every member's client URL, comma-separated (for `-etcd-endpoints`). */
  readonly endpoints: string;
  /** post sends a JSON body to a gateway path on the first member that answers. */
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
}

/** startEtcdCluster starts n members and waits until the cluster is healthy. */
export async function startEtcdCluster(t: TestContext, n = 3): Promise<EtcdCluster> {
  const dir = await tempDir(t, 'confd-etcd-cluster-');
  const specs: { name: string; url: string; peer: string }[] = [];
  for (let i = 0; i < n; i++) {
    specs.push({
      name: `e${i}`,
      url: `http://127.0.0.1:${await freePort()}`,
      peer: `http://127.0.0.1:${await freePort()}`,
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  const argsOf = (s: (typeof specs)[number]) => [
    '--name',
    s.name,
    '--data-dir',
    `${dir}/${s.name}`,
    '--listen-client-urls',
    s.url,
    '--advertise-client-urls',
    s.url,
    '--listen-peer-urls',
    s.peer,
    '--initial-advertise-peer-urls',
    s.peer,
    '--initial-cluster',
    initialCluster,
    '--initial-cluster-state',
    'new',
    '--logger',
    'zap',
    '--log-level',
    'info',
    // Short elections keep failover tests quick (the defaults are 100 ms / 1 s).
    '--heartbeat-interval',
    '50',
    '--election-timeout',
    '500',
  ];
  const servers = new Map<string, ChildServer>();
  const start = async (s: (typeof specs)[number]) => {
    const ready = /serving client traffic|ready to serve client requests/;
    servers.set(s.name, await startChildServer(t, toolPath(tools.etcd), argsOf(s), ready, 20_000));
  };
  await Promise.all(specs.map(start));
  const healthy = (url: string) =>
    fetch(`${url}/health`)
      .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
      .catch(() => false);
  await waitFor(async () => (await Promise.all(specs.map((s) => healthy(s.url)))).every(Boolean), {
    timeoutMs: 20_000,
    intervalMs: 50,
    what: 'a healthy etcd cluster',
  });
  const post = async (path: string, body: unknown) => {
    let last: unknown;
    for (const s of specs) {
      try {
        const res = await fetch(`${s.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
        const json = (await res.json()) as Record<string, unknown>;
        if (res.ok) return json;
        last = new Error(`etcd ${path}: ${res.status} ${JSON.stringify(json)}`);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  return {
    endpoints: specs.map((s) => s.url).join(','),
    post,
    members: specs.map((s) => ({
      name: s.name,
      url: s.url,
      async kill() {
        const server = servers.get(s.name);
        if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
        const exited = new Promise((resolve) => server.child.once('exit', resolve));
        server.child.kill('SIGKILL');
        await exited;
      },
      async restart() {
        await start(s);
      },
    })),
  };
}
