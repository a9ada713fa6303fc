/**
 * Prefix subscriptions for `-watch`: one blocking loop per distinct resource prefix, shared by every
 * resource with that prefix, calling the backend's `watchPrefix` with the union of their keys.
 *
 * confd runs one loop per resource and re-renders on every return, even a timeout with the same
 * index (`processor.go` monitorPrefix). Here the index rules follow consul-template's view.go: the
 * same index means no change; an index that goes backwards resets to 0; at least `minIntervalMs`
 * between rounds; exponential backoff on errors, reset after a success.
 */
import { errorMessage, isConfdError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../backends/types.js';
import { createBackoff, pause } from './backoff.js';
import type { BackoffOptions } from './backoff.js';

/** WatchTarget is what a subscription needs of a resource. */
export interface WatchTarget {
  readonly id: string;
  readonly prefix: string;
  readonly keys: readonly string[];
}

/** SubscriptionsOptions configures {@link startSubscriptions}. */
export interface SubscriptionsOptions {
  backend: Backend;
  targets: readonly WatchTarget[];
  /** Called with the ids of the targets under a prefix whose data may have changed. */
  onChange: (ids: readonly string[]) => void;
  logger: Logger;
  /** Least time between two rounds of one subscription, in ms. Default 100. */
  minIntervalMs?: number;
  backoff?: BackoffOptions;
  /** The clock. Default Date.now. */
  now?: () => number;
}

/** Subscriptions is the running set of prefix loops. */
export interface Subscriptions {
  /** The distinct prefixes being watched. */
  readonly prefixes: readonly string[];
  /** Stops every loop and waits for them to end. Idempotent. */
  close(): Promise<void>;
}

/** groupByPrefix maps each distinct prefix to its targets' ids and the union of their keys. */
export function groupByPrefix(
  targets: readonly WatchTarget[],
): Map<string, { ids: string[]; keys: string[] }> {
  const groups = new Map<string, { ids: string[]; keys: string[] }>();
  for (const t of targets) {
    let group = groups.get(t.prefix);
    if (!group) {
      group = { ids: [], keys: [] };
      groups.set(t.prefix, group);
    }
    group.ids.push(t.id);
    for (const k of t.keys) if (!group.keys.includes(k)) group.keys.push(k);
  }
  return groups;
}

/** startSubscriptions starts one watch loop per distinct prefix of `targets`. */
export function startSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const controller = new AbortController();
  const groups = groupByPrefix(options.targets);
  const loops = [...groups].map(([prefix, group]) =>
    watchLoop(prefix, group.ids, group.keys, options, controller.signal),
  );
  let closed: Promise<void> | undefined;
  return {
    prefixes: [...groups.keys()],
    close() {
      closed ??= (async () => {
        controller.abort();
        await Promise.allSettled(loops);
      })();
      return closed;
    },
  };
}

async function watchLoop(
  prefix: string,
  ids: readonly string[],
  keys: readonly string[],
  options: SubscriptionsOptions,
  signal: AbortSignal,
): Promise<void> {
  const { backend, logger } = options;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 100;
  const backoff = createBackoff(options.backoff);
  let waitIndex = 0;
  let lastRound = -Infinity;
  // The first round (and the first after a reset or an error) always reports a change.
  let resync = true;
  while (!signal.aborted) {
    // Rate limit: only sleeps when rounds follow each other faster than minInterval.
    const since = now() - lastRound;
    if (since < minInterval && !(await pause(minInterval - since, signal))) return;
    lastRound = now();
    let index: number;
    try {
      index = await backend.watchPrefix(prefix, { keys, waitIndex, signal });
    } catch (err) {
      if (signal.aborted || isConfdError(err, ErrorCode.ABORTED)) return;
      logger.error(errorMessage(err));
      resync = true;
      if (!(await pause(backoff.next(), signal))) return;
      continue;
    }
    backoff.reset();
    if (signal.aborted) return;
    if (index < waitIndex) {
      // The index went backwards (store restored or replaced): start over, as consul-template does.
      logger.debug(`Watch index of ${prefix} went backwards (${index} < ${waitIndex}); resetting`);
      waitIndex = 0;
      resync = true;
      continue;
    }
    const changed = index !== waitIndex || resync;
    waitIndex = index;
    resync = false;
    if (changed) options.onChange(ids);
  }
}
