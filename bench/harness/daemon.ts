/**
 * The daemon under test for the render benches: a confdir with its resources, and `bin/confd
 * -watch -log-level warn` started on it, stopped after the bench. At `warn` the daemon prints no
 * ready line, so each bench waits for readiness in its own way (a store answer, a first render).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childStopper } from './process.js';
import type { BenchContext } from './types.js';

/** makeConfdir creates `confdir/conf.d`, `confdir/templates` and the targets' directory `out`. */
export async function makeConfdir(confdir: string, out: string): Promise<void> {
  await mkdir(join(confdir, 'conf.d'), { recursive: true });
  await mkdir(join(confdir, 'templates'));
  await mkdir(out);
}

/** BenchResource is one template resource: `conf.d/<name>.toml` rendering `templates/<name>.tmpl`. */
export interface BenchResource {
  readonly name: string;
  /** File name of the resource in `conf.d` when it is not `<name>.toml`. */
  readonly toml?: string;
  readonly dest: string;
  readonly keys: readonly string[];
  readonly template: string;
}

/** writeResource writes one resource's TOML and template into `confdir`. */
export async function writeResource(confdir: string, resource: BenchResource): Promise<void> {
  const src = `${resource.name}.tmpl`;
  const keys = resource.keys.map((k) => JSON.stringify(k)).join(', ');
  await writeFile(
    join(confdir, 'conf.d', resource.toml ?? `${resource.name}.toml`),
    `[template]\nsrc = ${JSON.stringify(src)}\ndest = ${JSON.stringify(resource.dest)}\n` +
      `keys = [${keys}]\n`,
  );
  await writeFile(join(confdir, 'templates', src), resource.template);
}

/**
 * oneResourceConfdir makes a confdir `dir` with one resource whose target is `dir/out/<file>`,
 * and returns that target's path.
 */
export async function oneResourceConfdir(
  dir: string,
  resource: Omit<BenchResource, 'dest'> & { readonly file: string },
): Promise<string> {
  const { file, ...rest } = resource;
  await makeConfdir(dir, join(dir, 'out'));
  const target = join(dir, 'out', file);
  await writeResource(dir, { ...rest, dest: target });
  return target;
}

/** WatchDaemon is a running `confd -watch`. */
export interface WatchDaemon {
  readonly child: ChildProcess;
  /** The last 4,000 characters the daemon wrote to stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** StartWatchDaemonOptions configure {@link startWatchDaemon}. */
export interface StartWatchDaemonOptions {
  /** Names the daemon in the progress line logged if it exits before being stopped. */
  readonly label: string;
  readonly confdir: string;
  /** Backend flags after `-watch -log-level warn`, e.g. `-store-addr 127.0.0.1:<port>`. */
  readonly args: readonly string[];
  /** Another confd executable with the same flags (the real confd); default `node bin/confd`. */
  readonly command?: string | undefined;
}

/**
 * startWatchDaemon spawns `node bin/confd -confdir <confdir> -config-file /nonexistent/confd.toml
 * -watch -log-level warn <args>` (no config file: flags only). It does not wait for readiness.
 * It is stopped after the bench; an exit before that is logged with the end of its stderr.
 */
export function startWatchDaemon(ctx: BenchContext, options: StartWatchDaemonOptions): WatchDaemon {
  const [command, ...head] =
    options.command === undefined
      ? [process.execPath, join(ctx.repoRoot, 'bin', 'confd')]
      : [options.command];
  const child = spawn(
    command ?? process.execPath,
    [
      ...head,
      '-confdir',
      options.confdir,
      '-config-file',
      '/nonexistent/confd.toml',
      '-watch',
      '-log-level',
      'warn',
      ...options.args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopChild = childStopper(child, exited);
  let stopped = false;
  const stop = (): Promise<void> => {
    stopped = true;
    return stopChild();
  };
  ctx.defer(stop);
  void exited.then(() => {
    if (!stopped) ctx.log(`${options.label} daemon exited early: ${err.slice(-1000)}`);
  });
  return { child, stderr: () => err, stop };
}
