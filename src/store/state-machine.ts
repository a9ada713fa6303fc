/**
 * The store's deterministic state machine: the KV table, its tombstones and the sessions table.
 *
 * `apply(index, command)` is the only writer. It reads no clock and draws no random numbers, so
 * replaying a log yields the same state on every replica. Its outcome (result or error) and its
 * effects (what changed, for waking watchers and arming lock-delay) are returned to the caller.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { WriterTable } from './writer-table.js';
import type { Command, KvSetCommand, SessionRecord, TxnCommand, TxnOpRecord } from './commands.js';
import { KvTree, ZERO_FLAGS, type EntryFields, type TreeNode } from './kv-tree.js';
import type { KvEntry, Session, TxnResult } from './types.js';
import { CatalogState } from './catalog/catalog-state.js';
import type { CatalogCommand, CatalogEffects } from './catalog/types.js';
import { MembersState } from './members/members-state.js';
import type { MemberCommand } from './members/types.js';

/** ApplyEffects says what an applied command changed, for watchers and the leader's timers. */
export interface ApplyEffects {
  /** Keys whose entry was written or deleted (in no particular order, maybe repeated). */
  readonly changedKeys: string[];
  sessionsChanged: boolean;
  /** Keys released or deleted by a session invalidation, and the session's lock-delay (ms). */
  readonly lockDelays: { key: string; delayMs: number }[];
  /** What a catalog command changed (catalog tables and per-service indexes). */
  catalog?: CatalogEffects;
  /** The member table changed. */
  membersChanged?: boolean;
}

/** ApplyOutcome is the result of one command, or the typed error it answers with. */
export type ApplyOutcome = { ok: true; value: unknown } | { ok: false; error: ConfdError };

/** TombstoneRecord is one not-yet-reaped delete, in log order. */
export interface TombstoneRecord {
  readonly key: string;
  readonly index: number;
}

interface UndoRecord {
  readonly key: string;
  readonly fields: EntryFields | null;
  readonly tomb: number;
}

/** TxnOpError is a failed transaction operation; its message is Consul's `What`. */
class TxnOpError extends Error {}

function sameFields(node: TreeNode, f: EntryFields): boolean {
  return (
    node.value === f.value &&
    node.flags === f.flags &&
    node.session === f.session &&
    node.lockIndex === f.lockIndex
  );
}

function fieldsOf(node: TreeNode): EntryFields {
  return {
    createIndex: node.createIndex,
    modifyIndex: node.modifyIndex,
    lockIndex: node.lockIndex,
    value: node.value,
    flags: node.flags,
    session: node.session,
  };
}

/** mergeCatalogEffects combines the effects of several catalog commands of one log entry. */
function mergeCatalogEffects(
  into: CatalogEffects | undefined,
  more: CatalogEffects | undefined,
): CatalogEffects | undefined {
  if (into === undefined || more === undefined) return more ?? into;
  return {
    tables: new Set([...into.tables, ...more.tables]),
    services: new Set([...into.services, ...more.services]),
    removedNodes: [...into.removedNodes, ...more.removedNodes],
    checkStatuses: [...into.checkStatuses, ...more.checkStatuses],
    removedChecks: [...into.removedChecks, ...more.removedChecks],
  };
}

/** toBytes decodes a stored latin1 value into bytes (null stays null). */
export function toBytes(value: string | null): Uint8Array | null {
  return value === null ? null : Buffer.from(value, 'latin1');
}

/** toEntry renders the live entry at node as the public {@link KvEntry}. */
export function toEntry(key: string, node: TreeNode, withValue = true): KvEntry {
  const entry: {
    key: string;
    value: Uint8Array | null;
    flags: bigint;
    createIndex: number;
    modifyIndex: number;
    lockIndex: number;
    session?: string;
  } = {
    key,
    value: withValue ? toBytes(node.value) : null,
    flags: node.flags,
    createIndex: node.createIndex,
    modifyIndex: node.modifyIndex,
    lockIndex: node.lockIndex,
  };
  if (node.session !== undefined) entry.session = node.session;
  return entry;
}

/**
 * SessionIndex finds the sessions a catalog change invalidates without scanning the sessions
 * table: by node (the node goes) and by bound check (`node`, check ID; the check turns critical).
 * Derived from the sessions table, like the lock index.
 */
