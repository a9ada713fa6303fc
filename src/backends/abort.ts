/** Small helpers that turn an AbortSignal into the ABORTED ConfdError the Backend port promises. */
import { abortError, ConfdError, ErrorCode } from '../errors.js';

/** throwIfAborted rejects with an ABORTED ConfdError if `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** untilAborted resolves never and rejects with an ABORTED ConfdError once `signal` fires. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
}

/**
 * asAbortError maps an error thrown while `signal` fired (undici's AbortError, ioredis' closed
 * connection...) to the ABORTED ConfdError; any other error passes through unchanged.
 */
export function asAbortError(err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !(err instanceof ConfdError && err.code === ErrorCode.ABORTED)) {
    return abortError(signal);
  }
  return err;
}
