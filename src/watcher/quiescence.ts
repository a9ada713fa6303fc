/**
 * Quiescence (`-wait min[:max]`), as consul-template's per-template timer: a change starts a `min`
 * timer that every further change restarts, but the batch fires at the latest `max` after its first
 * change. A burst of writes therefore becomes one render and one reload.
 */

/** QuiescenceOptions configures {@link createQuiescence}. */
export interface QuiescenceOptions {
  minMs: number;
  maxMs: number;
  /** Called once per id when its batch settles. */
  fire: (id: string) => void;
  /** The clock. Default Date.now. */
  now?: () => number;
}

/** Quiescence batches change notifications per id. */
export interface Quiescence {
  /** add notes a change for each id. */
  add(ids: readonly string[]): void;
  /** The ids waiting to fire. */
  readonly pending: number;
  /** Drops every pending batch without firing. Idempotent. */
  close(): void;
}

interface Batch {
  timer: NodeJS.Timeout;
  deadline: number;
}

/** createQuiescence builds per-id min/max debounce timers. */
export function createQuiescence(options: QuiescenceOptions): Quiescence {
  const now = options.now ?? Date.now;
  const batches = new Map<string, Batch>();
  let closed = false;
  const fire = (id: string) => {
    batches.delete(id);
    options.fire(id);
  };
  return {
    add(ids) {
      if (closed) return;
      for (const id of ids) {
        const existing = batches.get(id);
        const deadline = existing?.deadline ?? now() + options.maxMs;
        if (existing) clearTimeout(existing.timer);
        const delay = Math.max(0, Math.min(options.minMs, deadline - now()));
        batches.set(id, { timer: setTimeout(fire, delay, id), deadline });
      }
    },
    get pending() {
      return batches.size;
    },
    close() {
      closed = true;
      for (const batch of batches.values()) clearTimeout(batch.timer);
      batches.clear();
    },
  };
}
