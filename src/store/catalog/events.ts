/**
 * The agent's user events (`/v1/event/fire`, `/v1/event/list`): kept in memory, the most recent
 * 256, each with a Lamport time. Consul gossips events instead of writing them to Raft, so they
 * are not part of the store's log and are lost on restart.
 */
import { randomUUID } from 'node:crypto';
import { park } from '../park.js';

/** UserEvent is one fired event, in Consul's field order. */
export interface UserEvent {
  readonly ID: string;
  readonly Name: string;
  /** Base64 of the payload, or null when empty. */
  readonly Payload: string | null;
  readonly NodeFilter: string;
  readonly ServiceFilter: string;
  readonly TagFilter: string;
  readonly Version: 1;
  readonly LTime: number;
}

/** EVENT_BUFFER is how many events an agent remembers (Consul's 256). */
export const EVENT_BUFFER = 256;

/** eventIndex turns an event UUID into Consul's uint64 index: the XOR of its two halves. */
export function eventIndex(id: string): number {
  const hex = id.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return 0;
  const x = BigInt(`0x${hex.slice(0, 16)}`) ^ BigInt(`0x${hex.slice(16)}`);
  // Keep it a safe JS integer (blocking only compares for difference).
  return Number(x & 0x1f_ffff_ffff_ffffn);
}

/** EventLogOptions configure an {@link EventLog}. */
export interface EventLogOptions {
  /** UUID source. Default crypto.randomUUID. */
  readonly newId?: () => string;
}

/** EventLog remembers fired events and wakes waiters on new ones. */
export class EventLog {
  readonly #events: UserEvent[] = [];
  readonly #newId: () => string;
  #ltime = 0;
  #waiters = new Set<() => void>();

  constructor(options: EventLogOptions = {}) {
    this.#newId = options.newId ?? randomUUID;
  }

  /** fire records an event and returns it. */
  fire(name: string, payload: Uint8Array, filters: { node: string; service: string; tag: string }) {
    const event: UserEvent = {
      ID: this.#newId(),
      Name: name,
      Payload: payload.byteLength === 0 ? null : Buffer.from(payload).toString('base64'),
      NodeFilter: filters.node,
      ServiceFilter: filters.service,
      TagFilter: filters.tag,
      Version: 1,
      LTime: ++this.#ltime,
    };
    this.#events.push(event);
    if (this.#events.length > EVENT_BUFFER) this.#events.shift();
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const w of waiters) w();
    return event;
  }

  /** list returns the remembered events, oldest first, optionally only those named `name`. */
  list(name = ''): { value: UserEvent[]; index: number } {
    const value = name === '' ? [...this.#events] : this.#events.filter((e) => e.Name === name);
    const last = value.at(-1);
    return { value, index: last ? eventIndex(last.ID) : 0 };
  }

  /** wait resolves at the next fired event, or rejects ABORTED when signal fires. */
  wait(signal: AbortSignal): Promise<void> {
    return park(signal, ({ resolve }) => {
      this.#waiters.add(resolve);
      return () => this.#waiters.delete(resolve);
    });
  }
}
