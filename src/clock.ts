/**
 * The time long-running loops see (the watcher's rounds, the cluster's probes and retries). Tests
 * pass a fake {@link WatchClock} to drive and count the waits; production uses {@link realClock}.
 * A shared leaf: it imports nothing of the project.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** WatchClock is a monotonic clock and an abortable sleep. */
export interface WatchClock {
  /** now is the time in ms (monotonic in production). */
  now(): number;
  /** sleep waits ms milliseconds; resolves false (instead of throwing) when signal fires first. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

/** pause waits ms milliseconds; resolves false (instead of throwing) when signal fires first. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** realClock is the process's monotonic clock and timers. */
export const realClock: WatchClock = { now: () => performance.now(), sleep: pause };
