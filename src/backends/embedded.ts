/**
 * The embedded backend: the bundled store in the same process. Reads go straight to
 * `store.kvList` with confd's Consul key mapping, and watchPrefix parks on
 * `store.waitForChange` for the prefix — no HTTP, no polling. It hands out the prefix's
 * blocking-query index (Consul's rules), so writes outside the prefix do not wake it.
 */
import type { KvEntry, Store } from '../store/types.js';
import { throwIfAborted } from './abort.js';
import { confdKeyOf, consulKeyOf, coveringPrefixes, nextWaitIndex } from './consul-keys.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** EmbeddedBackendOptions configures {@link createEmbeddedBackend}. */
export interface EmbeddedBackendOptions {
  store: Store;
  /** The name reported as {@link Backend.name}. Default `embedded`. */
  name?: string | undefined;
}

function valueOf(entry: KvEntry): string {
  return entry.value === null ? '' : Buffer.from(entry.value).toString();
}

/** EmbeddedBackend reads the bundled store directly. It does not own (or close) the store. */
class EmbeddedBackend implements Backend {
  readonly name: string;
  readonly #store: Store;
  readonly #closer = new AbortController();

  constructor(options: EmbeddedBackendOptions) {
    this.name = options.name ?? 'embedded';
    this.#store = options.store;
  }

  getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    throwIfAborted(signal);
    const vars = new Map<string, string>();
    for (const prefix of coveringPrefixes(keys)) {
      for (const entry of this.#store.kvList(prefix).value) {
        vars.set(confdKeyOf(entry.key), valueOf(entry));
      }
    }
    return Promise.resolve(vars);
  }

  async watchPrefix(prefix: string, options: WatchPrefixOptions): Promise<number> {
    const { waitIndex } = options;
    const signal = AbortSignal.any([options.signal, this.#closer.signal]);
    const scope = { kind: 'prefix', prefix: consulKeyOf(prefix) } as const;
    for (;;) {
      throwIfAborted(signal);
      const { index } = this.#store.kvList(scope.prefix);
      const next = nextWaitIndex(index, waitIndex);
      if (waitIndex === 0 || next !== waitIndex) return next;
      // Registered synchronously right after the read it guards, as the Store contract asks.
      await this.#store.waitForChange(scope, signal);
    }
  }

  close(): Promise<void> {
    this.#closer.abort();
    return Promise.resolve();
  }
}

/** createEmbeddedBackend builds the backend over an open bundled store. */
export function createEmbeddedBackend(options: EmbeddedBackendOptions): Backend {
  return new EmbeddedBackend(options);
}
