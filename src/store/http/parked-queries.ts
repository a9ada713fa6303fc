/**
 * Parked blocking queries, grouped by query shape. Every parked query with the same shape (same
 * route, key or prefix and rendering options) joins one group; the group holds one store waiter,
 * and when it wakes it runs the read once, renders the answer once, and writes that same answer
 * to every member whose index it passes. Timeouts share one timer ({@link DeadlineQueue}).
 *
 * Each member still gets exactly what its own blocking loop would give: the answer of a fresh read
 * at wake-up when the index moved past its own, the current state when its wait (plus jitter) runs
 * out, and Consul's missing-key rule (PR #12110) applied to its own index.
 */
import type { ServerResponse } from 'node:http';
import { ErrorCode, isConfdError } from '../../errors.js';
import type { Indexed, Store, WatchScope } from '../types.js';
import type { PreparedResponse } from './context.js';
import { writePrepared } from './context.js';
import { DeadlineQueue } from './deadline-queue.js';

/** BlockingQuery describes one blocking read and how its answer is rendered. */
export interface BlockingQuery<T> {
  /**
   * The shape: queries with equal keys share one read and one rendered answer per wake-up, so it
   * must name everything `read` and `render` depend on (route, key, options, consistency).
   */
  readonly key: string;
  readonly scope: WatchScope;
  readonly read: () => Indexed<T>;
  /**
   * Tells a "not found" answer. Consul (PR #12110) keeps a parked query for a missing key parked
   * when it wakes and the key is still missing, instead of returning the moved table index.
   */
  readonly notFound?: (value: T) => boolean;
  /** Renders a read's answer; must depend only on the result and on what `key` names. */
  readonly render: (result: Indexed<T>) => PreparedResponse;
}

/** ParkOptions describe one client's parked query. */
export interface ParkOptions<T> {
  readonly res: ServerResponse;
  /** The client's index. */
  readonly minIndex: number;
  /** The wait with jitter, in ms. */
  readonly timeoutMs: number;
  /** The read the client was parked after. */
  readonly first: Indexed<T>;
}

/** ParkedQueriesOptions configure {@link ParkedQueries}. */
export interface ParkedQueriesOptions {
  readonly store: Store;
  /** Answers a request that failed with an unexpected error (500, or drops the connection). */
  readonly fail: (res: ServerResponse, err: unknown) => void;
  /** The clock of the timeouts, in ms. Default `performance.now`. */
  readonly now?: () => number;
}

interface Member {
  readonly res: ServerResponse;
  readonly group: Group;
  readonly deadline: number;
  minIndex: number;
  wasNotFound: boolean;
  /** True while parked: not yet answered, timed out or gone. */
  pending: boolean;
}

interface Group {
  readonly query: BlockingQuery<unknown>;
  readonly members: Set<Member>;
  /** Aborts the group's store waiter once the group is empty or the registry closes. */
  readonly controller: AbortController;
}

/** ParkedQueries holds the parked blocking queries of one HTTP API. */
export class ParkedQueries {
  readonly #store: Store;
  readonly #fail: (res: ServerResponse, err: unknown) => void;
  readonly #now: () => number;
  readonly #groups = new Map<string, Group>();
  readonly #deadlines: DeadlineQueue<Member>;
  #size = 0;
  #closed = false;

