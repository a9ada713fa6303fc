/**
 * Test helper: runs the real `confd agent` (the bundled Consul-compatible store) as a child process
 * on a free port and stops it after the test.
 *
 * The agent announces its bound HTTP address on stdout with Consul's start-up line
 * `Client Addr: [127.0.0.1] (HTTP: <port>, HTTPS: -1, gRPC: -1, DNS: -1)`; the helper waits for it.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Agent, request } from 'undici';
import { createHttpApi } from '../../src/store/http/index.js';
import type { HttpApi, HttpApiOptions } from '../../src/store/http/index.js';
import { createStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { confdBin } from './paths.js';

/** RunningAgent is a started `confd agent` child process. */
export interface RunningAgent {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Sends `signal` (default SIGTERM) and resolves to the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILLs the agent at once (crash simulation); `stop()` still resolves afterwards. */
  kill(): void;
  /** Resolves to the exit code once the agent has exited (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the agent wrote so far, stdout and stderr interleaved. */
  output(): string;
}

/** StartAgentOptions tune {@link startAgent}. */
export interface StartAgentOptions {
  env?: Record<string, string>;
  /** How long to wait for the announce line. Default 10 s. */
  timeoutMs?: number;
  /** Add `-dev`; default: when args name neither `-dev` nor `-data-dir`. */
  dev?: boolean;
  /**
   * Run a client agent: no `-server -bootstrap` is added. Default false: an agent with a
   * `-data-dir` gets `-server -bootstrap` unless args name `-server`.
   */
  client?: boolean;
}

const announce = /Client Addr: \[([^\]]+)\] \(HTTP: (\d+)/;

/**
 * startAgent spawns `bin/confd agent -dev -http-port 0 -serf-lan-port 0 -server-port 0 ...args`
 * (`-server -bootstrap` instead of `-dev` when args name a `-data-dir`, unless options.client; no
 * port flag that args set themselves) and resolves once it listens.
 */
export async function startAgent(
  t: TestContext,
  args: string[] = [],
  options: StartAgentOptions = {},
): Promise<RunningAgent> {
  const names = args.map((a) => a.replace(/^--?/, '').split('=')[0]);
  const base: string[] = [];
  const dev = options.dev ?? (!names.includes('data-dir') && !names.includes('dev'));
  if (dev && !names.includes('dev')) base.push('-dev');
  if (!dev && !options.client && !names.includes('server')) base.push('-server', '-bootstrap');
  if (!names.includes('http-port')) base.push('-http-port', '0');
  // Free cluster ports, so that agents of parallel tests never meet on 8300/8301.
  if (!names.includes('serf-lan-port')) base.push('-serf-lan-port', '0');
  if (!names.includes('server-port')) base.push('-server-port', '0');
  const child = spawn(process.execPath, [confdBin, 'agent', ...base, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });

  const ready = new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agent did not announce its address in time; output:\n${out}`)),
      options.timeoutMs ?? 10_000,
    );
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const m = announce.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ host: m[1].split(' ')[0], port: Number(m[2]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening; output:\n${out}`));
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  // After the test: SIGTERM, then SIGKILL if the agent has not exited within 5 s.
  t.after(async () => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await stop();
    clearTimeout(timer);
  });

  const { host, port } = await ready;
  const pid = child.pid ?? 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    pid,
    stop,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    exited,
    output: () => out,
  };
}

/**
 * agentStartFails runs `confd agent -dev -http-port 0 -dns-port -1 ...args` expecting start-up
 * to fail with exit 1; returns stderr.
 */
export async function agentStartFails(args: readonly string[]): Promise<string> {
  const argv = [confdBin, 'agent', '-dev', '-http-port', '0', '-dns-port', '-1', ...args];
  const result = await promisify(execFile)(process.execPath, argv, { timeout: 10_000 }).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(result.code, 1, result.stderr);
  return result.stderr;
}

/** HttpReply is a raw HTTP answer. */
export interface HttpReply {
  readonly status: number;
  /** Header values by lower-case name; repeated headers joined with `, `. */
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** RunningApi is an in-process HTTP API over a fresh in-memory store. */
export interface RunningApi {
  readonly url: string;
  readonly api: HttpApi;
  readonly store: Store;
  /** Sends one request (keep-alive 10 ms) and reads the whole answer. */
  readonly request: (
    method: string,
    path: string,
    body?: string | Uint8Array,
    headers?: Record<string, string>,
  ) => Promise<HttpReply>;
}

/**
 * startApi serves `createHttpApi` over `createStore({ dev: true })` on 127.0.0.1:0 in this process,
 * closed (API, then store) after the test.
 */
export async function startApi(
  t: TestContext,
  options: Partial<HttpApiOptions> = {},
): Promise<RunningApi> {
  const store = options.store ?? (await createStore({ dev: true, nodeName: 'test-node' }));
  const api = createHttpApi({ nodeName: 'test-node', ...options, store });
  const { port } = await api.listen(0, '127.0.0.1');
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  t.after(async () => {
    await api.close();
    await store.close();
    await dispatcher.close();
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    api,
    store,
    request: async (method, path, body, headers) => {
      const res = await request(url + path, {
        method: method,
        body,
        headers,
        dispatcher,
      });
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers: flat, text: await res.body.text() };
    },
  };
}
