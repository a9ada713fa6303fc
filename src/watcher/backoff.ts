/** Exponential backoff for the watch loops' retries. */

/** BackoffOptions shape the delays of {@link createBackoff}. */
export interface BackoffOptions {
  /** First delay in ms. Default 250. */
  baseMs?: number;
  /** Largest delay in ms. Default 20 000. */
  maxMs?: number;
}

/** Backoff hands out growing delays after failures and starts over after a success. */
export interface Backoff {
  /** next returns the delay before the next attempt and doubles the following one. */
  next(): number;
  /** reset starts over from the base delay. */
  reset(): void;
  /** failures counts consecutive failures since the last reset. */
  readonly failures: number;
}

/** createBackoff builds a doubling backoff capped at maxMs. */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 20_000;
  let failures = 0;
  return {
    next() {
      const delay = Math.min(max, base * 2 ** Math.min(failures, 30));
      failures += 1;
      return delay;
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
