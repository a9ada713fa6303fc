/**
 * Watches for the catalog lookups templates make (`service`, `services`, `nodes`), discovered as
 * they render, the way consul-template discovers a template's dependencies: one blocking loop per
 * distinct lookup, shared by every resource using it. When the lookup's index moves, each of those
 * resources is scheduled; a change to another service does not wake the loop.
 */
import { ErrorCode, errorMessage, isConfdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../backends/types.js';
import type { ServiceLookupRequest } from '../template/types.js';
import type { BackoffOptions } from './backoff.js';
import { realClock } from '../clock.js';
import type { WatchClock } from '../clock.js';
import { createIdleGuard } from './idle-guard.js';
import { createRetry } from './retry.js';

/** ServiceWatchesOptions configures {@link createServiceWatches}. */
export interface ServiceWatchesOptions {
  backend: Pick<Backend, 'watchServices'>;
  logger: Logger;
  /** Called with a resource id when a lookup it used has changed. */
  onChange: (resource: string) => void;
  /** Stops every loop. */
  signal: AbortSignal;
  /** Delays between failed rounds (see retry.ts). Default 250 ms doubling up to 1 s. */
  retry?: BackoffOptions;
  /** Least times between two logged errors. Default 250 ms doubling up to 20 s. */
  errorLog?: BackoffOptions;
  /** The clock and timers. Default {@link realClock}. */
  clock?: WatchClock;
}

/** ServiceWatches tracks which resources use which catalog lookups. */
export interface ServiceWatches {
  /** use records that `resource` rendered from lookup `id`; the first use starts its loop. */
  use(id: string, request: ServiceLookupRequest, resource: string): void;
  /**
   * retain keeps only the given resources (after a SIGHUP reload); a lookup no longer used by any
   * of them has its loop stopped. A kept resource re-registers its lookups when it next renders.
   */
  retain(resources: ReadonlySet<string>): void;
  /** Stops every loop. Idempotent. */
  close(): void;
}

interface Watch {
  readonly resources: Set<string>;
  readonly stop: AbortController;
}

/** createServiceWatches builds the lookup watches; nothing runs until the first use(). */
export function createServiceWatches(options: ServiceWatchesOptions): ServiceWatches {
  const { backend, logger, onChange } = options;
  const watches = new Map<string, Watch>();

  const stopWatch = (id: string, watch: Watch): void => {
    watch.stop.abort();
    watches.delete(id);
  };

  const loop = async (id: string, request: ServiceLookupRequest, watch: Watch): Promise<void> => {
    const watchServices = backend.watchServices;
    if (watchServices === undefined) return;
    const signal = AbortSignal.any([options.signal, watch.stop.signal]);
    const clock = options.clock ?? realClock;
    const what = `Watching ${id}`;
    const retry = createRetry({
      clock,
      logger,
      what,
      describe: (err) => `${what}: ${errorMessage(err)}`,
      delays: options.retry,
      logDelays: options.errorLog,
    });
    const guard = createIdleGuard({ clock, logger, what, delays: options.retry });
    let index = 0;
    // After an error the next round is a plain read: a lookup that changed meanwhile is
    // re-rendered as soon as the backend answers again.
    let reread = false;
    while (!signal.aborted) {
      const asked = reread ? 0 : index;
      const startedAt = clock.now();
      let next: number;
      try {
        next = await watchServices.call(backend, request, { waitIndex: asked, signal });
      } catch (err) {
        if (signal.aborted || isConfdError(err, ErrorCode.ABORTED)) return;
        reread = true;
        if (!(await retry.failed(err, signal))) return;
        continue;
      }
      retry.succeeded();
      reread = false;
      if (!(await guard.after({ asked, index: next, startedAt }, signal))) return;
      const changed = index !== 0 && next !== index;
      index = next;
      if (!changed) continue;
      logger.debug(`Catalog lookup ${id} changed at index ${next}; re-rendering`);
      for (const resource of watch.resources) onChange(resource);
    }
  };

  return {
    use(id, request, resource) {
      if (options.signal.aborted) return;
      const known = watches.get(id);
      if (known) {
        known.resources.add(resource);
        return;
      }
      const watch: Watch = { resources: new Set([resource]), stop: new AbortController() };
      watches.set(id, watch);
      void loop(id, request, watch);
    },
    retain(resources) {
      for (const [id, watch] of watches) {
        for (const r of watch.resources) if (!resources.has(r)) watch.resources.delete(r);
        if (watch.resources.size === 0) stopWatch(id, watch);
      }
    },
    close() {
      for (const [id, watch] of watches) stopWatch(id, watch);
    },
  };
}
