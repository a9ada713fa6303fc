/**
 * The port through which the membership layer reaches the member table: read it, append member
 * commands to the store's log, and wait for the next change (a blocking query on the table).
 */
import { park } from '../park.js';
import type { Parked } from '../park.js';
import type { MembersState } from './members-state.js';
import type { MemberCommand } from './types.js';

/** MemberStore is the member-table half of the store engine. */
export interface MemberStore {
  /** The current member table (read-only use). */
  membersState(): MembersState;
  /**
   * Appends a command to the log; resolves to its result once applied, rejects with its error.
   * `leaderDuty` (the failure detector's verdicts): on replicated servers the entry is fenced, so
   * it commits only while this server still leads.
   */
  memberApply(command: MemberCommand, options?: { leaderDuty?: boolean }): Promise<unknown>;
  /**
   * Resolves at the next applied change of the table, or rejects with an ABORTED ConfdError when
   * signal fires. Call it synchronously right after the read it guards.
   */
  waitForMembers(signal: AbortSignal): Promise<void>;
}

/** isMemberStore tells whether a store engine implements the member table. */
export function isMemberStore(store: unknown): store is MemberStore {
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof (store as Partial<MemberStore>).memberApply === 'function'
  );
}

/** MemberWaiters parks blocking member-table queries; every table change wakes them all. */
export class MemberWaiters {
  readonly #waiters = new Set<Parked>();

  get size(): number {
    return this.#waiters.size;
  }

  wait(signal: AbortSignal): Promise<void> {
    return park(signal, (parked) => {
      this.#waiters.add(parked);
      return () => this.#waiters.delete(parked);
    });
  }

  /** wake resolves every parked waiter. */
  wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.resolve();
  }

  /** closeAll rejects every parked waiter with ABORTED (the store is closing). */
  closeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.reject();
  }
}
