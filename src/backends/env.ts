/**
 * The env backend: confd's environment-variable store client. A key `/database/host` is looked up
 * as every variable whose NAME STARTS WITH `DATABASE_HOST`, and a variable name maps back to the key
 * `/` + lowercase name with `_` → `/` (so keys can never contain `_`; confd issues #531, #737).
 */
import { untilAborted } from './abort.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** EnvBackendOptions configures {@link createEnvBackend}. */
export interface EnvBackendOptions {
  /** The environment to read; read afresh on every getValues. */
  env: Readonly<Record<string, string | undefined>>;
}

/** envNameOf maps a confd key to the environment-variable name prefix confd looks for. */
export function envNameOf(key: string): string {
  return key.replace(/^\//, '').replaceAll('/', '_').toUpperCase();
}

/** envKeyOf maps an environment-variable name to the confd key it is served as. */
export function envKeyOf(name: string): string {
  return `/${name}`.toLowerCase().replaceAll('_', '/');
}

/** EnvBackend serves keys from an environment map. */
class EnvBackend implements Backend {
  readonly name = 'env';
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(options: EnvBackendOptions) {
    this.#env = options.env;
  }

  getValues(keys: readonly string[]): Promise<Map<string, string>> {
    const vars = new Map<string, string>();
    const prefixes = [...new Set(keys.map(envNameOf))];
    for (const [name, value] of Object.entries(this.#env)) {
      if (value === undefined) continue;
      if (prefixes.some((p) => name.startsWith(p))) vars.set(envKeyOf(name), value);
    }
    return Promise.resolve(vars);
  }

  /**
   * The first call returns 1 so the daemon renders once. Later calls wait until aborted: the
   * environment of a running process does not change. (Upstream confd blocks forever even on the
   * first call, so `-watch` with env never renders anything; we render once.)
   */
  watchPrefix(_prefix: string, options: WatchPrefixOptions): Promise<number> {
    if (options.signal.aborted || options.waitIndex !== 0) return untilAborted(options.signal);
    return Promise.resolve(1);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** createEnvBackend builds the env backend over an environment map. */
export function createEnvBackend(options: EnvBackendOptions): Backend {
  return new EnvBackend(options);
}