class SessionIndex {
  readonly #byNode = new Map<string, Set<string>>();
  readonly #byCheck = new Map<string, Set<string>>();
  /** The number of sessions indexed. */
  size = 0;

  static #checkKey(node: string, checkId: string): string {
    return `${node}\u0000${checkId}`;
  }

  static #keys(session: Session): string[] {
    const ids = [...session.nodeChecks, ...(session.serviceChecks ?? []).map((c) => c.id)];
    return [...new Set(ids)].map((id) => SessionIndex.#checkKey(session.node, id));
  }

  static #add(map: Map<string, Set<string>>, key: string, id: string): void {
    let ids = map.get(key);
    if (ids === undefined) map.set(key, (ids = new Set()));
    ids.add(id);
  }

  static #remove(map: Map<string, Set<string>>, key: string, id: string): void {
    const ids = map.get(key);
    ids?.delete(id);
    if (ids?.size === 0) map.delete(key);
  }

  add(session: Session): void {
    SessionIndex.#add(this.#byNode, session.node, session.id);
    for (const key of SessionIndex.#keys(session)) {
      SessionIndex.#add(this.#byCheck, key, session.id);
    }
    this.size++;
  }

  remove(session: Session): void {
    if (!this.#byNode.get(session.node)?.has(session.id)) return;
    SessionIndex.#remove(this.#byNode, session.node, session.id);
    for (const key of SessionIndex.#keys(session)) {
      SessionIndex.#remove(this.#byCheck, key, session.id);
    }
    this.size--;
  }

  /** ofNode lists the IDs of a node's sessions. */
  ofNode(node: string): Iterable<string> {
    return this.#byNode.get(node) ?? [];
  }

  /** boundTo lists the IDs of the sessions bound to a check of a node. */
  boundTo(node: string, checkId: string): Iterable<string> {
    return this.#byCheck.get(SessionIndex.#checkKey(node, checkId)) ?? [];
  }
}

/** IndexPosition says how a command's index relates to the last applied one (see apply). */
export type IndexPosition = 'next' | 'after' | 'same';

/** StateMachine holds the replicated state; every mutation goes through {@link apply}. */
export class StateMachine {
  readonly tree = new KvTree();
  readonly sessions = new Map<string, Session>();
  /** The service catalog (nodes, services, checks); replaced on snapshot load. */
  catalog = new CatalogState();
  /** The cluster's members; replaced on snapshot load. */
  members = new MembersState();
  /** Keys locked by each session (derived from the KV table). */
  readonly #locks = new Map<string, Set<string>>();
  /**
   * The sessions by node and by bound check, for catalog changes. Built on first use (after any
   * snapshot load), then kept in step by session create/destroy.
   */
  #sessionIndex: SessionIndex | undefined;
  /**
   * Index of the last applied command. Index 1 is reserved: in Consul the first Raft write is
   * always an internal one, and its HTTP layer reports an empty table as index 1, so the first user
   * write must get index 2 for a blocking query parked at 1 to see it.
   */
  lastIndex = 1;
  /** Highest index that changed the KV table (entries or tombstones). */
  kvIndex = 0;
  /** Highest index that changed the sessions table. */
  sessionsIndex = 0;
  /** Not-yet-reaped deletes in log order; entries may be stale (the key was re-written since). */
  readonly tombstones: TombstoneRecord[] = [];
  #tombHead = 0;
  /** Tombstones currently in the tree (the queue may also hold stale records). */
  tombstoneCount = 0;

  #journal: UndoRecord[] | null = null;
  #effects: ApplyEffects = StateMachine.#noEffects();