  constructor(options: ParkedQueriesOptions) {
    this.#store = options.store;
    this.#fail = options.fail;
    this.#now = options.now ?? (() => performance.now());
    this.#deadlines = new DeadlineQueue<Member>({
      expire: (member) => this.#expire(member),
      now: this.#now,
    });
  }

  /** size is the number of parked queries. */
  get size(): number {
    return this.#size;
  }

  /**
   * park holds `options.res` until the query's index passes `options.minIndex` or the timeout
   * runs out, then writes the answer. After close() (or for a client already gone) it drops the
   * connection at once.
   */
  park<T>(query: BlockingQuery<T>, options: ParkOptions<T>): void {
    const { res } = options;
    if (this.#closed || res.destroyed || res.writableEnded) {
      res.destroy();
      return;
    }
    let group = this.#groups.get(query.key);
    const fresh = group === undefined;
    if (group === undefined) {
      group = {
        query: query as BlockingQuery<unknown>,
        members: new Set(),
        controller: new AbortController(),
      };
      this.#groups.set(query.key, group);
    }
    const member: Member = {
      res,
      group,
      deadline: this.#now() + options.timeoutMs,
      minIndex: options.minIndex,
      wasNotFound: query.notFound?.(options.first.value) ?? false,
      pending: true,
    };
    group.members.add(member);
    this.#size++;
    this.#deadlines.add(member);
    // Never removed: 'close' follows every response (then it finds the member done), and the
    // response object is dropped with its listeners.
    res.on('close', () => {
      if (!member.pending) return;
      this.#leave(member);
      this.#deadlines.dropped();
    });
    // A group's waiter is registered right after a read, so no change can slip in between: a
    // new group's after the caller's read (synchronously before this call), an existing group's
    // after its own last read. A member that read a newer state than the group's last read is
    // still covered: that change has woken (or will wake) the group, which re-reads.
    if (fresh) this.#wait(group);
  }

  /** close drops every parked query's connection and refuses new ones. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadlines.close();
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    this.#size = 0;
    for (const group of groups) {
      group.controller.abort();
      for (const member of group.members) {
        member.pending = false;
        member.res.destroy();
      }
      group.members.clear();
    }
  }

  #wait(group: Group): void {
    this.#store.waitForChange(group.query.scope, group.controller.signal).then(
      () => this.#wake(group),
      (err: unknown) => this.#waitFailed(group, err),
    );
  }

  #wake(group: Group): void {
    if (group.members.size === 0) return;
    const { query, members } = group;
    let result: Indexed<unknown>;
    try {
      result = query.read();
    } catch (err) {
      this.#waitFailed(group, err);
      return;
    }
    const notFound = query.notFound?.(result.value) ?? false;
    const answered: Member[] = [];
    for (const member of members) {
      if (member.wasNotFound && notFound && result.index > member.minIndex) {
        member.minIndex = result.index;
      }
      member.wasNotFound = notFound;
      if (result.index > member.minIndex) answered.push(member);
    }
    if (answered.length === members.size) {
      members.clear();
      if (this.#groups.get(query.key) === group) this.#groups.delete(query.key);
    } else {
      for (const member of answered) members.delete(member);
      // Synchronously after the read, as in park().
      this.#wait(group);
    }
    this.#size -= answered.length;
    if (answered.length === 0) return;
    for (const member of answered) {
      member.pending = false;
      this.#deadlines.dropped();
    }
    let prepared: PreparedResponse;
    try {
      prepared = query.render(result);
    } catch (err) {
      for (const member of answered) this.#fail(member.res, err);
      return;
    }
    for (const member of answered) this.#send(member.res, prepared);
  }

  #waitFailed(group: Group, err: unknown): void {
    // Our own abort: the group emptied, or close() dropped its members.
    if (isConfdError(err, ErrorCode.ABORTED)) return;
    if (this.#groups.get(group.query.key) === group) this.#groups.delete(group.query.key);
    for (const member of group.members) {
      member.pending = false;
      this.#size--;
      this.#deadlines.dropped();
      this.#fail(member.res, err);
    }
    group.members.clear();
  }

  /** On timeout Consul answers the current state (200, maybe the same index). */
  #expire(member: Member): void {
    this.#leave(member);
    const { query } = member.group;
    let prepared: PreparedResponse;
    try {
      prepared = query.render(query.read());
    } catch (err) {
      this.#fail(member.res, err);
      return;
    }
    this.#send(member.res, prepared);
  }

  /** leave takes a member out of its group (and the group out of the map once empty). */
  #leave(member: Member): void {
    member.pending = false;
    this.#size--;
    const { group } = member;
    group.members.delete(member);
    if (group.members.size > 0) return;
    if (this.#groups.get(group.query.key) === group) this.#groups.delete(group.query.key);
    group.controller.abort();
  }

  #send(res: ServerResponse, prepared: PreparedResponse): void {
    try {
      writePrepared(res, prepared);
    } catch (err) {
      this.#fail(res, err);
    }
  }
}
