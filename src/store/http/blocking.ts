/**
 * Consul's blocking queries: `?index=` / `?wait=` parsing, and serving a read that may block (the
 * waiting itself is {@link ParkedQueries}). See consul `agent/blockingquery/blockingquery.go` and
 * the blocking-queries docs.
 */
import type { Consistency, RequestContext } from './context.js';
import { has, param, sendText, writePrepared } from './context.js';
import type { BlockingQuery } from './parked-queries.js';
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

/**
 * serveBlocking answers a read that may block: at once when the client's index is 0 or behind
 * the read's, otherwise it parks the request (see {@link ParkedQueries}) until the index moves
 * past the client's or the wait (plus jitter) runs out, then answers the state at that moment.
 * Waiters of the same `query.key` share one read and one rendered answer per wake-up.
 */
export function serveBlocking<T>(
  ctx: RequestContext,
  options: ReadOptions,
  query: BlockingQuery<T>,
): void {
  const first = query.read();
  if (options.minIndex === 0 || first.index > options.minIndex) {
    writePrepared(ctx.res, query.render(first));
    return;
  }
  ctx.parked.park(query, {
    res: ctx.res,
    minIndex: options.minIndex,
    timeoutMs: queryTimeoutMs(ctx, options.waitMs),
    first,
  });
}

/**
 * shapeKey joins the parts that identify a query shape into a {@link BlockingQuery} key; each part
 * is length-prefixed, so different part lists never give the same key.
 */
export function shapeKey(parts: readonly (string | boolean)[]): string {
  let key = '';
  for (const part of parts) {
    const text = typeof part === 'string' ? part : part ? '1' : '0';
    key += `${text.length}:${text}`;
  }
  return key;
}
