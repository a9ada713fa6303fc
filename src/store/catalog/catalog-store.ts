/**
 * The port through which the HTTP routes, the local agent and the DNS server reach the catalog:
 * read the current state, append catalog commands to the store's log, and wait for changes.
 * The store engine implements it; {@link MemoryCatalogStore} is a standalone in-memory
 * implementation with its own index sequence (for `-dev`-style use and tests of the routes).
 */
import { park } from '../park.js';
import type { Parked } from '../park.js';
import { CatalogState } from './catalog-state.js';
import type { CatalogCommand, CatalogEffects, CatalogTable } from './types.js';

/** CatalogScope names what a blocking catalog query depends on. */
export type CatalogScope =
  | { readonly kind: 'catalog-table'; readonly table: CatalogTable }
  | { readonly kind: 'catalog-tables'; readonly tables: readonly CatalogTable[] }
  | { readonly kind: 'service'; readonly name: string };

/** scopeMatches tells whether an applied command's effects can change answers in scope. */
export function scopeMatches(scope: CatalogScope, effects: CatalogEffects): boolean {
  switch (scope.kind) {
    case 'service':
      return effects.services.has(scope.name);
    case 'catalog-table':
      return effects.tables.has(scope.table);
    case 'catalog-tables':
      return scope.tables.some((t) => effects.tables.has(t));
  }
}

/** CatalogStore is the catalog half of the store engine. */
export interface CatalogStore {
  /** The current catalog state (read-only use). */
  catalogState(): CatalogState;
  /** Appends a command to the log; resolves to its result once applied, rejects with its error. */
  catalogApply(command: CatalogCommand): Promise<unknown>;
  /**
   * Resolves at the next applied change in scope, or rejects with an ABORTED ConfdError when
   * signal fires. Call it synchronously right after the read it guards.
   */
  waitForCatalog(scope: CatalogScope, signal: AbortSignal): Promise<void>;
}

interface Waiter extends Parked {
  readonly scope: CatalogScope;
}

/** scopeKeys lists the buckets a waiter parks in: one per service name or table it watches. */
function scopeKeys(scope: CatalogScope): string[] {
  switch (scope.kind) {
    case 'service':
      return [`s:${scope.name}`];
    case 'catalog-table':
      return [`t:${scope.table}`];
    case 'catalog-tables':
      return [...new Set(scope.tables)].map((t) => `t:${t}`);
  }
}

/**
 * CatalogWaiters parks blocking catalog queries and wakes those an applied command concerns.
 * Waiters are bucketed by service name and table, so a write costs only the buckets its effects
 * name, not a scan of every parked query.
 */
export class CatalogWaiters {
  readonly #buckets = new Map<string, Set<Waiter>>();
  #size = 0;

  /** size is the number of parked waiters. */
  get size(): number {
    return this.#size;
  }

  #add(waiter: Waiter): void {
    for (const key of scopeKeys(waiter.scope)) {
      let bucket = this.#buckets.get(key);
      if (bucket === undefined) this.#buckets.set(key, (bucket = new Set()));
      bucket.add(waiter);
    }
    this.#size++;
  }

  /** #remove unparks a waiter; false when it was no longer parked. */
  #remove(waiter: Waiter): boolean {
    let found = false;
    for (const key of scopeKeys(waiter.scope)) {
      const bucket = this.#buckets.get(key);
      if (bucket?.delete(waiter)) found = true;
      if (bucket?.size === 0) this.#buckets.delete(key);
    }
    if (found) this.#size--;
    return found;
  }

  /** wait parks until {@link wake} reports a change in scope or signal fires. */
  wait(scope: CatalogScope, signal: AbortSignal): Promise<void> {
    return park(signal, (parked) => {
      const waiter: Waiter = { scope, ...parked };
      this.#add(waiter);
      return () => this.#remove(waiter);
    });
  }

  /** wakeEverything resolves every parked waiter (the whole state was replaced). */
  wakeEverything(): void {
    const all = new Set<Waiter>();
    for (const bucket of this.#buckets.values()) for (const w of bucket) all.add(w);
    this.#buckets.clear();
    this.#size = 0;
    for (const w of all) w.resolve();
  }

  /** closeAll rejects every parked waiter with ABORTED (the store is closing). */
  closeAll(): void {
    const all = new Set<Waiter>();
    for (const bucket of this.#buckets.values()) for (const w of bucket) all.add(w);
    this.#buckets.clear();
    this.#size = 0;
    for (const w of all) w.reject();
  }

  /** wake resolves every waiter whose scope the effects touch. */
  wake(effects: CatalogEffects): void {
    if (effects.tables.size === 0 && effects.services.size === 0) return;
    const woken: Waiter[] = [];
    const take = (key: string) => {
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) return;
      for (const w of [...bucket]) if (this.#remove(w)) woken.push(w);
    };
    for (const table of effects.tables) take(`t:${table}`);
    for (const name of effects.services) take(`s:${name}`);
    for (const w of woken) w.resolve();
  }
}

/** MemoryCatalogStore keeps a catalog in memory with its own index sequence. */
export class MemoryCatalogStore implements CatalogStore {
  #state = new CatalogState();
  #index = 0;
  readonly #waiters = new CatalogWaiters();

  /** The index of the last applied command. */
  get lastIndex(): number {
    return this.#index;
  }

  catalogState(): CatalogState {
    return this.#state;
  }

  catalogApply(command: CatalogCommand): Promise<unknown> {
    const { outcome, effects } = this.#state.apply(++this.#index, command);
    this.#waiters.wake(effects);
    return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
  }

  waitForCatalog(scope: CatalogScope, signal: AbortSignal): Promise<void> {
    return this.#waiters.wait(scope, signal);
  }

  /** restore replaces the state (snapshot restore). */
  restore(state: CatalogState, index: number): void {
    this.#state = state;
    this.#index = index;
  }
}

/** isCatalogStore tells whether a store engine implements the catalog. */
export function isCatalogStore(store: unknown): store is CatalogStore {
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof (store as Partial<CatalogStore>).catalogApply === 'function' &&
    typeof (store as Partial<CatalogStore>).catalogState === 'function'
  );
}
