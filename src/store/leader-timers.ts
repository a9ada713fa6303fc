/**
 * The time-based bookkeeping that Consul keeps on the leader, outside the replicated state:
 * session TTL deadlines, per-key lock-delays and tombstone ages. It never mutates state; it tells
 * the engine which commands are due (session-destroy, tombstone-reap).
 */
import type { Command } from './commands.js';
import type { ApplyEffects } from './state-machine.js';
import { sessionTtlMs } from './session-request.js';
import type { Session } from './types.js';

/** Consul invalidates a session after SessionTTLMultiplier (2) × TTL without a renew. */
const SESSION_TTL_MULTIPLIER = 2;

/** LeaderTimers tracks TTLs, lock-delays and tombstone ages against an injected clock. */
export class LeaderTimers {
  readonly #tombstoneTtlMs: number;
  /** Session ID → time (ms) after which it is invalidated, for sessions with a TTL. */
  readonly #deadlines = new Map<string, number>();
  /** Key → time (ms) until which acquire is refused (lock-delay). */
  readonly #lockDelays = new Map<string, number>();
  /** When tombstones were made: [index, time], oldest first. */
  readonly #tombTimes: { index: number; at: number }[] = [];

  constructor(tombstoneTtlMs: number) {
    this.#tombstoneTtlMs = tombstoneTtlMs;
  }

  /** renew (re)starts a session's TTL clock at now; sessions without a TTL are ignored. */
  renew(session: Session, now: number): void {
    const ttlMs = sessionTtlMs(session.ttl);
    if (ttlMs > 0) this.#deadlines.set(session.id, now + SESSION_TTL_MULTIPLIER * ttlMs);
  }

  /** lockDelayed tells whether an acquire of key is refused at now. */
  lockDelayed(key: string, now: number): boolean {
    const until = this.#lockDelays.get(key);
    return until !== undefined && until > now;
  }

  /** tombstonesMade records that tombstones up to index were made at now. */
  tombstonesMade(index: number, now: number): void {
    const last = this.#tombTimes[this.#tombTimes.length - 1];
    if (last !== undefined && last.at === now) last.index = index;
    else this.#tombTimes.push({ index, at: now });
  }

  /** applied updates the clocks from one applied command and its effects. */
  applied(
    command: Command,
    created: Session | undefined,
    renewed: Session | undefined,
    effects: ApplyEffects,
    now: number,
  ) {
    for (const { key, delayMs } of effects.lockDelays) {
      if (delayMs > 0) this.#lockDelays.set(key, now + delayMs);
    }
    if (created !== undefined) this.renew(created, now);
    if (command.type === 'session-renew' && renewed !== undefined) this.renew(renewed, now);
    if (command.type === 'session-destroy') this.#deadlines.delete(command.id);
  }

  /** forgetExpired drops the lock-delays that ended by now (a server that does not lead). */
  forgetExpired(now: number): void {
    for (const [key, until] of this.#lockDelays) if (until <= now) this.#lockDelays.delete(key);
  }

  /** due returns the commands whose time has come at now (and forgets expired lock-delays). */
  due(now: number): Command[] {
    const out: Command[] = [];
    for (const [id, deadline] of this.#deadlines) {
      if (deadline > now) continue;
      this.#deadlines.delete(id);
      out.push({ type: 'session-destroy', id });
    }
    this.forgetExpired(now);
    let upTo = 0;
    while (this.#tombTimes.length > 0 && this.#tombTimes[0].at + this.#tombstoneTtlMs <= now) {
      upTo = this.#tombTimes.shift()!.index;
    }
    if (upTo > 0) out.push({ type: 'tombstone-reap', upTo });
    return out;
  }
}
