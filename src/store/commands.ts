/**
 * The commands of the store's replicated log: plain serialisable data, one per mutation.
 *
 * Everything non-deterministic (session IDs, clocks) is decided before a command is appended and
 * carried inside it, so that applying the same log always yields the same state.
 */
import type { CatalogCommand } from './catalog/types.js';
import type { MemberCommand } from './members/types.js';
import { TXN_KV_VERBS, type Session, type TxnKvVerb } from './types.js';

/** KvSetMode says which PUT /v1/kv flavour a {@link KvSetCommand} is. */
export type KvSetMode = 'set' | 'cas' | 'acquire' | 'release';

/** KvSetCommand is PUT /v1/kv/<key>; value is latin1-encoded bytes, null when empty. */
export interface KvSetCommand {
  readonly type: 'kv-set';
  readonly key: string;
  readonly value: string | null;
  readonly flags: bigint;
  readonly mode: KvSetMode;
  /** The expected ModifyIndex for mode 'cas'. */
  readonly cas?: number;
  /** The session for 'acquire' and 'release'. */
  readonly session?: string;
}

/** KvDeleteCommand is DELETE /v1/kv/<key>, optionally check-and-set. */
export interface KvDeleteCommand {
  readonly type: 'kv-delete';
  readonly key: string;
  readonly cas?: number;
}

/** KvDeleteTreeCommand is DELETE /v1/kv/<prefix>?recurse. */
export interface KvDeleteTreeCommand {
  readonly type: 'kv-delete-tree';
  readonly prefix: string;
}

/** TxnOpRecord is one KV op of a transaction, with the value latin1-encoded. */
export interface TxnOpRecord {
  readonly verb: TxnKvVerb;
  readonly key: string;
  readonly value: string | null;
  readonly flags: bigint;
  readonly index: number;
  readonly session: string;
}

/** TxnCommand is PUT /v1/txn with at least one write, applied as one atomic command. */
export interface TxnCommand {
  readonly type: 'txn';
  readonly ops: readonly TxnOpRecord[];
}

/** SessionRecord is a session as stored, without its indexes (the log assigns them). */
export type SessionRecord = Omit<Session, 'createIndex' | 'modifyIndex'>;

/** SessionCreateCommand creates a session whose ID was generated before appending. */
export interface SessionCreateCommand {
  readonly type: 'session-create';
  readonly session: SessionRecord;
}

/** SessionDestroyCommand destroys (invalidates) a session and releases or deletes its locks. */
export interface SessionDestroyCommand {
  readonly type: 'session-destroy';
  readonly id: string;
}

/**
 * SessionRenewCommand restarts a session's TTL. Only replicated servers log it, so that whichever
 * server leads knows every renewal; a lone server renews in memory, as Consul's leader does.
 */
export interface SessionRenewCommand {
  readonly type: 'session-renew';
  readonly id: string;
}

/** TombstoneReapCommand forgets the tombstones of deletes at or below index upTo. */
export interface TombstoneReapCommand {
  readonly type: 'tombstone-reap';
  readonly upTo: number;
}

/** Command is every mutation the state machine applies. */
export type Command =
  | KvSetCommand
  | KvDeleteCommand
  | KvDeleteTreeCommand
  | TxnCommand
  | SessionCreateCommand
  | SessionDestroyCommand
  | SessionRenewCommand
  | TombstoneReapCommand
  | CatalogCommand
  | MemberCommand;

/** TXN_VERBS lists every valid KV transaction verb. */
export const TXN_VERBS: ReadonlySet<TxnKvVerb> = new Set<TxnKvVerb>(TXN_KV_VERBS);
