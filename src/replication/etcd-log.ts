/**
 * The store's replicated log kept in an etcd cluster ({@link ReplicatedLog}). etcd's Raft orders and
 * replicates; everything above it is ours. Keys under the prefix (default `/confd/<dc>/`):
 *
 * - `log`: the command log. Every entry is one put of this key, so the key's history *is* the log
 *   and an entry's etcd revision is its Consul index on every server. Each server tails the whole
 *   prefix with one watch and applies entries in revision order (only increasing revisions: etcd
 *   3.4.23 can repeat events, etcd#15275).
 * - `leader`: the leader's key, created only if absent and attached to its lease. The leader alone
 *   runs the duties that must happen once; its entries are fenced by a compare on this key's
 *   create revision, and it stops acting one margin before its lease could have run out.
 * - `servers/<name>`: each server, attached to its lease (`/v1/status/peers`).
 *
 * Writes: group commit (what queues while a put is in flight goes into the next entry), each entry
 * carrying this server's writer id and a sequence number so that a retried put that had committed
 * after all is applied once (see WriterTable).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfdError, ErrorCode, errorMessage, isConfdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Command } from '../store/commands.js';
import type { AppendOptions, LogSink, ReplicatedLog } from '../store/durable-log.js';
import type { ApplyOutcome } from '../store/state-machine.js';
import { decodeEntry, EntryEncoder } from './entry-codec.js';
import type { EtcdCalls, WatchEvent } from './etcd-calls.js';
import { downloadSnapshot, readManifest, snapshotBase, uploadSnapshot } from './etcd-snapshots.js';

/** Consul's RPCHoldTimeout: how long a request waits for a leader before `No cluster leader`. */
const HOLD_TIME_MS = 7000;
/** An entry stops taking commands past this size (etcd refuses requests over 1.5 MiB). */
const ENTRY_SOFT_LIMIT = 256 * 1024;
const RETRY_MS = 250;
/**
 * Puts one server keeps in flight. More are safe (the writer table remembers a window of sequence
 * numbers, so entries may commit out of order), but measured slower: on a shared machine etcd's
 * cost per entry dominates, and one put at a time makes the biggest entries (4 in flight: 6,658
 * writes/s in 3,407 entries; 1: 8,167/s in 1,349).
 */
const PUTS_IN_FLIGHT = 1;
/** How long a committed write waits for this server to apply it before it answers an error. */
const APPLY_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 2000;

/** ServerInfo describes one server of the group (the value of its `servers/<name>` key). */
export interface ServerInfo {
  readonly name: string;
  readonly id: string;
  /** Its server RPC address, `host:port` (what /v1/status/leader and peers answer). */
  readonly address: string;
  /** The log revision it has applied, as it last published it (the leader compacts below it). */
  readonly applied?: number;
}

/** LogStatus is what the HTTP API reports about the group. */
export interface LogStatus {
  readonly leader: ServerInfo | undefined;
  readonly servers: readonly ServerInfo[];
  /** ms since the last answer from etcd. */
  readonly lastContactMs: number;
  readonly leading: boolean;
}

/** EtcdLogOptions configure an {@link EtcdLog}. */
export interface EtcdLogOptions {
  readonly calls: EtcdCalls;
  /** The key prefix of this datacenter's log, ending in `/`. */
  readonly prefix: string;
  readonly self: ServerInfo;
  readonly logger: Logger;
  /** The leader lease's TTL in seconds. Default 5 (etcd raises anything under 2). */
  readonly leaseTtlSeconds?: number;
  /** How long a write or a read waits for etcd before `No cluster leader`. Default 7 s (Consul). */
  readonly holdTimeMs?: number;
  /** How often the leader checks whether a snapshot is due (Consul's raft_snapshot_interval). */
  readonly snapshotIntervalMs?: number;
  /** Log entries after which the leader snapshots and compacts (raft_snapshot_threshold). */
  readonly snapshotThreshold?: number;
  readonly now?: () => number;
}

