/**
 * Replicated servers: three `confd agent -server` processes sharing one command log in a real
 * three-member etcd cluster, all on loopback (this file's block is 127.0.31.0/24). What a user
 * sees: a write on any server is read on every other (also by blocking queries), every server
 * names the same leader, kill -9 of the leader during writes loses no acknowledged write, and
 * with etcd's quorum gone writes fail with Consul's `No cluster leader` while `?stale` reads
 * still answer.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetch } from 'undici';
import { confd, startClusterAgent, type ClusterAgent } from '../helpers/cluster.js';
import { startEtcd } from '../helpers/etcd.js';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { isLinearizable, type Op } from '../helpers/linearizability.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { createEtcdGateway } from '../../src/backends/etcd-gateway.js';
import { EtcdCalls } from '../../src/replication/etcd-calls.js';
import { decodeEntry, EntryEncoder } from '../../src/replication/entry-codec.js';
import type { Command } from '../../src/store/commands.js';
import { needs, tools } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const skip = needs(tools.etcd);

interface Group {
  readonly etcd: EtcdCluster;
  readonly servers: ClusterAgent[];
  restart(i: number): Promise<ClusterAgent>;
}

/** agentConfig writes the servers' config file: a 2 s leader lease, plus `config`. */
async function agentConfig(t: TestContext, config: Record<string, unknown> = {}): Promise<string> {
  const file = join(await tempDir(t, 'confd-repl-'), 'agent.json');
  await writeFile(file, JSON.stringify({ etcd_lease_ttl: '2s', ...config }));
  return file;
}

/** serverSpec is server s<i> on 127.0.31.(10+i), its log in etcd at `endpoints`, with `more` flags. */
function serverSpec(i: number, endpoints: string, ...more: string[]) {
  return {
    name: `s${i}`,
    ip: `127.0.31.${10 + i}`,
    server: true,
    extra: ['-etcd-endpoints', endpoints, ...more],
  };
}

/**
 * startGroup starts etcd and three servers s0..s2 on 127.0.31.(10+i) with a 2 s leader lease;
 * `config` adds agent config keys. `restart(i)` starts server i again on its data dir, or a new
 * server s<i> with an empty one.
 */
async function startGroup(
  t: TestContext,
  config: Record<string, unknown> = {},
  etcdArgs: readonly string[] = [],
): Promise<Group> {
  const etcd = await startEtcdCluster(t, 3, etcdArgs);
  const configFile = await agentConfig(t, config);
  const specOf = (i: number, dataDir?: string) => ({
    ...serverSpec(i, etcd.endpoints, '-config-file', configFile),
    ...(dataDir ? { dataDir } : {}),
  });
  const servers = await Promise.all([0, 1, 2].map((i) => startClusterAgent(t, specOf(i))));
  return {
    etcd,
    servers,
    async restart(i) {
      servers[i] = await startClusterAgent(t, specOf(i, servers[i]?.dataDir));
      return servers[i];
    },
  };
}

function put(agent: { url: string }, key: string, value: string) {
  return fetch(`${agent.url}/v1/kv/${key}`, { method: 'PUT', body: value });
}

async function getJson(url: string): Promise<{ status: number; body: unknown; index: number }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a text answer
  }
  return { status: res.status, body, index: Number(res.headers.get('x-consul-index')) };
}

async function leaderOf(agent: { url: string }): Promise<string> {
  return (await getJson(`${agent.url}/v1/status/leader`)).body as string;
}

