/**
 * The interval mode loop (confd's IntervalProcessor): a pass at once, then one every `intervalMs`
 * after the previous pass ended, until aborted. `trigger()` runs a pass now (SIGHUP).
 */
import { pause } from '../clock.js';

/** IntervalLoopOptions configures {@link startIntervalLoop}. */
export interface IntervalLoopOptions {
  intervalMs: number;
  /** One pass; it must not throw (errors are the pass's to log). */
  pass: () => Promise<void>;
  signal: AbortSignal;
}

/** IntervalLoop is a running interval loop. */
export interface IntervalLoop {
  /** Starts the next pass now instead of after the interval. */
  trigger(): void;
  /** Resolves when the loop has stopped (after the signal fired and the pass in flight ended). */
  readonly done: Promise<void>;
}

/** startIntervalLoop runs `pass` immediately and then every `intervalMs`. */
export function startIntervalLoop(options: IntervalLoopOptions): IntervalLoop {
  let wake: AbortController | undefined;
  let again = false;
  const done = (async () => {
    while (!options.signal.aborted) {
      again = false;
      await options.pass();
      if (options.signal.aborted) return;
      if (again) continue; // triggered while the pass ran
      wake = new AbortController();
      const stop = AbortSignal.any([options.signal, wake.signal]);
      await pause(options.intervalMs, stop);
      wake = undefined;
    }
  })();
  return {
    trigger() {
      if (wake) wake.abort();
      else again = true;
    },
    done,
  };
}