  static #noEffects(): ApplyEffects {
    return { changedKeys: [], sessionsChanged: false, lockDelays: [] };
  }

  /** The writers of a replicated log and their applied entries (at-most-once apply). */
  readonly writers = new WriterTable();

  /**
   * apply applies command at index and reports what it changed. With the local log `index` must be
   * lastIndex + 1 (`next`); a replicated log's index is its revision, which may skip numbers
   * (`after`), and every command of one entry shares it (`same`, for the second and later ones).
   */
  apply(
    index: number,
    command: Command,
    position: IndexPosition = 'next',
  ): { outcome: ApplyOutcome; effects: ApplyEffects } {
    const last = this.lastIndex;
    const fits =
      position === 'next'
        ? index === last + 1
        : position === 'after'
          ? index > last
          : index === last;
    if (!fits) {
      throw new ConfdError(
        ErrorCode.STORE_INVALID_COMMAND,
        `command index ${index} does not follow ${last}`,
      );
    }
    this.#effects = StateMachine.#noEffects();
    let outcome: ApplyOutcome;
    try {
      outcome = { ok: true, value: this.#dispatch(index, command) };
    } catch (err) {
      // The index is consumed either way, so the log and the state never disagree on numbering.
      const error =
        err instanceof ConfdError
          ? err
          : new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `command ${command.type} failed`, {
              cause: err,
            });
      outcome = { ok: false, error };
    }
    this.lastIndex = index;
    const effects = this.#effects;
    this.#effects = StateMachine.#noEffects();
    return { outcome, effects };
  }

  #dispatch(index: number, command: Command): unknown {
    switch (command.type) {
      case 'kv-set':
        return this.#kvSet(index, command);
      case 'kv-delete':
        if (command.cas !== undefined) return this.#deleteCas(index, command.key, command.cas);
        this.#deleteEntry(command.key, index);
        return true;
      case 'kv-delete-tree':
        this.#deleteTree(command.prefix, index);
        return true;
      case 'txn':
        return this.#txn(index, command);
      case 'session-create':
        return this.#sessionCreate(index, command.session);
      case 'session-destroy':
        this.#sessionDestroy(index, command.id);
        return undefined;
      case 'session-renew':
        // Renewing changes no table: the leader's TTL clocks (outside the state) restart.
        return this.sessions.get(command.id);
      case 'tombstone-reap':
        this.#reap(command.upTo);
        return undefined;
      case 'catalog-register':
      case 'catalog-deregister':
      case 'check-status':
        return this.#catalog(index, command);
      case 'member-set':
      case 'member-remove':
        return this.#member(index, command);
    }
  }

  /**
   * #member applies a member-table command and, in the same log entry, the catalog writes it
   * implies (node registration, `serfHealth`, deregistration), as Consul's leader reconcile does.
   */
  #member(index: number, command: MemberCommand): unknown {
    const applied = this.members.apply(index, command, this.catalog);
    this.#effects.membersChanged = true;
    let effects: CatalogEffects | undefined;
    for (const c of applied.catalog) {
      this.#catalog(index, c);
      effects = mergeCatalogEffects(effects, this.#effects.catalog);
    }
    if (effects !== undefined) this.#effects.catalog = effects;
    return applied.value;
  }

  /**
   * #catalog applies a catalog command, then invalidates the sessions Consul would: those of a
   * removed node, those bound to a check that turned critical, and those bound to a deleted check
   * (consul deleteCheckTxn, whatever the check's status was).
   */
  #catalog(index: number, command: CatalogCommand): unknown {
    const { outcome, effects } = this.catalog.apply(index, command);
    this.#effects.catalog = effects;
    if (!outcome.ok) throw outcome.error;
    const removed = new Set(effects.removedNodes);
    const critical = [
      ...effects.checkStatuses.filter((c) => c.status === 'critical'),
      ...effects.removedChecks,
    ];
    if (removed.size === 0 && critical.length === 0) return outcome.value;
    if (this.sessions.size === 0) return outcome.value;
    const lookup = this.#sessionLookup();
    const ids = new Set<string>();
    for (const node of removed) for (const id of lookup.ofNode(node)) ids.add(id);
    for (const c of critical) for (const id of lookup.boundTo(c.node, c.checkId)) ids.add(id);
    const hits: Session[] = [];
    for (const id of ids) {
      const session = this.sessions.get(id);
      if (session !== undefined) hits.push(session);
    }
    // In sessions-table order (creation order), as a scan of the whole table would visit them.
    hits.sort((a, b) => a.createIndex - b.createIndex);
    for (const session of hits) this.#sessionDestroy(index, session.id);
    return outcome.value;
  }

  // --- KV primitives -------------------------------------------------------------------------

  /** #writeEntry stores fields at key (recording undo inside a transaction) and touches its path. */
  #writeEntry(key: string, fields: EntryFields, index: number): void {
    const path: TreeNode[] = [];
    const node = this.tree.upsert(key, path);
    this.#journal?.push({ key, fields: node.hasEntry ? fieldsOf(node) : null, tomb: node.tomb });
    if (!node.hasEntry) for (const n of path) n.live++;
    this.#relock(key, node.session, fields.session);
    node.createIndex = fields.createIndex;
    node.modifyIndex = fields.modifyIndex;
    node.lockIndex = fields.lockIndex;
    node.value = fields.value;
    node.flags = fields.flags;
    node.session = fields.session;
    if (node.tomb > 0) this.tombstoneCount--;
    node.tomb = 0;
    this.#touched(key, path, index);
  }

  /** #deleteEntry removes the live entry at key, leaving a tombstone; false when absent. */
  #deleteEntry(key: string, index: number): boolean {
    const path = this.tree.pathTo(key);
    const node = path?.[path.length - 1];
    if (path === undefined || node === undefined || !node.hasEntry) return false;
    this.#journal?.push({ key, fields: fieldsOf(node), tomb: node.tomb });
    for (const n of path) n.live--;
    this.#relock(key, node.session, undefined);
    node.createIndex = 0;
    node.modifyIndex = 0;
    node.lockIndex = 0;
    node.value = null;
    node.flags = ZERO_FLAGS;
    node.session = undefined;
    if (node.tomb === 0) this.tombstoneCount++;
    node.tomb = index;
    this.tombstones.push({ key, index });
    this.#touched(key, path, index);
    return true;
  }

  #touched(key: string, path: TreeNode[], index: number): void {
    this.#effects.changedKeys.push(key);
    // Inside a transaction the path is touched at commit, so a rollback leaves no trace.
    if (this.#journal !== null) return;
    for (const n of path) n.maxIndex = index;
    this.kvIndex = index;
  }

  #relock(key: string, from: string | undefined, to: string | undefined): void {
    if (from === to) return;
    if (from !== undefined) {
      const keys = this.#locks.get(from);
      keys?.delete(key);
      if (keys?.size === 0) this.#locks.delete(from);
    }
    if (to !== undefined) {
      let keys = this.#locks.get(to);
      if (keys === undefined) this.#locks.set(to, (keys = new Set()));
      keys.add(key);
    }
  }

  #live(key: string): TreeNode | undefined {
    const node = this.tree.get(key);
    return node?.hasEntry ? node : undefined;
  }

  // --- KV commands ---------------------------------------------------------------------------

  #kvSet(index: number, c: KvSetCommand): boolean {
    const existing = this.#live(c.key);
    let session: string | undefined;
    let lockIndex: number;
    switch (c.mode) {
      case 'set':
        // Consul keeps the lock holder on a plain PUT to a locked key, but takes LockIndex from
        // the request's entry, which a PUT never sets: it resets to 0 (state/kvs.go kvsSetTxn).
        session = existing?.session;
        lockIndex = 0;
        break;
      case 'cas':
        if (c.cas === 0 ? existing !== undefined : existing?.modifyIndex !== c.cas) return false;
        session = existing?.session;
        lockIndex = 0;
        break;
      case 'acquire': {
        const holder = c.session ?? '';
        if (holder === '') throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, 'missing session');
        if (!this.sessions.has(holder)) {
          throw new ConfdError(
            ErrorCode.STORE_SESSION_INVALID,
            `invalid session ${JSON.stringify(holder)}`,
          );
        }
        if (existing?.session !== undefined && existing.session !== holder) return false;
        session = holder;
        lockIndex =
          existing === undefined
            ? 1
            : existing.session === holder
              ? existing.lockIndex
              : existing.lockIndex + 1;
        break;
      }
      case 'release':
        if (existing === undefined || existing.session !== (c.session ?? '')) return false;
        session = undefined;
        lockIndex = existing.lockIndex;
        break;
    }
    const fields: EntryFields = {
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
      lockIndex,
      value: c.value,
      flags: c.flags,
      session,
    };
    // Consul skips a write equal to the stored entry: no index change, no wake-up.
    if (existing !== undefined && sameFields(existing, fields)) return true;
    this.#writeEntry(c.key, fields, index);
    return true;
  }

  #deleteCas(index: number, key: string, cas: number): boolean {
    const existing = this.#live(key);
    // Consul answers true for a missing key (nothing to delete) and never deletes with cas=0.
    if (existing === undefined) return true;
    if (existing.modifyIndex !== cas) return false;
    return this.#deleteEntry(key, index);
  }

  #deleteTree(prefix: string, index: number): void {
    const covering = this.tree.cover(prefix);
    if (covering === undefined) return;
    const keys: string[] = [];
    this.tree.walk(covering.node, covering.path, (node, path) => {
      if (node.hasEntry) keys.push(path);
      return node.live > 0;
    });
    for (const key of keys) this.#deleteEntry(key, index);
  }

  #reap(upTo: number): void {
    const list = this.tombstones;
    while (this.#tombHead < list.length && list[this.#tombHead].index <= upTo) {
      const { key, index } = list[this.#tombHead++];
      const path = this.tree.pathTo(key);
      const node = path?.[path.length - 1];
      if (path === undefined || node === undefined || node.tomb !== index) continue;
      node.tomb = 0;
      this.tombstoneCount--;
      this.tree.prune(path);
    }
    if (this.#tombHead > 1024 && this.#tombHead * 2 > list.length) {
      list.splice(0, this.#tombHead);
      this.#tombHead = 0;
    }
  }

  /** restoreTombstones rebuilds the reap queue after a snapshot load. */
  restoreTombstones(records: TombstoneRecord[]): void {
    this.tombstones.length = 0;
    this.#tombHead = 0;
    records.sort((a, b) => a.index - b.index);
    for (const r of records) this.tombstones.push(r);
    this.tombstoneCount = records.length;
  }

  /** restoreLocks rebuilds the session → keys index after a snapshot load. */
  restoreLocks(locks: readonly { key: string; session: string }[]): void {
    this.#locks.clear();
    for (const { key, session } of locks) this.#relock(key, undefined, session);
  }

  // --- transactions --------------------------------------------------------------------------

  #txn(index: number, c: TxnCommand): TxnResult {
    this.#journal = [];
    const results: KvEntry[] = [];
    const errors: { opIndex: number; what: string }[] = [];
    try {
      c.ops.forEach((op, i) => {
        try {
          this.#txnOp(index, op, results);
        } catch (err) {
          if (!(err instanceof TxnOpError) && !(err instanceof ConfdError)) throw err;
          errors.push({ opIndex: i, what: err.message });
        }
      });
    } catch (err) {
      this.#rollback();
      throw err;
    }
    if (errors.length > 0) {
      this.#rollback();
      return { ok: false, errors };
    }
    const journal = this.#journal;
    this.#journal = null;
    if (journal.length > 0) {
      const seen = new Set<string>();
      for (const { key } of journal) {
        if (seen.has(key)) continue;
        seen.add(key);
        const path = this.tree.pathTo(key);
        if (path !== undefined) for (const n of path) n.maxIndex = index;
      }
      this.kvIndex = index;
    }
    return { ok: true, results, index };
  }

  /** readTxn runs a transaction of read verbs only against the current state, without logging. */
  readTxn(ops: readonly TxnOpRecord[]): TxnResult {
    return this.#txn(this.lastIndex, { type: 'txn', ops });
  }

  #rollback(): void {
    const journal = this.#journal ?? [];
    this.#journal = null;
    for (let i = journal.length - 1; i >= 0; i--) {
      const { key, fields, tomb } = journal[i];
      const path: TreeNode[] = [];
      const node = this.tree.upsert(key, path);
      if (fields === null && node.hasEntry) for (const n of path) n.live--;
      if (fields !== null && !node.hasEntry) for (const n of path) n.live++;
      this.#relock(key, node.session, fields?.session);
      node.createIndex = fields?.createIndex ?? 0;
      node.modifyIndex = fields?.modifyIndex ?? 0;
      node.lockIndex = fields?.lockIndex ?? 0;
      node.value = fields?.value ?? null;
      node.flags = fields?.flags ?? ZERO_FLAGS;
      node.session = fields?.session;
      this.tombstoneCount += (tomb > 0 ? 1 : 0) - (node.tomb > 0 ? 1 : 0);
      node.tomb = tomb;
      this.tree.prune(path);
    }
    this.#effects.changedKeys.length = 0;
  }

  #txnOp(index: number, op: TxnOpRecord, results: KvEntry[]): void {
    const q = JSON.stringify(op.key);
    const pushResult = (withValue: boolean) => {
      const node = this.#live(op.key);
      if (node !== undefined) results.push(toEntry(op.key, node, withValue));
    };
    const set = (mode: KvSetCommand['mode']) =>
      this.#kvSet(index, {
        type: 'kv-set',
        key: op.key,
        value: op.value,
        flags: op.flags,
        mode,
        cas: op.index,
        session: op.session,
      });
    switch (op.verb) {
      case 'set':
        set('set');
        return pushResult(false);
      case 'cas':
        if (!set('cas')) throw new TxnOpError(`failed to set key ${q}, index is stale`);
        return pushResult(false);
      case 'lock':
        if (!set('acquire')) throw new TxnOpError(`failed to lock key ${q}, lock is already held`);
        return pushResult(false);
      case 'unlock':
        if (op.session === '') throw new TxnOpError('missing session');
        if (!set('release')) {
          throw new TxnOpError(
            `failed to unlock key ${q}, lock isn't held, or is held by another session`,
          );
        }
        return pushResult(false);
      case 'get': {
        const node = this.#live(op.key);
        if (node === undefined) throw new TxnOpError(`key ${q} doesn't exist`);
        results.push(toEntry(op.key, node, true));
        return;
      }
      case 'get-or-empty': {
        const node = this.#live(op.key);
        if (node !== undefined) {
          results.push(toEntry(op.key, node, true));
          return;
        }
        // Consul answers the request's own entry, value blanked.
        const empty: { -readonly [K in keyof KvEntry]: KvEntry[K] } = {
          key: op.key,
          value: null,
          flags: op.flags,
          createIndex: 0,
          modifyIndex: op.index,
          lockIndex: 0,
        };
        if (op.session !== '') empty.session = op.session;
        results.push(empty);
        return;
      }
      case 'get-tree':
        for (const entry of this.list(op.key)) results.push(entry);
        return;
      case 'check-index': {
        const node = this.#live(op.key);
        if (node === undefined)
          throw new TxnOpError(`failed to check index, key ${q} doesn't exist`);
        if (node.modifyIndex !== op.index) {
          throw new TxnOpError(
            `failed index check for key ${q}, current modify index ${node.modifyIndex} != ${op.index}`,
          );
        }
        results.push(toEntry(op.key, node, false));
        return;
      }
      case 'check-session': {
        const node = this.#live(op.key);
        if (node === undefined) {
          throw new TxnOpError(`failed to check session, key ${q} doesn't exist`);
        }
        if ((node.session ?? '') !== op.session) {
          throw new TxnOpError(
            `failed session check for key ${q}, current session ${JSON.stringify(node.session ?? '')} != ${JSON.stringify(op.session)}`,
          );
        }
        results.push(toEntry(op.key, node, false));
        return;
      }
      case 'check-not-exists':
        if (this.#live(op.key) !== undefined) throw new TxnOpError(`key ${q} exists`);
        return;
      case 'delete':
        this.#deleteEntry(op.key, index);
        return;
      case 'delete-tree':
        this.#deleteTree(op.key, index);
        return;
      case 'delete-cas':
        if (!this.#deleteCas(index, op.key, op.index)) {
          throw new TxnOpError(`failed to delete key ${q}, index is stale`);
        }
        return;
    }
  }

  // --- sessions ------------------------------------------------------------------------------

  #sessionLookup(): SessionIndex {
    // Rebuilt when the table was filled behind our back (a snapshot load).
    if (this.#sessionIndex === undefined || this.#sessionIndex.size !== this.sessions.size) {
      this.#sessionIndex = new SessionIndex();
      for (const session of this.sessions.values()) this.#sessionIndex.add(session);
    }
    return this.#sessionIndex;
  }

  #sessionCreate(index: number, record: SessionRecord): Session {
    if (this.sessions.has(record.id)) {
      throw new ConfdError(ErrorCode.STORE_INVALID_COMMAND, `session ${record.id} already exists`);
    }
    this.#checkSessionCatalog(record);
    const session: Session = { ...record, createIndex: index, modifyIndex: index };
    this.sessions.set(record.id, session);
    this.#sessionIndex?.add(session);
    this.sessionsIndex = index;
    this.#effects.sessionsChanged = true;
    return session;
  }

  /**
   * #checkSessionCatalog is Consul's sessionCreateTxn check: the session's node is registered, and
   * every check it names (node checks, then service checks) is registered on that node and not
   * critical. A store whose catalog never held a node (a plain KV store, no agent registered
   * itself) has nothing to check against and accepts any node, as before.
   */
  #checkSessionCatalog(record: SessionRecord): void {
    if (this.catalog.nodesIndex === 0) return;
    const refuse = (message: string) => new ConfdError(ErrorCode.STORE_SESSION_REFUSED, message);
    if (this.catalog.node(record.node) === undefined) throw refuse('Missing node registration');
    const ids = [...record.nodeChecks, ...(record.serviceChecks ?? []).map((c) => c.id)];
    for (const id of ids) {
      const check = this.catalog.check(record.node, id);
      if (check === undefined) throw refuse(`Missing check '${id}' registration`);
      if (check.status === 'critical') throw refuse(`Check '${id}' is in critical state`);
    }
  }

  #sessionDestroy(index: number, id: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    const keys = [...(this.#locks.get(id) ?? [])].sort();
    const delayMs = session.lockDelayNs / 1e6;
    for (const key of keys) {
      const node = this.#live(key);
      if (node === undefined) continue;
      if (session.behavior === 'delete') this.#deleteEntry(key, index);
      else
        this.#writeEntry(key, { ...fieldsOf(node), modifyIndex: index, session: undefined }, index);
      this.#effects.lockDelays.push({ key, delayMs });
    }
    this.#locks.delete(id);
    this.sessions.delete(id);
    this.#sessionIndex?.remove(session);
    this.sessionsIndex = index;
    this.#effects.sessionsChanged = true;
  }

  // --- reads ---------------------------------------------------------------------------------

  /** get returns the live entry at key. */
  get(key: string): KvEntry | undefined {
    const node = this.#live(key);
    return node === undefined ? undefined : toEntry(key, node);
  }

  /** keyIndex is the blocking index of a single-key read: its ModifyIndex, else the table's. */
  keyIndex(key: string): number {
    return this.#live(key)?.modifyIndex ?? this.kvIndex;
  }

  /** prefixIndex is the blocking index of a prefix read (Consul: entries + tombstones, else table). */
  prefixIndex(prefix: string): number {
    if (prefix === '') return this.kvIndex;
    return this.tree.cover(prefix)?.node.maxIndex ?? this.kvIndex;
  }

  /** list returns every live entry under prefix, in key order. */
  list(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    const covering = this.tree.cover(prefix);
    if (covering === undefined) return out;
    this.tree.walk(covering.node, covering.path, (node, path) => {
      if (node.hasEntry) out.push(toEntry(path, node));
      return node.live > 0;
    });
    return out;
  }

  /** keys returns the key names under prefix, truncated after the first separator past it. */
  keys(prefix: string, separator = ''): string[] {
    const out: string[] = [];
    const covering = this.tree.cover(prefix);
    if (covering === undefined) return out;
    let last: string | undefined;
    this.tree.walk(covering.node, covering.path, (node, path) => {
      if (node.live === 0) return false;
      if (separator !== '') {
        const from = Math.max(
          prefix.length,
          path.length - node.label.length - separator.length + 1,
        );
        const at = path.indexOf(separator, from);
        if (at >= 0) {
          const truncated = path.slice(0, at + separator.length);
          if (truncated !== last) out.push((last = truncated));
          return false;
        }
      }
      if (node.hasEntry && path !== last) out.push((last = path));
      return true;
    });
    return out;
  }

  /** sessionLockCount tells how many keys a session holds (for tests and stats). */
  sessionLockCount(id: string): number {
    return this.#locks.get(id)?.size ?? 0;
  }
}