test(
  'three servers share one log: writes read everywhere, one leader, blocking queries wake',
  { skip },
  async (t) => {
    const { servers } = await startGroup(t);
    const [s0, s1, s2] = servers;

    // One leader, the same on every server, and all three listed as peers.
    const leader = await waitFor(
      async () => {
        const seen = await Promise.all(servers.map(leaderOf));
        return seen[0] !== '' && seen.every((l) => l === seen[0]) ? seen[0] : undefined;
      },
      { timeoutMs: 15_000, what: 'one leader named by every server' },
    );
    const peers = (await getJson(`${s1.url}/v1/status/peers`)).body as string[];
    assert.deepEqual([...peers].sort(), servers.map((s) => `${s.ip}:8300`).sort());
    assert.ok(peers.includes(leader));

    // A blocking query parked on s2 wakes on a write sent to s0.
    const first = await getJson(`${s2.url}/v1/kv/app/color`);
    assert.equal(first.status, 404);
    const parked = getJson(`${s2.url}/v1/kv/app/color?index=${first.index}&wait=20s`);
    assert.equal((await put(s0, 'app/color', 'blue')).status, 200);
    const woken = await parked;
    assert.equal(woken.status, 200);
    const [entry] = woken.body as { Value: string; ModifyIndex: number }[];
    assert.equal(Buffer.from(entry.Value, 'base64').toString(), 'blue');

    // ?consistent on every server sees it, with the same index everywhere.
    const reads = await Promise.all(
      servers.map((s) => getJson(`${s.url}/v1/kv/app/color?consistent`)),
    );
    for (const r of reads) {
      assert.equal(r.status, 200);
      assert.equal((r.body as { ModifyIndex: number }[])[0].ModifyIndex, entry.ModifyIndex);
    }

    // A CAS is decided once, in log order: of two CAS writes with the same index, one wins.
    const cas = entry.ModifyIndex;
    const answers = await Promise.all(
      [s1, s2].map(async (s, i) => {
        const res = await fetch(`${s.url}/v1/kv/app/color?cas=${cas}`, {
          method: 'PUT',
          body: `v${i}`,
        });
        return (await res.text()).trim();
      }),
    );
    assert.deepEqual([...answers].sort(), ['false', 'true']);

    // The operator view: one leader among three voters, in the API and in the CLI's columns.
    const raft = (await getJson(`${s0.url}/v1/operator/raft/configuration`)).body as {
      Servers: { Node: string; Address: string; Leader: boolean; Voter: boolean }[];
    };
    assert.deepEqual(
      raft.Servers.map((s) => s.Node),
      ['s0', 's1', 's2'],
    );
    assert.deepEqual(
      raft.Servers.filter((s) => s.Leader).map((s) => s.Address),
      [leader],
    );
    const peersCli = await confd(['operator', 'raft', 'list-peers', '-http-addr', s1.httpAddr]);
    assert.equal(peersCli.code, 0, peersCli.stderr);
    const lines = peersCli.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^Node +ID +Address +State +Voter +RaftProtocol +Commit Index +Trails Leader By$/,
    );
    assert.equal(lines.length, 4);
    assert.equal(lines.filter((l) => / leader +true +3 +\d+ +-$/.test(l)).length, 1);
    assert.equal(lines.filter((l) => / follower +true +3 +\d+ +\d+ commits?$/.test(l)).length, 2);
    const health = await getJson(`${s2.url}/v1/operator/autopilot/health`);
    assert.equal(health.status, 200);
    assert.equal(
      (health.body as { Healthy: boolean; FailureTolerance: number }).FailureTolerance,
      1,
    );

    // The member table is shared: every server lists all three as alive servers.
    for (const s of servers) {
      const list = (await getJson(`${s.url}/v1/agent/members`)).body as {
        Name: string;
        Status: number;
      }[];
      assert.deepEqual(
        list.map((m) => [m.Name, m.Status]),
        [
          ['s0', 1],
          ['s1', 1],
          ['s2', 1],
        ],
      );
    }
  },
);

