/**
 * Consul's blocking queries: `?index=` / `?wait=` parsing and the server loop that re-runs a read
 * after each wake-up until its index passes the client's, or the wait (plus jitter) runs out.
 * See consul `agent/blockingquery/blockingquery.go` and the blocking-queries docs.
 */
import { isConfdError, ErrorCode } from '../../errors.js';
import type { Indexed, WatchScope } from '../types.js';
import type { Consistency, RequestContext } from './context.js';
import { has, param, sendText } from './context.js';
import { parseGoDuration } from '../../go/duration.js';
import { parseUint64 } from './query.js';

/** ReadOptions are the parsed query options of a read. */
export interface ReadOptions {
  /** The client's index; 0 = a non-blocking read. */
  readonly minIndex: number;
  /** The requested wait in ms; undefined = the default query time. */
  readonly waitMs: number | undefined;
  readonly consistency: Consistency;
}

/**
 * parseReadOptions parses consistency, dc, wait and index as Consul's `parseInternal` does; on bad
 * input it answers 400 (500 for an unknown datacenter) and returns undefined.
 */
export function parseReadOptions(ctx: RequestContext): ReadOptions | undefined {
  if (!checkDatacenter(ctx)) return undefined;
  const stale = has(ctx, 'stale');
  const consistent = has(ctx, 'consistent');
  if (stale && consistent) {
    sendText(ctx, 400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
    return undefined;
  }
  if (has(ctx, 'cached') && consistent) {
    sendText(ctx, 400, 'Cannot specify ?cached with ?consistent, conflicting semantics.');
    return undefined;
  }
  if (has(ctx, 'max_stale')) {
    const raw = param(ctx, 'max_stale');
    if (parseGoDuration(raw) === undefined) {
      sendText(ctx, 400, `Invalid max_stale value ${JSON.stringify(raw)}`);
      return undefined;
    }
  }
  let waitMs: number | undefined;
  const wait = param(ctx, 'wait');
  if (wait !== '') {
    const ns = parseGoDuration(wait);
    if (ns === undefined) {
      sendText(ctx, 400, 'Invalid wait time');
      return undefined;
    }
    waitMs = ns / 1e6;
  }
  let minIndex = 0;
  const index = param(ctx, 'index');
  if (index !== '') {
    const n = parseUint64(index);
    if (n === undefined) {
      sendText(ctx, 400, 'Invalid index');
      return undefined;
    }
    minIndex = Number(n);
  }
  const consistency: Consistency = stale ? 'stale' : consistent ? 'consistent' : 'leader';
  return { minIndex, waitMs, consistency };
}

/** checkDatacenter answers 500 `No path to datacenter` for a `?dc=` other than ours. */
export function checkDatacenter(ctx: RequestContext): boolean {
  const dc = param(ctx, 'dc');
  if (dc === '' || dc === ctx.config.datacenter) return true;
  sendText(ctx, 500, 'No path to datacenter');
  return false;
}

/** queryTimeoutMs clamps the wait to max_query_time, defaults it, and adds wait/16 of jitter. */
export function queryTimeoutMs(ctx: RequestContext, waitMs: number | undefined): number {
  const { defaultQueryTimeMs, maxQueryTimeMs, random } = ctx.config;
  let timeout = waitMs === undefined || waitMs <= 0 ? defaultQueryTimeMs : waitMs;
  if (timeout > maxQueryTimeMs) timeout = maxQueryTimeMs;
  // lib.RandomStagger(queryTimeout / structs.JitterFraction), JitterFraction = 16.
  return timeout + random() * (timeout / 16);
}

/** BlockingReadOptions describe one blocking read. */
export interface BlockingReadOptions<T> {
  readonly scope: WatchScope;
  readonly read: () => Indexed<T>;
  /**
   * Tells a "not found" answer. Consul (PR #12110) keeps a parked query for a missing key parked
   * when it wakes and the key is still missing, instead of returning the moved table index.
   */
  readonly notFound?: (value: T) => boolean;
}

/**
 * blockingRead runs `read` and, when the client's index is current, waits for changes in scope
 * until the index moves or the timeout passes (then answers the current result). Resolves to
 * undefined when the client disconnected or the server closed.
 */
export async function blockingRead<T>(
  ctx: RequestContext,
  options: ReadOptions,
  query: BlockingReadOptions<T>,
): Promise<Indexed<T> | undefined> {
  let result = query.read();
  let minIndex = options.minIndex;
  if (minIndex === 0 || result.index > minIndex) return result;

  const { store } = ctx.config;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      if (controller.signal.aborted) return;
      timedOut = true;
      controller.abort();
    },
    queryTimeoutMs(ctx, options.waitMs),
  );
  const unpark = ctx.park(controller);
  if (controller.signal.aborted) {
    clearTimeout(timer);
    unpark();
    return undefined;
  }
  let wasNotFound = query.notFound?.(result.value) ?? false;
  try {
    for (;;) {
      // Registered synchronously right after the read, so no change can slip between them.
      await store.waitForChange(query.scope, controller.signal);
      result = query.read();
      const notFound = query.notFound?.(result.value) ?? false;
      if (wasNotFound && notFound && result.index > minIndex) minIndex = result.index;
      wasNotFound = notFound;
      if (result.index > minIndex) return result;
    }
  } catch (err) {
    if (!isConfdError(err, ErrorCode.ABORTED)) throw err;
    // On timeout Consul answers the current state (200, maybe the same index).
    return timedOut ? query.read() : undefined;
  } finally {
    clearTimeout(timer);
    unpark();
  }
}