interface AppendItem {
  readonly commands: readonly Command[];
  readonly fenced: boolean;
  resolve(outcomes: ApplyOutcome[]): void;
  reject(err: unknown): void;
}

interface Barrier {
  readonly revision: number;
  resolve(): void;
}

function noLeader(cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.STORE_NO_LEADER, 'No cluster leader', { cause });
}

function parseServer(value: Buffer): ServerInfo | undefined {
  try {
    const v = JSON.parse(value.toString()) as Partial<ServerInfo>;
    if (typeof v.name === 'string' && typeof v.address === 'string') {
      const applied = Number.isSafeInteger(v.applied) ? v.applied : undefined;
      return {
        name: v.name,
        id: typeof v.id === 'string' ? v.id : '',
        address: v.address,
        ...(applied === undefined ? {} : { applied }),
      };
    }
  } catch {
    // not ours: ignored
  }
  return undefined;
}

/** EtcdLog is one server's view of, and writer to, the shared log. */
export class EtcdLog implements ReplicatedLog {
  readonly #o: EtcdLogOptions;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #holdMs: number;
  readonly #keys: { log: string; leader: string; servers: string; self: string };
  readonly #writer = randomBytes(8).toString('hex');
  readonly #stop = new AbortController();
  #sink: LogSink | undefined;

  /** Highest revision under the prefix seen by the tail, and highest log-entry revision. */
  #cursor = 0;
  #logCursor = 0;
  #leader: ServerInfo | undefined;
  #leaderInfoRev = 0;
  readonly #servers = new Map<string, ServerInfo>();
  #serversInfoRev = 0;
  #lastContact = 0;
  /** The tail has reached the log's head as it was at start. */
  #caughtUp = false;
  /** Log entries seen since the newest snapshot in etcd (the leader's snapshot trigger). */
  #entriesSinceSnapshot = 0;
  /** The revision this server last published as applied. */
  #published = 0;

  #lease: string | undefined;
  /** When the last keepalive that etcd answered was sent: the lease runs at least ttl from then. */
  #leaseFrom = 0;
  /** The create revision of our leader key, while we hold it. */
  #leaderRev: number | undefined;
  /** Wakes the lease loop early (to campaign when the leader key went away). */
  #nudge: AbortController | undefined;

