/**
 * The writers of a replicated log and the entries of theirs already applied, so that each entry is
 * applied at most once: an append retried after a timeout may have committed twice. A writer
 * keeps a few appends in flight, which may commit out of order, so the table remembers every
 * sequence number within a window below the writer's highest; older ones count as applied.
 */

/** How many of a writer's sequence numbers are remembered: far more than it keeps in flight. */
export const WRITER_WINDOW = 1024;

/** WriterRow is one writer as a snapshot stores it: id, highest seq, seqs applied in the window. */
export type WriterRow = readonly [writer: string, max: number, seen: readonly number[]];

interface Writer {
  max: number;
  readonly seen: Set<number>;
}

/** WriterTable is part of the replicated state (it is in snapshots, and the same everywhere). */
export class WriterTable {
  readonly #writers = new Map<string, Writer>();

  /** admit records entry `seq` of `writer`; false when it was applied already (or is too old). */
  admit(writer: string, seq: number): boolean {
    let w = this.#writers.get(writer);
    if (w === undefined) this.#writers.set(writer, (w = { max: 0, seen: new Set() }));
    if (seq <= w.max - WRITER_WINDOW || w.seen.has(seq)) return false;
    w.seen.add(seq);
    if (seq > w.max) {
      w.max = seq;
      const floor = seq - WRITER_WINDOW;
      for (const s of w.seen) if (s <= floor) w.seen.delete(s);
    }
    return true;
  }

  rows(): WriterRow[] {
    return [...this.#writers].map(([id, w]) => [id, w.max, [...w.seen].sort((a, b) => a - b)]);
  }

  /** restore loads rows (from a snapshot); false when one is malformed. */
  restore(rows: unknown): boolean {
    if (!Array.isArray(rows)) return false;
    for (const row of rows as unknown[]) {
      if (!Array.isArray(row) || row.length !== 3) return false;
      const [id, max, seen] = row as unknown[];
      if (typeof id !== 'string' || !Number.isSafeInteger(max) || !Array.isArray(seen))
        return false;
      if (!seen.every((s) => Number.isSafeInteger(s))) return false;
      this.#writers.set(id, { max: max as number, seen: new Set(seen as number[]) });
    }
    return true;
  }
}
