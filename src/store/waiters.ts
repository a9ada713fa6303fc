/**
 * The registry of parked blocking queries: wakes only the waiters whose answer a change can alter.
 *
 * A write of `app/x` wakes waiters of the key `app/x`, of every prefix of it (`''`, `a`, `app/`,
 * ...) and of the whole KV table, and nobody else. A waiter on a missing key is a key waiter too,
 * so it wakes only when that key is written (Consul PR #12110 behaviour).
 */
import { ConfdError, ErrorCode, abortError } from '../errors.js';
import type { WatchScope } from './types.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  /** Removes this waiter from its scope set and from its signal's set. */
  detach(): void;
}

/** WaiterRegistry parks waiters by scope and wakes them when an applied change touches it. */
export class WaiterRegistry {
  readonly #keys = new Map<string, Set<Waiter>>();
  readonly #prefixes = new Map<string, Set<Waiter>>();
  readonly #kvTable = new Set<Waiter>();
  readonly #sessionsTable = new Set<Waiter>();
  /**
   * The waiters of each signal. One abort listener per signal (never removed: removing
   * EventTarget listeners one by one costs too much when 10,000 waiters wake at once); a woken
   * waiter only leaves this set, so a long-lived signal reused for many waits does not leak.
   */
  readonly #bySignal = new WeakMap<AbortSignal, Set<Waiter>>();
  #size = 0;

  /** size is the number of parked waiters (for stats and leak tests). */
  get size(): number {
    return this.#size;
  }

  /** wait parks a waiter on scope until a matching change, or rejects with ABORTED on signal. */
  wait(scope: WatchScope, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const set = this.#setFor(scope);
    const mine = this.#signalSet(signal);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        detach: () => {
          mine.delete(waiter);
          if (set.delete(waiter)) this.#size--;
          if (set.size === 0) this.#dropEmpty(scope, set);
        },
      };
      set.add(waiter);
      mine.add(waiter);
      this.#size++;
    });
  }

  #signalSet(signal: AbortSignal): Set<Waiter> {
    let mine = this.#bySignal.get(signal);
    if (mine !== undefined) return mine;
    const created = new Set<Waiter>();
    this.#bySignal.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        const err = abortError(signal);
        for (const w of [...created]) {
          w.detach();
          w.reject(err);
        }
      },
      { once: true },
    );
    mine = created;
    return mine;
  }

  #setFor(scope: WatchScope): Set<Waiter> {
    switch (scope.kind) {
      case 'key':
        return WaiterRegistry.#bucket(this.#keys, scope.key);
      case 'prefix':
        return WaiterRegistry.#bucket(this.#prefixes, scope.prefix);
      case 'table':
        return scope.table === 'kv' ? this.#kvTable : this.#sessionsTable;
    }
  }

  static #bucket(map: Map<string, Set<Waiter>>, name: string): Set<Waiter> {
    let set = map.get(name);
    if (set === undefined) map.set(name, (set = new Set()));
    return set;
  }

  #dropEmpty(scope: WatchScope, set: Set<Waiter>): void {
    if (scope.kind === 'key' && this.#keys.get(scope.key) === set) this.#keys.delete(scope.key);
    if (scope.kind === 'prefix' && this.#prefixes.get(scope.prefix) === set) {
      this.#prefixes.delete(scope.prefix);
    }
  }

  /** notify wakes the waiters that the given changed keys and session-table change concern. */
  notify(changedKeys: readonly string[], sessionsChanged: boolean): void {
    if (changedKeys.length > 0) {
      this.#wakeAll(this.#kvTable);
      const seen = new Set<string>();
      for (const key of changedKeys) {
        if (seen.has(key)) continue;
        seen.add(key);
        const keyWaiters = this.#keys.get(key);
        if (keyWaiters !== undefined) {
          this.#keys.delete(key);
          this.#wakeAll(keyWaiters);
        }
        this.#wakePrefixesOf(key);
      }
    }
    if (sessionsChanged) this.#wakeAll(this.#sessionsTable);
  }

  #wakePrefixesOf(key: string): void {
    const prefixes = this.#prefixes;
    if (prefixes.size === 0) return;
    if (prefixes.size <= key.length + 1) {
      for (const [prefix, set] of [...prefixes]) {
        if (key.startsWith(prefix)) {
          prefixes.delete(prefix);
          this.#wakeAll(set);
        }
      }
      return;
    }
    for (let n = 0; n <= key.length; n++) {
      const prefix = key.slice(0, n);
      const set = prefixes.get(prefix);
      if (set !== undefined) {
        prefixes.delete(prefix);
        this.#wakeAll(set);
      }
    }
  }

  #wakeAll(set: Set<Waiter>): void {
    const waiters = [...set];
    set.clear();
    this.#size -= waiters.length;
    for (const w of waiters) {
      w.detach();
      w.resolve();
    }
  }

  /** wakeEverything resolves every parked waiter (the whole state was replaced). */
  wakeEverything(): void {
    for (const set of [...this.#keys.values(), ...this.#prefixes.values()]) this.#wakeAll(set);
    this.#keys.clear();
    this.#prefixes.clear();
    this.#wakeAll(this.#kvTable);
    this.#wakeAll(this.#sessionsTable);
  }

  /** closeAll rejects every parked waiter with STORE_CLOSED. */
  closeAll(): void {
    const all = [
      ...[...this.#keys.values()].flatMap((s) => [...s]),
      ...[...this.#prefixes.values()].flatMap((s) => [...s]),
      ...this.#kvTable,
      ...this.#sessionsTable,
    ];
    this.#keys.clear();
    this.#prefixes.clear();
    this.#kvTable.clear();
    this.#sessionsTable.clear();
    this.#size = 0;
    const err = new ConfdError(ErrorCode.STORE_CLOSED, 'store closed');
    for (const w of all) {
      w.detach();
      w.reject(err);
    }
  }
}
