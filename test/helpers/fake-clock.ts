/**
 * Test helper: a {@link WatchClock} whose time moves only when the test says so. Every sleep is
 * recorded; a sleep ends when {@link FakeClock.advance} passes its deadline or its signal fires.
 */
import type { WatchClock } from '../../src/clock.js';
import { waitFor } from './wait-for.js';

interface Sleeper {
  readonly at: number;
  readonly done: (ok: boolean) => void;
}

/** FakeClock is a manually driven clock for the watch loops. */
export class FakeClock implements WatchClock {
  #time = 0;
  #sleepers: Sleeper[] = [];
  /** The duration of every sleep asked for, in order. */
  readonly sleeps: number[] = [];

  now(): number {
    return this.#time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    this.sleeps.push(ms);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        at: this.#time + ms,
        done: (ok) => {
          signal.removeEventListener('abort', onAbort);
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          resolve(ok);
        },
      };
      const onAbort = () => sleeper.done(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Sleeps not yet over. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /** advance moves the time on by ms and ends every sleep whose deadline it passes. */
  advance(ms: number): void {
    this.#time += ms;
    for (const s of [...this.#sleepers]) if (s.at <= this.#time) s.done(true);
  }

  /** nextSleep waits (real time, bounded) until a sleep is pending, then ends it; returns its ms. */
  async nextSleep(what = 'the next sleep'): Promise<number> {
    await waitFor(() => this.#sleepers.length > 0, { what });
    const first = this.#sleepers.reduce((a, b) => (b.at < a.at ? b : a));
    const ms = first.at - this.#time;
    this.advance(ms);
    return ms;
  }
}
