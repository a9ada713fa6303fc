/**
 * The embedded backend: the bundled store in the same process. Reads go straight to
 * `store.kvList` with confd's Consul key mapping, and watchPrefix parks on
 * `store.waitForChange` for the prefix — no HTTP, no polling. It hands out the prefix's
 * blocking-query index (Consul's rules), so writes outside the prefix do not wake it.
 */
import type { CatalogStore } from '../store/catalog/catalog-store.js';
import type { KvEntry, Store } from '../store/types.js';
import type { ServiceInstance, ServiceLookupRequest } from '../template/types.js';
import { throwIfAborted } from './abort.js';
import { confdKeyOf, consulKeyOf, coveringPrefixes, nextWaitIndex } from './consul-keys.js';
import { sortInstances } from './service-lookups.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** EmbeddedBackendOptions configures {@link createEmbeddedBackend}. */
export interface EmbeddedBackendOptions {
  store: Store;
  /** The name reported as {@link Backend.name}. Default `embedded`. */
  name?: string | undefined;
  /** The store's service catalog, for the `service`/`services`/`nodes` template functions. */
  catalog?: CatalogStore | undefined;
}

function valueOf(entry: KvEntry): string {
  return entry.value === null ? '' : Buffer.from(entry.value).toString();
}

/** EmbeddedBackend reads the bundled store directly. It does not own (or close) the store. */
class EmbeddedBackend implements Backend {
  readonly name: string;
  readonly #store: Store;
  readonly #catalog: CatalogStore | undefined;
  readonly #closer = new AbortController();

  constructor(options: EmbeddedBackendOptions) {
    this.name = options.name ?? 'embedded';
    this.#store = options.store;
    this.#catalog = options.catalog;
  }

  async watchServices(
    request: ServiceLookupRequest,
    options: { waitIndex: number; signal: AbortSignal },
  ): Promise<number> {
    const catalog = this.#catalog;
    if (catalog === undefined)
      throw new Error('service lookups need a store with a service catalog');
    const signal = AbortSignal.any([options.signal, this.#closer.signal]);
    const scope =
      request.kind === 'service'
        ? ({ kind: 'service', name: request.name } as const)
        : ({ kind: 'catalog-table', table: request.kind } as const);
    for (;;) {
      throwIfAborted(signal);
      const state = catalog.catalogState();
      // Consul never hands out index 0 (a blocking query would return at once): floor it at 1.
      // The same indexes the health and catalog reads answer with, without building their lists.
      const index = Math.max(
        1,
        request.kind === 'service'
          ? state.serviceIndex(request.name)
          : request.kind === 'nodes'
            ? state.nodesIndex
            : state.servicesIndex,
      );
      if (options.waitIndex === 0 || index !== options.waitIndex) return index;
      // Registered right after the read it guards; only this service's changes wake it.
      await catalog.waitForCatalog(scope, signal);
    }
  }

  getServices(request: ServiceLookupRequest, signal?: AbortSignal): Promise<unknown[]> {
    throwIfAborted(signal);
    if (this.#catalog === undefined) {
      return Promise.reject(new Error('service lookups need a store with a service catalog'));
    }
    const state = this.#catalog.catalogState();
    if (request.kind === 'nodes') {
      return Promise.resolve(
        state.nodes().value.map((n) => ({ Node: n.node, Address: n.address })),
      );
    }
    if (request.kind === 'services') {
      const all = state.services().value;
      return Promise.resolve(
        Object.keys(all)
          .sort()
          .map((name) => ({ Name: name, Tags: [...(all[name] ?? [])] })),
      );
    }
    const entries = state.healthService(request.name, { passing: request.passing }).value;
    const list: ServiceInstance[] = entries
      .filter((e) => request.tag === '' || e.service.tags.includes(request.tag))
      .map((e) => ({
        Node: e.node.node,
        Address: e.service.address !== '' ? e.service.address : e.node.address,
        ID: e.service.id,
        Name: e.service.service,
        Port: e.service.port,
        Tags: [...e.service.tags],
        Meta: { ...e.service.meta },
      }));
    return Promise.resolve(sortInstances(list));
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
