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

/** EtcdMemberSpec names one member and its client and peer URLs. */
export interface EtcdMemberSpec {
  readonly name: string;
  readonly url: string;
  readonly peer: string;
}

/**
 * etcdClusterMemberArgs are the flags of one member of a new cluster of `all` (data under dir),
 * with short elections for quick failovers (shared with the benches).
 */
export function etcdClusterMemberArgs(
  member: EtcdMemberSpec,
  all: readonly EtcdMemberSpec[],
  dir: string,
): string[] {
  return [
    '--name',
    member.name,
    '--data-dir',
    `${dir}/${member.name}`,
    '--listen-client-urls',
    member.url,
    '--advertise-client-urls',
    member.url,
    '--listen-peer-urls',
    member.peer,
    '--initial-advertise-peer-urls',
    member.peer,
    '--initial-cluster',
    all.map((s) => `${s.name}=${s.peer}`).join(','),
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
}

/** startEtcdCluster starts n members and waits until the cluster is healthy. */
export async function startEtcdCluster(
  t: TestContext,
  n = 3,
  extraArgs: readonly string[] = [],
): Promise<EtcdCluster> {
  const root = await tempDir(t, 'confd-etcd-cluster-');
  let specs: EtcdMemberSpec[] = [];
  let dir = root;
  const servers = new Map<string, ChildServer>();
  const start = async (s: EtcdMemberSpec) => {
    const ready = /serving client traffic|ready to serve client requests/;
    const args = [...etcdClusterMemberArgs(s, specs, dir), ...extraArgs];
    servers.set(s.name, await startChildServer(t, toolPath(tools.etcd), args, ready, 20_000));
  };
  // A free port can be taken by a test running beside this one before etcd binds it: try again
  // with other ports (and a fresh data dir, since a member that started may have written one).
  for (let attempt = 0; ; attempt++) {
    dir = `${root}/attempt-${attempt}`;
    specs = [];
    for (let i = 0; i < n; i++) {
      specs.push({
        name: `e${i}`,
        url: `http://127.0.0.1:${await freePort()}`,
        peer: `http://127.0.0.1:${await freePort()}`,
      });
    }
    const started = await Promise.allSettled(specs.map(start));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed === undefined) break;
    await Promise.all([...servers.values()].map((server) => server.stop()));
    servers.clear();
    if (attempt >= 2) throw failed.reason;
  }
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