  #seq = 0;
  readonly #queue: AppendItem[] = [];
  /** Puts in flight. */
  #puts = 0;
  readonly #inFlight = new Map<number, { items: AppendItem[] }>();
  #barriers: Barrier[] = [];
  /** Serialises applying entries with {@link quiet}. */
  #mutex: Promise<void> = Promise.resolve();
  #loops: Promise<void>[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: EtcdLogOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#ttlMs = Math.max(2, options.leaseTtlSeconds ?? 5) * 1000;
    this.#holdMs = options.holdTimeMs ?? HOLD_TIME_MS;
    const p = options.prefix;
    this.#keys = {
      log: `${p}log`,
      leader: `${p}leader`,
      servers: `${p}servers/`,
      self: `${p}servers/${options.self.name}`,
    };
  }

  // --- start ---------------------------------------------------------------------------------

  async start(sink: LogSink): Promise<void> {
    this.#sink = sink;
    this.#cursor = this.#logCursor = sink.appliedIndex;
    this.#loops = [this.#tailLoop(), this.#leaseLoop(), this.#maintenanceLoop()];
    // Caught up = applied up to the log's head as it was when we started. Until then default
    // reads wait; after the hold the server starts anyway and serves ?stale reads from its
    // snapshot (as a Consul server does) while it keeps catching up.
    const caughtUp = this.#catchUp();
    const hold = sleep(this.#holdMs, false, { signal: this.#stop.signal }).catch(() => false);
    if (!(await Promise.race([caughtUp, hold]))) {
      if (this.#stop.signal.aborted) throw noLeader();
      this.#o.logger.warn('not caught up with the log in etcd yet; serving ?stale reads meanwhile');
    }
  }

  /** #catchUp resolves true once the tail has applied the log's head (retrying while etcd is away). */
  async #catchUp(): Promise<boolean> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.barrier(this.#stop.signal);
        this.#caughtUp = true;
        return true;
      } catch {
        // etcd away: try again (barrier waited out its hold time)
      }
    }
    return false;
  }

  // --- status ----------------------------------------------------------------------------------

  get leading(): boolean {
    // Stop acting a margin before the lease could have expired in etcd (clocks drift, etcd may
    // have answered late): another server can only take over once it has.
    const margin = Math.min(1000, this.#ttlMs / 4);
    return this.#leaderRev !== undefined && this.#now() < this.#leaseFrom + this.#ttlMs - margin;
  }

  status(): LogStatus {
    return {
      leader: this.#leader,
      servers: [...this.#servers.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      lastContactMs: this.#lastContact === 0 ? -1 : this.#now() - this.#lastContact,
      leading: this.leading,
    };
  }

  /** The highest log revision applied here. */
  get appliedRevision(): number {
    return this.#logCursor;
  }

  /**
   * removeServer deletes a server's key (`DELETE /v1/operator/raft/peer`); a server that still
   * runs puts it back at its next keepalive, as a peer Serf still knows comes back in Consul.
   */
  async removeServer(name: string): Promise<void> {
    await this.#o.calls.deleteKeys(
      `${this.#keys.servers}${name}`,
      false,
      AbortSignal.timeout(this.#holdMs),
    );
    this.#servers.delete(name);
    if (name === this.#o.self.name) this.#published = -1;
  }

  /**
   * inContact: caught up since start, a leader is known and etcd answered within the lease TTL
   * (default reads are served then).
   */
  get inContact(): boolean {
    return (
      this.#caughtUp && this.#leader !== undefined && this.#now() - this.#lastContact <= this.#ttlMs
    );
  }

  /** waitForContact resolves once {@link inContact}; rejects `No cluster leader` after the hold. */
  async waitForContact(signal?: AbortSignal): Promise<void> {
    const deadline = this.#now() + this.#holdMs;
    while (!this.inContact) {
      if (this.#now() >= deadline || this.#stop.signal.aborted) throw noLeader();
      await sleep(50, undefined, { signal }).catch(() => {
        throw noLeader();
      });
    }
  }

  #contact(): void {
    this.#lastContact = this.#now();
  }

  // --- reads -------------------------------------------------------------------------------------

  async barrier(signal?: AbortSignal): Promise<void> {
    const hold = AbortSignal.timeout(this.#holdMs);
    const both = signal ? AbortSignal.any([signal, hold, this.#stop.signal]) : hold;
    let head: number;
    for (;;) {
      try {
        const { kvs } = await this.#o.calls.range(this.#keys.log, false, both, true);
        head = kvs[0]?.modRevision ?? 0;
        this.#contact();
        break;
      } catch (err) {
        if (both.aborted) throw noLeader(err);
        await sleep(RETRY_MS, undefined, { signal: both }).catch(() => undefined);
      }
    }
    if (this.#logCursor >= head) return;
    await new Promise<void>((resolve, reject) => {
      const barrier = { revision: head, resolve };
      this.#barriers.push(barrier);
      both.addEventListener(
        'abort',
        () => {
          this.#barriers = this.#barriers.filter((b) => b !== barrier);
          reject(noLeader());
        },
        { once: true },
      );
    });
  }

  quiet(fn: () => Promise<void>): Promise<void> {
    const run = this.#mutex.then(fn);
    this.#mutex = run.catch(() => undefined);
    return run;
  }

  // --- the tail --------------------------------------------------------------------------------

  async #tailLoop(): Promise<void> {
    const signal = this.#stop.signal;
    let backoff = RETRY_MS;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.#refreshInfo(signal);
        for await (const message of this.#o.calls.watch(this.#o.prefix, this.#cursor + 1, signal)) {
          this.#contact();
          if (failures > 0) this.#o.logger.info('watching the log in etcd again');
          failures = 0;
          backoff = RETRY_MS;
          if (message.kind === 'events') {
            if (message.events.length > 0) await this.quiet(() => this.#deliver(message.events));
          } else if (message.kind === 'compacted') {
            // Our position is gone from etcd's history: start again from the newest snapshot.
            await this.#install(message.compactRevision, signal);
            break;
          } else if (message.kind === 'canceled') {
            throw new ConfdError(ErrorCode.BACKEND_RESPONSE, `watch canceled: ${message.reason}`);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        // Log the first failure and then every 20th, so an outage is not one line per retry.
        if (failures++ % 20 === 0) {
          this.#o.logger.warn(`tailing the log failed: ${errorMessage(err)}`);
        }
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** #refreshInfo reads the leader and server keys (the watch resumes after them). */
  async #refreshInfo(signal: AbortSignal): Promise<void> {
    const calls = this.#o.calls;
    const leader = await calls.range(this.#keys.leader, false, signal);
    const kv = leader.kvs[0];
    this.#setLeader(kv === undefined ? undefined : parseServer(kv.value), kv?.createRevision);
    this.#leaderInfoRev = leader.revision;
    const servers = await calls.range(this.#keys.servers, true, signal);
    this.#servers.clear();
    for (const s of servers.kvs) {
      const info = parseServer(s.value);
      if (info) this.#servers.set(info.name, info);
    }
    this.#serversInfoRev = servers.revision;
    this.#contact();
  }

  /** #deliver applies one watch response's events, in revision order, at most once each. */
  async #deliver(events: readonly WatchEvent[]): Promise<void> {
    const sink = this.#sink!;
    let applied = false;
    // A revision's events all come in one response (etcd's atomic guarantee), and one revision may
    // change several keys (a lease revoke deletes leader and server keys at once).
    const seen = this.#cursor;
    for (const event of events) {
      const rev = event.kv.modRevision;
      if (rev <= seen) continue;
      this.#cursor = Math.max(this.#cursor, rev);
      const key = event.kv.key;
      if (key === this.#keys.log) {
        if (event.type === 'PUT') this.#applyEntry(sink, rev, event.kv.value);
        this.#logCursor = rev;
        this.#entriesSinceSnapshot++;
        applied = true;
      } else if (key === this.#keys.leader) {
        if (rev <= this.#leaderInfoRev) continue;
        const info = event.type === 'PUT' ? parseServer(event.kv.value) : undefined;
        this.#setLeader(info, event.kv.createRevision);
      } else if (key.startsWith(this.#keys.servers)) {
        if (rev <= this.#serversInfoRev) continue;
        const name = key.slice(this.#keys.servers.length);
        const info = event.type === 'PUT' ? parseServer(event.kv.value) : undefined;
        if (info) this.#servers.set(name, info);
        else this.#servers.delete(name);
      }
    }
    if (!applied) return;
    this.#releaseBarriers();
    await sink.afterEntries();
  }

  /** #releaseBarriers resolves the barriers the applied log has reached. */
  #releaseBarriers(): void {
    const done = this.#barriers.filter((b) => b.revision <= this.#logCursor);
    if (done.length === 0) return;
    this.#barriers = this.#barriers.filter((b) => b.revision > this.#logCursor);
    for (const b of done) b.resolve();
  }

  #applyEntry(sink: LogSink, rev: number, value: Buffer): void {
    let entry;
    try {
      entry = decodeEntry(value);
    } catch (err) {
      // Every server skips the same bytes the same way, so the states still agree.
      this.#o.logger.error(`skipping log entry at revision ${rev}: ${errorMessage(err)}`);
      return;
    }
    const outcomes = sink.applyEntry(rev, entry.id, entry.commands);
    if (entry.id.writer !== this.#writer || outcomes === undefined) return;
    const waiting = this.#inFlight.get(entry.id.seq);
    if (waiting === undefined) return;
    this.#inFlight.delete(entry.id.seq);
    let at = 0;
    for (const item of waiting.items) {
      item.resolve(outcomes.slice(at, at + item.commands.length));
      at += item.commands.length;
    }
  }

  #setLeader(info: ServerInfo | undefined, createRevision: number | undefined): void {
    const before = this.#leader?.name;
    this.#leader = info;
    if (info?.name !== this.#o.self.name || createRevision !== this.#leaderRev) {
      this.#dropLeadership('another server holds the leader key');
    }
    if (info !== undefined && info.name !== before) {
      this.#o.logger.info(`New leader elected: payload=${info.name}`);
    }
    // No leader: campaign now rather than at the next keepalive.
    if (info === undefined) this.#nudge?.abort();
  }

  // --- the lease, the server key, the election ---------------------------------------------

  async #leaseLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const calls = this.#o.calls;
    const ttlSeconds = this.#ttlMs / 1000;
    while (!signal.aborted) {
      try {
        if (this.#lease === undefined) {
          const sentAt = this.#now();
          this.#lease = await calls.leaseGrant(ttlSeconds, signal);
          this.#leaseFrom = sentAt;
          await calls.put(this.#keys.self, JSON.stringify(this.#o.self), this.#lease, signal);
          this.#contact();
        }
        if (this.#leader === undefined) await this.#campaign(signal);
        if (this.#logCursor !== this.#published) {
          const applied = this.#logCursor;
          const info = JSON.stringify({ ...this.#o.self, applied });
          await calls.put(this.#keys.self, info, this.#lease, signal);
          this.#published = applied;
        }
        this.#nudge = new AbortController();
        const wake = AbortSignal.any([signal, this.#nudge.signal]);
        await sleep(this.#ttlMs / 3, undefined, { signal: wake }).catch(() => undefined);
        if (signal.aborted) return;
        const sentAt = this.#now();
        const ttl = await calls.leaseKeepAlive(this.#lease, signal);
        this.#contact();
        if (ttl > 0) {
          this.#leaseFrom = sentAt;
        } else {
          // The lease ran out in etcd: its keys (leader, server) are gone; start over.
          this.#lease = undefined;
          this.#dropLeadership('its lease expired');
        }
      } catch (err) {
        if (signal.aborted) return;
        if (this.#now() - this.#leaseFrom > this.#ttlMs) {
          this.#lease = undefined;
          this.#dropLeadership(`etcd unreachable (${errorMessage(err)})`);
        } else if (this.#leaderRev !== undefined && !this.leading) {
          // Past the margin `leading` already says no; say so as it happens, and let this lease
          // run out (a new one is granted) so that the leader key goes with it.
          this.#lease = undefined;
          this.#dropLeadership(`lease not renewed in time (${errorMessage(err)})`);
        }
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  #dropLeadership(why: string): void {
    if (this.#leaderRev === undefined) return;
    this.#leaderRev = undefined;
    this.#o.logger.warn(`cluster leadership lost: ${why}`);
  }

  async #campaign(signal: AbortSignal): Promise<void> {
    if (this.#lease === undefined) return;
    const rev = await this.#o.calls.guardedPut(
      {
        guardKey: this.#keys.leader,
        createRevision: 0,
        key: this.#keys.leader,
        value: JSON.stringify(this.#o.self),
        lease: this.#lease,
      },
      signal,
    );
    this.#contact();
    if (rev === undefined) return;
    this.#leaderRev = rev;
    this.#o.logger.info('cluster leadership acquired');
  }

  // --- snapshots and compaction -------------------------------------------------------------

  /**
   * #maintenanceLoop: while leading, snapshot the state into etcd once enough entries arrived,
   * then compact etcd below both that snapshot and every live server's applied revision.
   */
  async #maintenanceLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const interval = this.#o.snapshotIntervalMs ?? 30_000;
    const threshold = this.#o.snapshotThreshold ?? 16_384;
    /** The newest snapshot's revision, once this server leads (undefined: not known yet). */
    let snapshotRev: number | undefined;
    let compacted = 0;
    while (!signal.aborted) {
      await sleep(interval, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      if (!this.leading) {
        snapshotRev = undefined;
        continue;
      }
      try {
        // A new leader cannot know how many entries the old one counted since its snapshot: it
        // takes one unless the newest snapshot is already at the head of the log.
        if (snapshotRev === undefined) {
          const manifest = await readManifest(this.#o.calls, snapshotBase(this.#o.prefix), signal);
          snapshotRev = manifest?.revision ?? 0;
          if (snapshotRev !== this.#logCursor) this.#entriesSinceSnapshot = threshold;
        }
        if (this.#entriesSinceSnapshot >= threshold) snapshotRev = await this.#snapshot(signal);
        // Below the snapshot and every live server's published position; a server that is down
        // (its key gone with its lease) installs the snapshot when it comes back.
        let target = snapshotRev;
        for (const server of this.#servers.values()) target = Math.min(target, server.applied ?? 0);
        if (target > compacted) {
          await this.#o.calls.compact(target, signal);
          compacted = target;
          this.#o.logger.debug(`compacted the log in etcd to revision ${target}`);
        }
      } catch (err) {
        if (!signal.aborted) this.#o.logger.warn(`log maintenance failed: ${errorMessage(err)}`);
      }
    }
  }

  /** #snapshot saves the state into etcd and returns the revision it covers. */
  async #snapshot(signal: AbortSignal): Promise<number> {
    const sink = this.#sink!;
    let revision = 0;
    let bytes: Buffer = Buffer.alloc(0);
    await this.quiet(async () => {
      revision = this.#logCursor;
      bytes = await sink.exportSnapshot();
    });
    await uploadSnapshot(this.#o.calls, snapshotBase(this.#o.prefix), revision, bytes, signal);
    this.#entriesSinceSnapshot = 0;
    this.#o.logger.info(`snapshot of revision ${revision} (${bytes.length} bytes) saved to etcd`);
    return revision;
  }

  /** #install replaces the state with the newest snapshot in etcd, which must reach compacted. */
  async #install(compacted: number, signal: AbortSignal): Promise<void> {
    const calls = this.#o.calls;
    const base = snapshotBase(this.#o.prefix);
    const manifest = await readManifest(calls, base, signal);
    if (manifest === undefined || manifest.revision + 1 < compacted) {
      throw new ConfdError(
        ErrorCode.STORE_CORRUPT,
        `the log in etcd was compacted to revision ${compacted}, past this server's revision ` +
          `${this.#cursor}, and no snapshot in etcd reaches it`,
      );
    }
    const bytes = await downloadSnapshot(calls, base, manifest, signal);
    await this.quiet(async () => {
      await this.#sink!.installSnapshot(bytes);
      this.#cursor = Math.max(this.#cursor, manifest.revision);
      this.#logCursor = manifest.revision;
      this.#releaseBarriers();
    });
    this.#o.logger.info(
      `installed the snapshot of revision ${manifest.revision} from etcd (${bytes.length} bytes)`,
    );
  }

  // --- appends -------------------------------------------------------------------------------

  append(commands: readonly Command[], options: AppendOptions): Promise<ApplyOutcome[]> {
    if (this.#closing) {
      return Promise.reject(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
    }
    if (options.fenced && !this.leading) {
      return Promise.reject(
        new ConfdError(ErrorCode.STORE_LEADERSHIP_LOST, 'not the cluster leader'),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ commands, fenced: options.fenced, resolve, reject });
      this.#pump();
    });
  }

  /**
   * #pump sends the queue as entries, up to {@link PUTS_IN_FLIGHT} puts at a time; what queues
   * meanwhile goes into the next entry (group commit).
   */
  #pump(): void {
    while (this.#queue.length > 0 && this.#puts < PUTS_IN_FLIGHT) {
      const fenced = this.#queue[0].fenced;
      const seq = ++this.#seq;
      const encoder = new EntryEncoder({ writer: this.#writer, seq });
      const items: AppendItem[] = [];
      while (
        this.#queue.length > 0 &&
        this.#queue[0].fenced === fenced &&
        (items.length === 0 || encoder.length < ENTRY_SOFT_LIMIT)
      ) {
        const item = this.#queue.shift()!;
        for (const command of item.commands) encoder.add(command);
        items.push(item);
      }
      this.#puts++;
      void this.#send(seq, encoder.bytes(), fenced, items).finally(() => {
        this.#puts--;
        this.#pump();
      });
    }
  }

  /** #send puts one entry, retrying the same bytes (so at most one copy applies) until the hold. */
  async #send(seq: number, bytes: Buffer, fenced: boolean, items: AppendItem[]): Promise<void> {
    const fail = (err: unknown) => {
      this.#inFlight.delete(seq);
      for (const item of items) item.reject(err);
    };
    this.#inFlight.set(seq, { items });
    const deadline = this.#now() + this.#holdMs;
    const signal = this.#stop.signal;
    for (;;) {
      try {
        if (fenced) {
          const leaderRev = this.#leaderRev;
          const rev =
            leaderRev === undefined || !this.leading
              ? undefined
              : await this.#o.calls.guardedPut(
                  {
                    guardKey: this.#keys.leader,
                    createRevision: leaderRev,
                    key: this.#keys.log,
                    value: bytes,
                  },
                  signal,
                );
          if (rev === undefined) {
            fail(new ConfdError(ErrorCode.STORE_LEADERSHIP_LOST, 'not the cluster leader'));
            return;
          }
        } else {
          await this.#o.calls.put(this.#keys.log, bytes, undefined, signal);
        }
        this.#contact();
        // Committed; the tail applies it. A tail that cannot (etcd's snapshot unusable, say)
        // must not hold the request for ever: its outcome is then unknown to the client.
        setTimeout(() => {
          if (this.#inFlight.has(seq)) {
            fail(noLeader(new Error(`the entry was not applied within ${APPLY_TIMEOUT_MS} ms`)));
          }
        }, APPLY_TIMEOUT_MS).unref();
        return;
      } catch (err) {
        if (signal.aborted) return fail(new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed'));
        // etcd's NOSPACE alarm: only an operator can clear it, so waiting out the hold is pointless.
        if (/database space exceeded/i.test(errorMessage(err))) {
          return fail(
            new ConfdError(
              ErrorCode.STORE_IO,
              'etcd: database space exceeded (its NOSPACE alarm is raised): compact, defragment and disarm etcd',
              { cause: err },
            ),
          );
        }
        if (isConfdError(err, ErrorCode.BACKEND_RESPONSE) && /too large/i.test(errorMessage(err))) {
          return fail(
            new ConfdError(
              ErrorCode.STORE_TXN_TOO_LARGE,
              `etcd refused the entry: ${errorMessage(err)}`,
            ),
          );
        }
        if (this.#now() >= deadline) return fail(noLeader(err));
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // --- close -----------------------------------------------------------------------------------

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    // Revoking the lease drops our leader and server keys now: the others need not wait a TTL.
    if (this.#lease !== undefined) {
      await this.#o.calls
        .leaseRevoke(this.#lease, AbortSignal.timeout(1000))
        .catch(() => undefined);
    }
    const closed = new ConfdError(ErrorCode.STORE_CLOSED, 'store is closed');
    for (const { items } of this.#inFlight.values()) for (const item of items) item.reject(closed);
    this.#inFlight.clear();
    for (const item of this.#queue.splice(0)) item.reject(closed);
    await this.#o.calls.close();
  }
}
