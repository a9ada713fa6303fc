/**
 * Test helper: clusters of real `confd agent` processes on loopback addresses (127.0.x.y all route
 * to `lo`), each with Consul's default ports on its own address, as agents in containers run; and
 * the `confd` CLI run as a child process. Each test file uses its own 127.0.x.0/24 block so that
 * files running side by side never meet on a port.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startAgent, type RunningAgent, type StartAgentOptions } from './agent.js';
import { confdBin } from './paths.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** ClusterAgent is a started agent of a test cluster. */
export interface ClusterAgent extends RunningAgent {
  readonly name: string;
  readonly ip: string;
  readonly dataDir: string;
  /** The arguments it was started with (to restart it the same way). */
  readonly args: readonly string[];
  /** `-http-addr` for the CLI. */
  readonly httpAddr: string;
}

/** AgentSpec describes an agent of a test cluster. */
export interface AgentSpec {
  readonly name: string;
  /** Its own loopback address: bind, advertise and client address. */
  readonly ip: string;
  readonly server?: boolean;
  /** Reuse this data dir (a restart); default a new temp dir. */
  readonly dataDir?: string;
  /** More flags, e.g. `-retry-join 127.0.10.2` or `-encrypt KEY`. */
  readonly extra?: readonly string[];
  readonly options?: StartAgentOptions;
}

/** startClusterAgent starts one agent on its own address with default ports (DNS off). */
export async function startClusterAgent(t: TestContext, spec: AgentSpec): Promise<ClusterAgent> {
  const dataDir = spec.dataDir ?? join(await tempDir(t), spec.name);
  const args = [
    ...(spec.server ? ['-server', '-bootstrap'] : []),
    '-data-dir',
    dataDir,
    '-node',
    spec.name,
    '-bind',
    spec.ip,
    '-client',
    spec.ip,
    '-http-port',
    '8500',
    '-serf-lan-port',
    '8301',
    '-server-port',
    '8300',
    '-dns-port',
    '-1',
    ...(spec.extra ?? []),
  ];
  const agent = await startAgent(t, args, { client: !spec.server, ...spec.options });
  return { ...agent, name: spec.name, ip: spec.ip, dataDir, args, httpAddr: `${spec.ip}:8500` };
}

/** CliRun is the outcome of one `confd` CLI command. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** confd runs `bin/confd ...args` to completion (20 s limit). */
export function confd(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [confdBin, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** SerfMemberJson is an element of `/v1/agent/members`. */
export interface SerfMemberJson {
  readonly Name: string;
  readonly Addr: string;
  readonly Port: number;
  readonly Status: number;
  readonly Tags: Record<string, string>;
}

/** The Serf status numbers. */
export const ALIVE = 1;
export const LEAVING = 2;
export const LEFT = 3;
export const FAILED = 4;

/** members reads an agent's `/v1/agent/members`. */
export async function members(agent: { url: string }): Promise<SerfMemberJson[]> {
  const res = await fetch(`${agent.url}/v1/agent/members`);
  return (await res.json()) as SerfMemberJson[];
}

/** statusOf is a member's status number as `agent` sees it (undefined: not listed). */
export async function statusOf(agent: { url: string }, name: string): Promise<number | undefined> {
  return (await members(agent)).find((m) => m.Name === name)?.Status;
}

/** waitForStatus waits until `agent` lists `name` with `status` (`undefined`: not listed). */
export async function waitForStatus(
  agent: { url: string; name?: string },
  name: string,
  status: number | undefined,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    async () => {
      const now = await statusOf(agent, name).catch(() => -1);
      return status === undefined ? now === undefined : now === status;
    },
    {
      timeoutMs,
      intervalMs: 50,
      what: `${agent.name ?? agent.url} to see ${name} with status ${status}`,
    },
  );
}
