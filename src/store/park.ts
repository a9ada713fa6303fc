/**
 * park: the one way a blocking query parks on a waiter set that is not the KV registry.
 */
import { abortError } from '../errors.js';

/** Parked is a parked query's handle: resolve wakes it, reject ends it with ABORTED. */
export interface Parked {
  readonly resolve: () => void;
  readonly reject: () => void;
}

/**
 * park calls enter with a fresh handle, which enter registers and returns how to unregister;
 * the promise settles when the handle is resolved or rejected, or rejects with ABORTED (after
 * unregistering) when signal fires.
 */
export function park(signal: AbortSignal, enter: (parked: Parked) => () => void): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const parked: Parked = {
      resolve: () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      reject: () => {
        signal.removeEventListener('abort', onAbort);
        reject(abortError(signal));
      },
    };
    const leave = enter(parked);
    const onAbort = () => {
      leave();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