test(
  'kill -9 of the leader during writes: no acknowledged write is lost, a new leader takes over, the server catches up',
  { skip },
  async (t) => {
    const group = await startGroup(t);
    const { servers } = group;
    const leaderAddr = await waitFor(async () => (await leaderOf(servers[0])) || undefined, {
      timeoutMs: 15_000,
      what: 'a leader',
    });
    const victim = servers.findIndex((s) => `${s.ip}:8300` === leaderAddr);
    assert.ok(victim >= 0);

    // Three writers, each on its own server, write distinct keys until told to stop; a write that
    // fails (its server died) moves on to the next server. Only 200 answers count as acknowledged.
    const acked = new Set<string>();
    let stop = false;
    const writer = async (w: number) => {
      let target = w;
      for (let n = 0; !stop; n++) {
        const key = `load/w${w}/${n}`;
        for (;;) {
          const s = group.servers[target % 3];
          const ok = await put(s, key, String(n))
            .then((r) => r.status === 200)
            .catch(() => false);
          if (ok) {
            acked.add(key);
            break;
          }
          target++;
          if (stop) return;
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    await waitFor(() => acked.size >= 150, { timeoutMs: 20_000, what: '150 writes' });
    servers[victim].kill();
    await servers[victim].exited;
    const survivors = servers.filter((_, i) => i !== victim);

    // A new leader, named by both survivors, within the lease time (plus etcd's election).
    await waitFor(
      async () => {
        const seen = await Promise.all(survivors.map(leaderOf));
        return seen[0] !== '' && seen[0] !== leaderAddr && seen.every((l) => l === seen[0]);
      },
      { timeoutMs: 15_000, what: 'a new leader on both survivors' },
    );
    const before = acked.size;
    await waitFor(() => acked.size >= before + 150, {
      timeoutMs: 20_000,
      what: 'writes after the kill',
    });

    // The killed server comes back on its data dir and catches up.
    await group.restart(victim);
    await waitFor(() => acked.size >= before + 300, {
      timeoutMs: 20_000,
      what: 'writes after the restart',
    });
    stop = true;
    await Promise.all(writers);

    const listings = await Promise.all(
      group.servers.map(async (s) => {
        const r = await getJson(`${s.url}/v1/kv/load/?recurse&consistent`);
        assert.equal(r.status, 200);
        return r.body as { Key: string; Value: string; ModifyIndex: number }[];
      }),
    );
    const keys = new Set(listings[0].map((e) => e.Key));
    const lost = [...acked].filter((k) => !keys.has(k));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged writes lost`);
    // The same state on every server, to the index.
    assert.deepEqual(listings[1], listings[0]);
    assert.deepEqual(listings[2], listings[0]);
  },
);

test(
  'etcd quorum lost: writes fail with No cluster leader, ?stale reads answer, everything resumes',
  { skip },
  async (t) => {
    const { etcd, servers } = await startGroup(t);
    const [s0, s1] = servers;
    assert.equal((await put(s0, 'q/before', 'x')).status, 200);
    await waitFor(async () => (await getJson(`${s1.url}/v1/kv/q/before?stale`)).status === 200, {
      what: 'the write on s1',
    });

    // One member of three down: writes continue.
    await etcd.members[2].kill();
    assert.equal((await put(s0, 'q/one-down', 'x')).status, 200);

    // Two of three down: no quorum.
    await etcd.members[1].kill();
    const refused = await put(s1, 'q/no-quorum', 'x');
    assert.equal(refused.status, 500);
    assert.equal((await refused.text()).trim(), 'No cluster leader');
    const stale = await getJson(`${s1.url}/v1/kv/q/before?stale`);
    assert.equal(stale.status, 200);

    // Back: the writes go through again, and nothing acknowledged was lost.
    await Promise.all([etcd.members[1].restart(), etcd.members[2].restart()]);
    await waitFor(async () => (await put(s1, 'q/after', 'x')).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'a write after etcd recovered',
    });
    for (const s of servers) {
      const r = await getJson(`${s.url}/v1/kv/q/?keys&consistent`);
      assert.equal(r.status, 200);
      const keys = r.body as string[];
      for (const k of ['q/before', 'q/one-down', 'q/after'])
        assert.ok(keys.includes(k), `${k} on ${s.name}`);
    }
  },
);

test(
  'a log entry put twice (a retried append that had committed) is applied once',
  { skip },
  async (t) => {
    const { etcd, servers } = await startGroup(t);
    const [s0, s1] = servers;
    assert.equal((await put(s0, 'dup/k', 'one')).status, 200);
    const first = await getJson(`${s1.url}/v1/kv/dup/k?consistent`);
    const index = (first.body as { ModifyIndex: number }[])[0].ModifyIndex;
    assert.equal((await put(s0, 'dup/k', 'two')).status, 200);

    // Put the very bytes of the first entry again, as a put retried after a timeout would: applied
    // a second time it would set dup/k back to "one".
    const logKey = Buffer.from('/confd/dc1/log').toString('base64');
    const range = (await etcd.post('/v3/kv/range', { key: logKey, revision: String(index) })) as {
      kvs: { value: string }[];
    };
    await etcd.post('/v3/kv/put', { key: logKey, value: range.kvs[0].value });
    assert.equal((await put(s0, 'dup/marker', 'm')).status, 200);
    for (const s of servers) {
      const r = await getJson(`${s.url}/v1/kv/dup/k?consistent`);
      const [entry] = r.body as { Value: string }[];
      assert.equal(Buffer.from(entry.Value, 'base64').toString(), 'two', s.name);
    }
  },
);

test(
  'a server 10,000 revisions behind after compaction, and a new server, catch up from the snapshot in etcd',
  { skip },
  async (t) => {
    const group = await startGroup(t, {
      raft_snapshot_interval: '300ms',
      raft_snapshot_threshold: 20,
    });
    const { etcd, servers } = group;
    for (let i = 0; i < 30; i++)
      assert.equal((await put(servers[0], `c/before/${i}`, 'v')).status, 200);
    await waitFor(
      async () => (await getJson(`${servers[2].url}/v1/kv/c/before/29?stale`)).status === 200,
      {
        what: 's2 has the first writes',
      },
    );
    servers[2].kill();
    await servers[2].exited;

    // s2 is down while the log moves on by more than 10,000 revisions (most of them other keys under
    // the log's prefix, which every server's watch skips) and the leader snapshots and compacts.
    for (let i = 0; i < 100; i++)
      assert.equal((await put(servers[i % 2], `c/during/${i}`, 'v')).status, 200);
    const junk = Array.from({ length: 10_000 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        for (let i = w; i < junk.length; i += 32) {
          await etcd.post('/v3/kv/put', {
            key: Buffer.from(`/confd/dc1/other/${i}`).toString('base64'),
            value: Buffer.from('x').toString('base64'),
          });
        }
      }),
    );
    assert.equal((await put(servers[0], 'c/last', 'v')).status, 200);
    const logKey = Buffer.from('/confd/dc1/log').toString('base64');
    await waitFor(
      async () => {
        // The revision s2 stopped at is gone from etcd's history once compaction passed it.
        const res = await fetch(`${etcd.members[0].url}/v3/kv/range`, {
          method: 'POST',
          body: JSON.stringify({ key: logKey, revision: '40' }),
        });
        return !res.ok && /compacted/.test(await res.text());
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'compaction past s2' },
    ).catch((err: unknown) => {
      const logs = servers.map((s) => `${s.name}:\n${s.output()}`).join('\n');
      throw new Error(`${String(err)}\n${logs}`);
    });

    await group.restart(2);
    const fresh = await group.restart(3);
    const listing = async (s: { url: string }) =>
      (await getJson(`${s.url}/v1/kv/c/?recurse&consistent`)).body as unknown[];
    const want = await listing(servers[0]);
    assert.equal(want.length, 131);
    assert.deepEqual(await listing(group.servers[2]), want);
    assert.deepEqual(await listing(fresh), want);
    assert.match(group.servers[2].output(), /installed the snapshot of revision \d+ from etcd/);
  },
);

test(
  'a client agent forwards to any replicated server, also after the one it joined dies',
  { skip },
  async (t) => {
    const { servers } = await startGroup(t);
    const client = await startClusterAgent(t, {
      name: 'c0',
      ip: '127.0.31.20',
      extra: ['-retry-join', servers[0].ip, '-retry-interval', '200ms'],
    });
    await waitFor(async () => (await put(client, 'via/client', 'one')).status === 200, {
      timeoutMs: 15_000,
      what: 'a write through the client',
    });
    // The client's node reaches the shared catalog; every server lists it.
    for (const s of servers) {
      await waitFor(
        async () => {
          const nodes = (await getJson(`${s.url}/v1/catalog/nodes`)).body as { Node: string }[];
          return nodes.some((n) => n.Node === 'c0');
        },
        { timeoutMs: 15_000, what: `c0 in ${s.name}'s catalog` },
      );
    }
    servers[0].kill();
    await servers[0].exited;
    await waitFor(async () => (await put(client, 'via/client', 'two')).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'a write through the client after its server died',
    });
    const r = await getJson(`${servers[1].url}/v1/kv/via/client?consistent`);
    const [entry] = r.body as { Value: string }[];
    assert.equal(Buffer.from(entry.Value, 'base64').toString(), 'two');
  },
);

