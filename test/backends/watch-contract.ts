/** Shared checks of the Backend port's watch contract, run against each real backend. */
import assert from 'node:assert/strict';
import { ErrorCode, isConfdError } from '../../src/errors.js';
import type { Backend } from '../../src/backends/types.js';

/**
 * assertWatchStopsOnAbortAndClose: after the first (immediate) watch, a parked watch rejects with
 * ABORTED when its signal fires, and when the backend is closed (close() twice is fine).
 */
export async function assertWatchStopsOnAbortAndClose(backend: Backend): Promise<void> {
  const controller = new AbortController();
  const first = await backend.watchPrefix('/', {
    keys: [],
    waitIndex: 0,
    signal: controller.signal,
  });
  const pending = backend.watchPrefix('/', {
    keys: [],
    waitIndex: first,
    signal: controller.signal,
  });
  controller.abort();
  await assert.rejects(pending, (err) => isConfdError(err, ErrorCode.ABORTED));
  const parked = backend.watchPrefix('/', {
    keys: [],
    waitIndex: first,
    signal: AbortSignal.timeout(5000),
  });
  const rejected = assert.rejects(parked, (err) => isConfdError(err, ErrorCode.ABORTED));
  await backend.close();
  await backend.close();
  await rejected;
}
