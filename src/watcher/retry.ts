/**
 * What a watch loop does after a failed round. Two schedules, kept apart on purpose:
 *
 * - the **retry** schedule is short (250 ms doubling, at most 1 s), so the first change after the
 *   backend is reachable again is rendered within about a second of its return;
 * - the **log** schedule is the long one (250 ms doubling, at most 20 s): an outage logs its error
 *   at once, then ever more rarely, with the attempt count, and one line when the loop recovers.
 *
 * consul-template and confd retry on the log's schedule, so a long outage can keep a target stale
 * for up to a whole delay after the backend is back.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { WatchClock } from '../clock.js';

/** RETRY_DELAYS are the default delays between failed rounds. */
export const RETRY_DELAYS: Required<BackoffOptions> = { baseMs: 250, maxMs: 1000 };
/** ERROR_LOG_DELAYS are the default least times between two logged errors of one loop. */
export const ERROR_LOG_DELAYS: Required<BackoffOptions> = { baseMs: 250, maxMs: 20_000 };

/** RetryOptions configures {@link createRetry}. */
export interface RetryOptions {
  clock: WatchClock;
  logger: Logger;
  /** Names the loop in the recovery line, e.g. `Watch of prefix /`. */
  what: string;
  /** Turns an error into its log message. Default: the error's message. */
  describe?: (err: unknown) => string;
  /** Delays between attempts. Default {@link RETRY_DELAYS}. */
  delays?: BackoffOptions;
  /** Least times between two logged errors. Default {@link ERROR_LOG_DELAYS}. */
  logDelays?: BackoffOptions;
}

/** Retry paces one loop's attempts after failures. */
export interface Retry {
  /** failed logs err when the log schedule allows and waits the next delay; false if aborted. */
  failed(err: unknown, signal: AbortSignal): Promise<boolean>;
  /** succeeded starts both schedules over, logging the recovery after failures. */
  succeeded(): void;
}

/** createRetry builds the retry pacing of one loop. */
export function createRetry(options: RetryOptions): Retry {
  const { clock, logger, what } = options;
  const describe = options.describe ?? errorMessage;
  const delays = createBackoff({ ...RETRY_DELAYS, ...options.delays });
  const logDelays = createBackoff({ ...ERROR_LOG_DELAYS, ...options.logDelays });
  let failures = 0;
  let lastLogged: { at: number; message: string; wait: number } | undefined;

  const log = (message: string): void => {
    const at = clock.now();
    const due =
      lastLogged === undefined ||
      lastLogged.message !== message ||
      at - lastLogged.at >= lastLogged.wait;
    if (!due) return;
    logger.error(failures === 1 ? message : `${message} (attempt ${failures})`);
    lastLogged = { at, message, wait: logDelays.next() };
  };

  return {
    async failed(err, signal) {
      failures++;
      log(describe(err));
      return clock.sleep(delays.next(), signal);
    },
    succeeded() {
      if (failures === 0) return;
      logger.info(`${what} recovered after ${failures} failed attempt(s)`);
      failures = 0;
      lastLogged = undefined;
      delays.reset();
      logDelays.reset();
    },
  };
}
