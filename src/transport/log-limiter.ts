/**
 * Rate limit of the log lines about bad input: one line per remote address per interval, so that
 * a flood of bad connections cannot flood the log. The lines held back are counted and the next
 * line for that address says how many.
 */

/** LOG_INTERVAL_MS is the interval of {@link PeerLogLimiter}: one line per address per 10 s. */
export const LOG_INTERVAL_MS = 10_000;

/** The addresses remembered at most; the oldest are forgotten first. */
const MAX_PEERS = 4096;

interface Window {
  /** When the next line for this address may be written. */
  readonly until: number;
  /** Lines held back since the last one written. */
  suppressed: number;
}

/** PeerLogLimiter decides which log lines about remote addresses are written. */
export class PeerLogLimiter {
  readonly #intervalMs: number;
  readonly #now: () => number;
  /** By address, oldest line first (a Map keeps insertion order; a written line re-inserts). */
  readonly #windows = new Map<string, Window>();

  constructor(intervalMs = LOG_INTERVAL_MS, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * take asks to write a line about `address` (an IP, not ip:port: each connection has its own
   * port). Returns undefined when the line must be held back, else how many were held back since
   * the last line written for that address.
   */
  take(address: string): number | undefined {
    const now = this.#now();
    const window = this.#windows.get(address);
    if (window && now < window.until) {
      window.suppressed += 1;
      return undefined;
    }
    this.#windows.delete(address);
    this.#windows.set(address, { until: now + this.#intervalMs, suppressed: 0 });
    this.#forgetOldest();
    return window?.suppressed ?? 0;
  }

  #forgetOldest(): void {
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= MAX_PEERS) return;
      this.#windows.delete(key);
    }
  }
}

/** suppressedNote is the tail of a line after held-back ones, e.g. ` (3 similar lines from 127.0.0.5 suppressed)`. */
export function suppressedNote(count: number, address: string): string {
  if (count === 0) return '';
  return ` (${count} similar line${count === 1 ? '' : 's'} from ${address} suppressed)`;
}
