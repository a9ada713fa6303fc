/**
 * Serial per-resource execution: a resource is never processed twice at once. A request arriving
 * while its pass runs is remembered and runs once after it (later requests merge into that one).
 */

/** SerialRunner schedules work per id. */
export interface SerialRunner {
  /** schedule runs `work(id)` now, or once more after the pass in flight; resolves when done. */
  schedule(id: string): Promise<void>;
  /** idle resolves when nothing is running or queued. */
  idle(): Promise<void>;
}

/** createSerialRunner builds a runner around `work`, which must not throw. */
export function createSerialRunner(work: (id: string) => Promise<void>): SerialRunner {
  const running = new Map<string, Promise<void>>();
  const again = new Map<string, Promise<void>>();

  const start = (id: string): Promise<void> => {
    const p = work(id).finally(() => {
      if (running.get(id) === p) running.delete(id);
    });
    running.set(id, p);
    return p;
  };

  return {
    schedule(id) {
      const current = running.get(id);
      if (!current) return start(id);
      let queued = again.get(id);
      if (!queued) {
        queued = current.then(() => {
          again.delete(id);
          return start(id);
        });
        again.set(id, queued);
      }
      return queued;
    },
    async idle() {
      while (running.size > 0 || again.size > 0) {
        await Promise.allSettled([...running.values(), ...again.values()]);
      }
    },
  };
}