test(
  'CAS increments and consistent reads on every server stay linearizable while servers and etcd members die',
  { skip },
  async (t) => {
    const group = await startGroup(t);
    const { etcd } = group;
    const keys = ['lin/a', 'lin/b', 'lin/c'];
    const histories = new Map<string, Op[]>(keys.map((k) => [k, []]));
    const now = () => performance.now();
    /** A request refused before it reached the server certainly did not happen. */
    const refused = (err: unknown) =>
      /ECONNREFUSED/.test(String((err as { cause?: { code?: string } }).cause?.code ?? err));
    let stop = false;
    const client = async (c: number) => {
      for (let i = c; !stop; i++) {
        const key = keys[i % keys.length];
        const server = () => group.servers[(i + c) % 3];
        const history = histories.get(key)!;
        let value: number;
        let index: number;
        const readCall = now();
        try {
          const res = await fetch(`${server().url}/v1/kv/${key}?consistent`, {
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status === 404) {
            await res.text();
            [value, index] = [0, 0];
          } else if (res.status === 200) {
            const [e] = (await res.json()) as { Value: string; ModifyIndex: number }[];
            [value, index] = [Number(Buffer.from(e.Value, 'base64').toString()), e.ModifyIndex];
          } else {
            await res.text();
            continue;
          }
        } catch {
          continue; // a failed read tells nothing
        }
        history.push({ kind: 'read', call: readCall, ret: now(), value });
        const casCall = now();
        try {
          const res = await fetch(`${server().url}/v1/kv/${key}?cas=${index}`, {
            method: 'PUT',
            body: String(value + 1),
            signal: AbortSignal.timeout(10_000),
          });
          const text = (await res.text()).trim();
          const ok = res.status === 200 ? text === 'true' : undefined;
          history.push({
            kind: 'cas',
            call: casCall,
            ret: ok === undefined ? Infinity : now(),
            from: value,
            ok,
          });
        } catch (err) {
          if (!refused(err))
            history.push({ kind: 'cas', call: casCall, ret: Infinity, from: value, ok: undefined });
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, c) => client(c));
    const count = () => [...histories.values()].reduce((n, h) => n + h.length, 0);
    const progress = async (more: number, what: string) => {
      const target = count() + more;
      await waitFor(() => count() >= target, { timeoutMs: 30_000, what });
    };
    await progress(200, 'operations before the faults');
    group.servers[1].kill();
    await group.servers[1].exited;
    await progress(200, 'operations with a server down');
    await group.restart(1);
    await etcd.members[0].kill();
    await progress(200, 'operations with an etcd member down');
    await etcd.members[0].restart();
    group.servers[2].kill();
    await group.servers[2].exited;
    await group.restart(2);
    await progress(200, 'operations after the restarts');
    stop = true;
    await Promise.all(clients);

    for (const key of keys) {
      const history = histories.get(key)!;
      assert.ok(
        isLinearizable(history),
        `the history of ${key} (${history.length} ops) is not linearizable`,
      );
      // The counter: its final value is the number of increments that took effect.
      const acked = history.filter((o) => o.kind === 'cas' && o.ok === true).length;
      const unknown = history.filter((o) => o.kind === 'cas' && o.ok === undefined).length;
      const final = await getJson(`${group.servers[0].url}/v1/kv/${key}?consistent&raw`);
      const value = final.status === 404 ? 0 : Number(final.body);
      assert.ok(
        value >= acked && value <= acked + unknown,
        `${key}: ${value} after ${acked} acknowledged (+${unknown} unknown)`,
      );
    }
  },
);

test(
  'a value of the largest size replicates; etcd out of space answers a clear error and the servers keep serving',
  { skip },
  async (t) => {
    // A 4 MiB quota: a few large values fill it.
    const { servers } = await startGroup(t, {}, ['--quota-backend-bytes', String(4 * 1024 * 1024)]);
    const [s0, s1] = servers;
    const big = 'b'.repeat(512 * 1024);
    assert.equal((await put(s0, 'big/0', big)).status, 200);
    const read = await getJson(`${s1.url}/v1/kv/big/0?consistent&raw`);
    assert.equal(read.status, 200);
    assert.equal(String(read.body).length, big.length);

    let answer: { status: number; text: string } | undefined;
    for (let i = 1; i < 40 && answer === undefined; i++) {
      const res = await put(s0, `big/${i}`, big);
      const text = (await res.text()).trim();
      if (res.status !== 200) answer = { status: res.status, text };
    }
    assert.ok(answer, 'etcd never ran out of space');
    assert.equal(answer.status, 500);
    assert.match(answer.text, /database space exceeded/);
    // Nothing crashed: reads still answer on every server.
    for (const s of servers) {
      assert.equal((await getJson(`${s.url}/v1/kv/big/0?stale&keys`)).status, 200);
    }
  },
);

test(
  'a leader cut off from etcd stops leading before another starts, and its sessions expire once',
  { skip },
  async (t) => {
    const etcd = await startEtcdCluster(t);
    const configFile = await agentConfig(t);
    // s0 reaches etcd only through proxies that the test can cut.
    const proxies = await Promise.all(
      etcd.members.map((m) => startTcpProxy(t, m.url.replace('http://', ''))),
    );
    const spec = (i: number, endpoints: string) =>
      serverSpec(i, endpoints, '-config-file', configFile);
    const s0 = await startClusterAgent(
      t,
      spec(0, proxies.map((p) => `http://${p.address}`).join(',')),
    );
    await waitFor(async () => (await leaderOf(s0)) === '127.0.31.10:8300', {
      timeoutMs: 15_000,
      what: 's0 leading',
    });
    const [s1, s2] = await Promise.all(
      [1, 2].map((i) => startClusterAgent(t, spec(i, etcd.endpoints))),
    );

    // A session without checks, so that only its TTL can end it (after 2 x 10 s without renewal).
    const created = await fetch(`${s0.url}/v1/session/create`, {
      method: 'PUT',
      body: JSON.stringify({ TTL: '10s', Checks: [] }),
    });
    const { ID: id } = (await created.json()) as { ID: string };
    await waitFor(
      async () => (await getJson(`${s1.url}/v1/session/info/${id}?consistent`)).status === 200,
      {
        what: 'the session on s1',
      },
    );

    for (const p of proxies) p.cut();
    const newLeader = await waitFor(
      async () => {
        const l = await leaderOf(s1);
        return l !== '' && l !== '127.0.31.10:8300' ? l : undefined;
      },
      { timeoutMs: 20_000, what: 'a new leader' },
    );
    const successor = newLeader === '127.0.31.11:8300' ? s1 : s2;
    // Fencing: s0 said it stopped leading before the successor said it started (one clock: one host).
    const stamp = (out: string, what: RegExp) => {
      const line = out.split('\n').find((l) => what.test(l));
      return line === undefined ? Number.NaN : Date.parse(line.slice(0, 24));
    };
    // Both lines reach this process through pipes, a little after /v1/status/leader changes.
    await waitFor(() => /cluster leadership lost/.test(s0.output()), { what: 's0 giving up' });
    await waitFor(() => /cluster leadership acquired/.test(successor.output()), {
      what: `${successor.name} taking over`,
    });
    const lost = stamp(s0.output(), /cluster leadership lost/);
    const acquired = stamp(successor.output(), /cluster leadership acquired/);
    assert.ok(lost < acquired, `s0 lost at ${lost}, ${successor.name} acquired at ${acquired}`);

    // The session expires (the new leader's duty) while s0 is cut off; then s0 is back.
    await waitFor(
      async () => {
        const r = await getJson(`${s1.url}/v1/session/info/${id}?consistent`);
        return r.status === 200 && Array.isArray(r.body) && r.body.length === 0;
      },
      { timeoutMs: 40_000, intervalMs: 250, what: 'the session expiring' },
    );
    for (const p of proxies) p.restore();
    await waitFor(
      async () => {
        const r = await getJson(`${s0.url}/v1/session/info/${id}?consistent`);
        return r.status === 200 && Array.isArray(r.body) && r.body.length === 0;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 's0 seeing it expired' },
    );
    // Exactly one session-destroy for it in the whole log.
    const destroys = await countInLog(
      etcd.members[0].url,
      (c) => c.type === 'session-destroy' && c.id === id,
    );
    assert.equal(destroys, 1);
  },
);

/** countInLog decodes every entry of the log's history in etcd and counts matching commands. */
async function countInLog(url: string, match: (c: Command) => boolean): Promise<number> {
  const calls = new EtcdCalls(await createEtcdGateway({ nodes: [url] }));
  const head = (await calls.range('/confd/dc1/log', false)).kvs[0]?.modRevision ?? 0;
  let count = 0;
  const stop = new AbortController();
  try {
    for await (const m of calls.watch('/confd/dc1/log', 1, stop.signal)) {
      if (m.kind !== 'events') continue;
      for (const e of m.events) {
        if (e.type === 'PUT') count += decodeEntry(e.kv.value).commands.filter(match).length;
        if (e.kv.modRevision >= head) stop.abort();
      }
      if (stop.signal.aborted) break;
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    await calls.close();
  }
  return count;
}

test(
  'a watch stream cut in the middle of a long catch-up resumes where it stopped',
  { skip },
  async (t) => {
    const etcd = await startEtcdCluster(t);
    const configFile = await agentConfig(t);
    const s0 = await startClusterAgent(
      t,
      serverSpec(0, etcd.endpoints, '-config-file', configFile),
    );
    // 3,000 log entries, each setting one key, put straight into etcd as a writer would.
    const logKey = Buffer.from('/confd/dc1/log').toString('base64');
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < 3000; i += 16) {
          const encoder = new EntryEncoder({ writer: `bulk-${w}`, seq: Math.floor(i / 16) + 1 });
          encoder.add({ type: 'kv-set', key: `bulk/${i}`, value: 'v', flags: 0n, mode: 'set' });
          await etcd.post('/v3/kv/put', { key: logKey, value: encoder.bytes().toString('base64') });
        }
      }),
    );
    // A new server whose first connection to etcd is reset after 64 KiB: mid-way through the watch's
    // catch-up (the other calls carry far less).
    const proxy = await startTcpProxy(t, etcd.members[0].url.replace('http://', ''), {
      resetOnceAfterBytes: 64 * 1024,
    });
    const s1 = await startClusterAgent(
      t,
      serverSpec(1, `http://${proxy.address}`, '-config-file', configFile),
    );
    const keys = async (s: { url: string }) =>
      (await getJson(`${s.url}/v1/kv/bulk/?keys&consistent`)).body as string[];
    const want = await keys(s0);
    assert.equal(want.length, 3000);
    assert.deepEqual(await keys(s1), want);
    assert.equal(proxy.resets, 1, 'the catch-up was never cut');
  },
);

