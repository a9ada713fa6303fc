/**
 * Prefix subscriptions for `-watch`: one blocking loop per distinct resource prefix, shared by every
 * resource with that prefix, calling the backend's `watchPrefix` with the union of their keys.
 *
 * confd runs one loop per resource and re-renders on every return, even a timeout with the same
 * index (`processor.go` monitorPrefix). Here the index rules follow consul-template's view.go: the
 * same index means no change; an index that goes backwards resets to 0.
 *
 * Unlike consul-template (at least 100 ms between two rounds of a view), nothing waits between two
 * rounds: one blocking query is in flight per prefix, so the store's answers pace the loop, and a
 * change that lands while a render runs is rendered once more afterwards by the serial runner. The
 * only waits are after errors (retry.ts) and after rounds that answered at once without news,
 * which a blocking query never does (idle-guard.ts): a misbehaving server cannot spin the loop.
 */
import { ErrorCode, isConfdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../backends/types.js';
import type { BackoffOptions } from './backoff.js';
import { realClock } from '../clock.js';
import type { WatchClock } from '../clock.js';
import { createIdleGuard } from './idle-guard.js';
import { createRetry } from './retry.js';

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
  /** Delays between failed rounds (see retry.ts). Default 250 ms doubling up to 1 s. */
  retry?: BackoffOptions;
  /** Least times between two logged errors. Default 250 ms doubling up to 20 s. */
  errorLog?: BackoffOptions;
  /** The clock and timers. Default {@link realClock}. */
  clock?: WatchClock;
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
  const clock = options.clock ?? realClock;
  const what = `Watch of prefix ${prefix}`;
  const retry = createRetry({
    clock,
    logger,
    what,
    delays: options.retry,
    logDelays: options.errorLog,
  });
  const guard = createIdleGuard({ clock, logger, what, delays: options.retry });
  let waitIndex = 0;
  // The first round, and the first after a reset or an error, is a plain read (index 0) that
  // returns at once and always reports a change: after an outage the resources are re-checked as
  // soon as the backend answers again, not at its next change.
  let resync = true;
  while (!signal.aborted) {
    const asked = resync ? 0 : waitIndex;
    const startedAt = clock.now();
    let index: number;
    try {
      index = await backend.watchPrefix(prefix, { keys, waitIndex: asked, signal });
    } catch (err) {
      if (signal.aborted || isConfdError(err, ErrorCode.ABORTED)) return;
      resync = true;
      if (!(await retry.failed(err, signal))) return;
      continue;
    }
    if (signal.aborted) return;
    retry.succeeded();
    if (!(await guard.after({ asked, index, startedAt }, signal))) return;
    if (index < asked) {
      // The index went backwards (store restored or replaced): start over, as consul-template does.
      logger.debug(`Watch index of ${prefix} went backwards (${index} < ${asked}); resetting`);
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
