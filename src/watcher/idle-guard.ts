/**
 * The hot-loop guard of a blocking watch loop, without a sleep between ordinary rounds. A blocking
 * query returns on a change or when its wait runs out; an answer without news that comes back at
 * once, or an index that went backwards, is *idle*, which a server that blocks never sends. One
 * idle round is let through (a store restored from a snapshot looks like that once); from the
 * second in a row on, the loop waits the retry delays and says so once.
 *
 * consul-template instead keeps at least 100 ms between any two rounds of a view, which delays
 * every change that follows a render (`watch/view.go`).
 */
import type { Logger } from '../log.js';
import { createBackoff } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { WatchClock } from '../clock.js';
import { RETRY_DELAYS } from './retry.js';

/** A round that brings no change faster than this did not block. */
export const NON_BLOCKING_MS = 50;

/** IdleGuardOptions configures {@link createIdleGuard}. */
export interface IdleGuardOptions {
  clock: WatchClock;
  logger: Logger;
  /** Names the loop in the warning, e.g. `Watch of prefix /`. */
  what: string;
  /** Waits between idle rounds. Default the retry delays (250 ms doubling to 1 s). */
  delays?: BackoffOptions | undefined;
}

/** BlockingRound is one answered blocking query. */
export interface BlockingRound {
  /** The index the query waited on (0: a plain read, never idle). */
  readonly asked: number;
  /** The index it answered with. */
  readonly index: number;
  /** When it was sent, on the guard's clock. */
  readonly startedAt: number;
}

/** IdleGuard watches a loop's rounds. */
export interface IdleGuard {
  /** after records an answered round and waits if the loop spins; false when aborted meanwhile. */
  after(round: BlockingRound, signal: AbortSignal): Promise<boolean>;
}

/** createIdleGuard builds the guard of one loop. */
export function createIdleGuard(options: IdleGuardOptions): IdleGuard {
  const { clock, logger, what } = options;
  const delays = createBackoff({ ...RETRY_DELAYS, ...options.delays });
  let idleRounds = 0;
  return {
    async after({ asked, index, startedAt }, signal) {
      if (asked === 0) return true;
      const idle = index < asked || (index === asked && clock.now() - startedAt < NON_BLOCKING_MS);
      if (!idle) {
        idleRounds = 0;
        delays.reset();
        return true;
      }
      if (++idleRounds < 2) return true;
      if (idleRounds === 2) logger.warn(`${what} answers without blocking; slowing down`);
      return clock.sleep(delays.next(), signal);
    },
  };
}
