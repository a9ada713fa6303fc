/**
 * Test helper: runs a real single-member etcd (3.4; tests declare `needs(tools.etcd)`) on free
 * loopback ports with a per-test data dir, waits until `/health` answers, and kills it after the
 * test. Also exports the child-server plumbing (start/stop a server process) that ./redis.ts
 * reuses.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { Agent, fetch } from 'undici';
import { freePort } from './free-port.js';
import { toolPath, tools } from './system-tools.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** RunningEtcd is a started etcd. */
export interface RunningEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  stop(): Promise<void>;
  /** put writes a key through the v3 JSON gateway and returns the new revision. */
  put(key: string, value: string): Promise<number>;
  /** del deletes a key (or, with `prefix`, every key under it) through the gateway. */
  del(key: string, prefix?: boolean): Promise<void>;
  /** post sends any JSON body to a gateway path (e.g. `/v3/auth/enable`) and returns the answer. */
  post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>>;
}

/** EtcdMemberOptions name a single-member etcd cluster's member and its URLs. */
export interface EtcdMemberOptions {
  readonly name: string;
  readonly dataDir: string;
  /** The client URL (listen and advertise). */
  readonly url: string;
  /** The peer URL (listen, advertise and the one-member initial cluster). */
  readonly peer: string;
}

/** etcdMemberArgs are the etcd flags of a new single-member cluster (shared with the benches). */
export function etcdMemberArgs(options: EtcdMemberOptions): string[] {
  const { name, dataDir, url, peer } = options;
  return [
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `${name}=${peer}`,
    '--initial-cluster-state',
    'new',
    '--logger',
    'zap',
  ];
}

// Child-server plumbing, shared with ./redis.ts.

/** ChildServer is a started server process. */
export interface ChildServer {
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERMs (then SIGKILLs after 5 s) and waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * startChildServer spawns `command args`, resolves once `ready` matches its output (stdout or
 * stderr), and registers the stop with `t.after`. Rejects with the output if it exits first.
 */
export async function startChildServer(
  t: TestContext,
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 15_000,
): Promise<ChildServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const server: ChildServer = {
    child,
    output: () => out,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  t.after(() => server.stop());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${command} not ready after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${command} exited before it was ready:\n${out}`));
    });
  });
  return server;
}

/** StartEtcdOptions tune {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Serve clients over https and require a client certificate signed by `ca` (PEM paths). */
  tls?: { ca: string; cert: string; key: string; clientCert: string; clientKey: string };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** prefixEnd is etcd's range end for "every key starting with key". */
function prefixEnd(key: string): string {
  const bytes = Buffer.from(key);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] ?? 0) < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i] = (end[i] ?? 0) + 1;
      return end.toString('base64');
    }
  }
  return b64('\0');
}

/** startEtcd starts etcd and waits for it to be healthy. */
export async function startEtcd(
  t: TestContext,
  options: StartEtcdOptions = {},
): Promise<RunningEtcd> {
  const dir = await tempDir(t, 'confd-etcd-');
  const { tls } = options;
  // With TLS, the helper's own requests present the client certificate too.
  const dispatcher = tls
    ? new Agent({
        connect: {
          ca: await readFile(tls.ca),
          cert: await readFile(tls.clientCert),
          key: await readFile(tls.clientKey),
        },
      })
    : undefined;
  if (dispatcher) t.after(() => dispatcher.close());
  const tlsArgs = tls
    ? [
        '--cert-file',
        tls.cert,
        '--key-file',
        tls.key,
        '--trusted-ca-file',
        tls.ca,
        '--client-cert-auth',
      ]
    : [];
  for (let attempt = 0; ; attempt++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    let server;
    try {
      server = await startChildServer(
        t,
        toolPath(tools.etcd),
        [
          ...etcdMemberArgs({ name: 'test', dataDir: `${dir}/data-${attempt}`, url, peer }),
          '--log-level',
          'info',
          ...tlsArgs,
        ],
        /serving client traffic|ready to serve client requests/,
      );
    } catch (err) {
      if (attempt >= 2) throw err;
      continue;
    }
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, {
        dispatcher,
        method: 'POST',
        headers: token ? { authorization: token } : {},
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    await waitFor(
      async () => {
        const res = await fetch(`${url}/health`, { dispatcher });
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { timeoutMs: 15_000, what: 'etcd health' },
    );
    return {
      url,
      stop: () => server.stop(),
      post,
      async put(key, value) {
        const json = await post('/v3/kv/put', { key: b64(key), value: b64(value) });
        return Number((json.header as { revision?: string }).revision);
      },
      async del(key, prefix = false) {
        await post('/v3/kv/deleterange', {
          key: b64(key),
          ...(prefix ? { range_end: prefixEnd(key) } : {}),
        });
      },
    };
  }
}
