/**
 * Test helper: the system tools some tests run (etcd, redis-server, dig, openssl), found on `PATH`
 * and in the Debian directories, with the Debian package that installs each. A test that needs one
 * declares it, and is skipped with the reason when the tool is missing:
 *
 *     test('etcd ...', { skip: needs(tools.etcd) }, async (t) => { ... });
 *
 * With `CI=true` a missing tool is never a skip: the test runs and fails where it first uses the
 * tool, with an error naming the tool and its package. `CONFD_TEST_TOOL_PATH` (colon-separated
 * directories), when set, replaces `PATH` and the Debian directories, so that a run can hide an
 * installed tool (`CONFD_TEST_TOOL_PATH=/nonexistent` hides them all).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** SystemTool is an executable some tests run, and the Debian package that installs it. */
export interface SystemTool {
  /** The executable's file name, e.g. `redis-server`. */
  readonly name: string;
  /** The Debian package that installs it, e.g. `etcd-server`. */
  readonly debianPackage: string;
}

/** tools are the system tools the tests use; add one here, then declare it with {@link needs}. */
export const tools = {
  etcd: { name: 'etcd', debianPackage: 'etcd-server' },
  redis: { name: 'redis-server', debianPackage: 'redis-server' },
  dig: { name: 'dig', debianPackage: 'dnsutils' },
  openssl: { name: 'openssl', debianPackage: 'openssl' },
} as const satisfies Record<string, SystemTool>;

/** ToolEnv is the environment a lookup reads (`PATH`, `CI`, `CONFD_TEST_TOOL_PATH`). */
export type ToolEnv = Readonly<Record<string, string | undefined>>;

/** Debian's directories for executables, searched after `PATH` (root's `sbin` may be off it). */
const debianDirs = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

/** Found paths (or misses) by search directories and tool name: the file system is read once. */
const cache = new Map<string, string | undefined>();

/** searchDirs are the absolute directories searched, in order, without duplicates. */
export function searchDirs(env: ToolEnv = process.env): string[] {
  const override = env.CONFD_TEST_TOOL_PATH;
  const dirs =
    override !== undefined
      ? override.split(delimiter)
      : [...(env.PATH ?? '').split(delimiter), ...debianDirs];
  return [...new Set(dirs.filter((d) => isAbsolute(d)))];
}

/** isExecutableFile reports whether `path` is a regular file (links followed) we may execute. */
function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** findTool is the absolute path of the first executable `tool.name` found, or undefined. */
export function findTool(tool: SystemTool, env: ToolEnv = process.env): string | undefined {
  const dirs = searchDirs(env);
  const key = `${dirs.join(delimiter)}\0${tool.name}`;
  if (!cache.has(key)) {
    const found = dirs.map((d) => join(d, tool.name)).find((p) => isExecutableFile(p));
    cache.set(key, found);
  }
  return cache.get(key);
}

/** isCi reports whether the run is CI's (`CI=true`), where every test must run. */
function isCi(env: ToolEnv): boolean {
  return env.CI === 'true';
}

/** notInstalled says which tools are missing and how to install them. */
function notInstalled(missing: readonly SystemTool[]): string {
  const names = missing.map((t) => t.name).join(', ');
  const packages = [...new Set(missing.map((t) => t.debianPackage))].join(' ');
  return `${names} not installed (apt-get install ${packages})`;
}

/**
 * skipReason is the `skip` option of a test that runs `required`: false when they are all found
 * (or under `CI=true`), else e.g. `etcd not installed (apt-get install etcd-server)`.
 */
export function skipReason(
  required: readonly SystemTool[],
  env: ToolEnv = process.env,
): string | false {
  if (isCi(env)) return false;
  const missing = required.filter((t) => findTool(t, env) === undefined);
  return missing.length === 0 ? false : notInstalled(missing);
}

/** needs is {@link skipReason} for this process: `test(name, { skip: needs(tools.dig) }, fn)`. */
export function needs(...required: SystemTool[]): string | false {
  return skipReason(required);
}

/**
 * needsDirectory is the `skip` option of a test that reads `dir`, which lives outside the checkout
 * (e.g. confd's integration fixtures in ../shared): false when it exists (or under `CI=true`, where
 * the test then fails on the missing files), else `<what> not found at <dir>`.
 */
export function needsDirectory(
  dir: string,
  what: string,
  env: ToolEnv = process.env,
): string | false {
  if (isCi(env)) return false;
  try {
    if (statSync(dir).isDirectory()) return false;
  } catch {
    // Missing: skipped below.
  }
  return `${what} not found at ${dir}`;
}

/**
 * toolPath is the absolute path of `tool`, for helpers to run it. A missing tool throws: under
 * `CI=true` saying that CI requires it, otherwise that the test should declare it with `needs`.
 */
export function toolPath(tool: SystemTool, env: ToolEnv = process.env): string {
  const path = findTool(tool, env);
  if (path !== undefined) return path;
  const key = Object.entries(tools).find(([, t]) => t.name === tool.name)?.[0] ?? '...';
  throw new Error(
    isCi(env)
      ? `${notInstalled([tool])}: CI=true requires every system tool the tests use`
      : `${notInstalled([tool])}: declare the test with { skip: needs(tools.${key}) }`,
  );
}
