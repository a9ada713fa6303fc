/** Test helpers for waiting on conditions without fixed sleeps. */
import { setTimeout as delay } from 'node:timers/promises';

/** waitFor polls `check` every `intervalMs` until it returns a truthy value, or throws after timeoutMs. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 10, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await delay(intervalMs);
  }
}
