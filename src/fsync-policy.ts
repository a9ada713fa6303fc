/**
 * When to fsync on the event loop's own thread. A thread-pool fsync costs two thread wake-ups
 * (the pool thread's, then the event loop's): measured at 70–200 µs on this project's VMs, where
 * the fsync of a small file itself takes 150–500 µs. While the disk is fast, a lone durable write
 * (the write-ahead log's single record, a rendered target) is quicker with a synchronous call;
 * once the disk is slow, the pool keeps the event loop serving while it waits.
 *
 * A shared leaf: the store's log and the target syncer each keep their own policy.
 */

/** FsyncPolicy decides between a synchronous and a thread-pool fsync from recent durations. */
export interface FsyncPolicy {
  /** fast tells whether recent fsyncs averaged under the policy's limit (true before any). */
  readonly fast: boolean;
  /** timed runs one fsync (either kind) and folds its duration into the average. */
  timed<T>(fsync: () => T | Promise<T>): Promise<T>;
}

/** FAST_FSYNC_MS is the default limit: a synchronous fsync never blocks the loop much longer. */
export const FAST_FSYNC_MS = 1;

/** createFsyncPolicy builds a policy with a moving average (weight 1/8) of the durations. */
export function createFsyncPolicy(fastMs = FAST_FSYNC_MS): FsyncPolicy {
  let averageMs = 0;
  return {
    get fast() {
      return averageMs < fastMs;
    },
    async timed(fsync) {
      const started = performance.now();
      try {
        return await fsync();
      } finally {
        averageMs += (performance.now() - started - averageMs) / 8;
      }
    },
  };
}