test(
  'a replicated server authenticates to etcd; with a wrong password it does not start, and says why',
  { skip },
  async (t) => {
    const etcd = await startEtcd(t);
    await etcd.post('/v3/auth/user/add', { name: 'root', password: 'rootpw' });
    await etcd.post('/v3/auth/user/grant', { user: 'root', role: 'root' });
    await etcd.post('/v3/auth/enable', {});
    const auth = (password: string) => ['-etcd-username', 'root', '-etcd-password', password];
    const good = await startClusterAgent(t, serverSpec(0, etcd.url, ...auth('rootpw')));
    assert.equal((await put(good, 'auth/k', 'v')).status, 200);
    assert.equal((await getJson(`${good.url}/v1/kv/auth/k?consistent&raw`)).body, 'v');

    // A server that cannot write its own registration within the hold time does not start: it
    // exits 1 with Consul's text, the reason logged before it.
    await assert.rejects(
      startClusterAgent(t, {
        ...serverSpec(1, etcd.url, ...auth('wrong')),
        options: { timeoutMs: 30_000 },
      }),
      (err: Error) => {
        assert.match(err.message, /agent exited with 1/);
        assert.match(err.message, /etcd authentication as root failed/);
        assert.match(err.message, /==> No cluster leader/);
        return true;
      },
    );
  },
);
