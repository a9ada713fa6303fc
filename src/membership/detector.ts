/**
 * The server's failure detector: it probes every member it does not know to be gone, once per
 * probe interval, and turns what it sees into member status changes in the store's log.
 *
 * - an `alive` member is declared `failed` only after no probe has been answered for the whole
 *   suspicion time (default 4 s, Serf's minimum suspicion for small clusters), never after one
 *   missed probe: an agent whose event loop is busy for a second stays alive;
 * - a `failed` member that answers again is `alive` (Serf's refutation);
 * - a `leaving` member becomes `left` once it stops answering (it has shut down) or after the
 *   leave timeout;
 * - `failed` members are reaped (forgotten and deregistered) after `reconnect_timeout` (72 h), and
 *   `left` ones forgotten after the tombstone timeout (24 h), as Serf does.
 *
 * Probes run concurrently, at most one in flight per member; the probe itself (with its timeout)
 * is injected, as are both clocks.
 */
import type { WatchClock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { MemberRow, MemberStatus } from '../store/members/types.js';

/** DetectorTiming are the detector's durations, in ms. */
export interface DetectorTiming {
  /** Between two probes of one member. Default 1000 (memberlist's LAN ProbeInterval). */
  readonly probeIntervalMs: number;
  /** Without an answered probe for this long, an alive member is failed. Default 4000. */
  readonly suspicionMs: number;
  /** A leaving member that still answers is left after this long. Default 3000. */
  readonly leaveTimeoutMs: number;
  /** A failed member is reaped after this long. Default 72 h (Consul's reconnect_timeout). */
  readonly reconnectTimeoutMs: number;
  /** A left member is forgotten after this long. Default 24 h (Serf's TombstoneTimeout). */
  readonly tombstoneMs: number;
  /** How often reaping is checked. Default 15 s (Serf's ReapInterval). */
  readonly reapIntervalMs: number;
}

/** DEFAULT_TIMING is Serf's and Consul's LAN defaults. */
export const DEFAULT_TIMING: DetectorTiming = {
  probeIntervalMs: 1000,
  suspicionMs: 4000,
  leaveTimeoutMs: 3000,
  reconnectTimeoutMs: 72 * 3600_000,
  tombstoneMs: 24 * 3600_000,
  reapIntervalMs: 15_000,
};

/** DetectorOptions configure {@link startDetector}. */
export interface DetectorOptions {
  /** The members now (from the store); the detector never probes `self`. */
  readonly members: () => readonly MemberRow[];
  readonly self: string;
  /** Probes one member; resolves true when it answered in time, false otherwise (never rejects). */
  readonly probe: (member: MemberRow, signal: AbortSignal) => Promise<boolean>;
  /** Commits a status change of a member. */
  readonly setStatus: (member: MemberRow, status: MemberStatus) => Promise<void>;
  /** Commits the removal of a member (with its catalog node when `deregister`). */
  readonly remove: (name: string, deregister: boolean) => Promise<void>;
  readonly logger: Logger;
  /** Drives the probe rounds (monotonic). */
  readonly clock: WatchClock;
  /** Wall-clock ms, compared with members' `statusTime` for reaping. Default Date.now. */
  readonly wallClock?: () => number;
  readonly timing?: Partial<DetectorTiming>;
  /**
   * Whether to probe and reap now. Replicated servers share one member table and only the leader
   * watches the members; a server that starts leading gives every member the full suspicion time.
   * Default always.
   */
  readonly active?: () => boolean;
  readonly signal: AbortSignal;
}

/** Detector is a running failure detector. */
export interface Detector {
  /** Resolves when the detector has stopped (its signal aborted). */
  readonly done: Promise<void>;
  /** runRound runs one probe round now and resolves when its probes settled (tests, benches). */
  runRound(): Promise<void>;
}

const PROBED: ReadonlySet<MemberStatus> = new Set(['alive', 'failed', 'leaving']);

/** startDetector starts probing; it stops when `options.signal` aborts. */
export function startDetector(options: DetectorOptions): Detector {
  const timing: DetectorTiming = { ...DEFAULT_TIMING, ...options.timing };
  const { clock, logger, signal } = options;
  const wall = options.wallClock ?? Date.now;
  /** The last answered probe of each member, on the monotonic clock. */
  const lastAck = new Map<string, number>();
  /** The status each member had at the last round. */
  const lastStatus = new Map<string, MemberStatus>();
  /** When each member was first seen leaving. */
  const leavingSince = new Map<string, number>();
  const inFlight = new Set<string>();
  /** Members whose status change is being committed (never two at once for one member). */
  const committing = new Set<string>();

  const commit = async (member: MemberRow, status: MemberStatus, why: string): Promise<void> => {
    if (committing.has(member.name) || signal.aborted) return;
    committing.add(member.name);
    try {
      logger.info(why);
      await options.setStatus(member, status);
    } catch (err) {
      logger.error(`membership: cannot mark ${member.name} ${status}: ${errorMessage(err)}`);
    } finally {
      committing.delete(member.name);
    }
  };

  const probeOne = async (member: MemberRow): Promise<void> => {
    inFlight.add(member.name);
    let answered: boolean;
    try {
      answered = await options.probe(member, signal);
    } catch {
      answered = false;
    } finally {
      inFlight.delete(member.name);
    }
    if (signal.aborted) return;
    const now = clock.now();
    if (answered) lastAck.set(member.name, now);
    const since = lastAck.get(member.name) ?? now;
    if (member.status === 'failed' && answered) {
      await commit(
        member,
        'alive',
        `serf: EventMemberJoin: ${member.name} ${member.addr} (refuted failure)`,
      );
    } else if (member.status === 'alive' && now - since >= timing.suspicionMs) {
      await commit(
        member,
        'failed',
        `memberlist: Marking ${member.name} as failed, suspect timeout reached (no acks for ${Math.round(now - since)} ms)`,
      );
    } else if (member.status === 'leaving') {
      const start = leavingSince.get(member.name) ?? now;
      leavingSince.set(member.name, start);
      if (!answered || now - start >= timing.leaveTimeoutMs) {
        await commit(member, 'left', `serf: EventMemberLeave: ${member.name} ${member.addr}`);
      }
    }
  };

  const runRound = async (): Promise<void> => {
    const now = clock.now();
    const probes: Promise<void>[] = [];
    const seen = new Set<string>();
    for (const member of options.members()) {
      if (member.name === options.self || !PROBED.has(member.status)) continue;
      seen.add(member.name);
      // A member first seen, or whose status changed since (a join, a refutation), gets the whole
      // suspicion time from now.
      if (lastStatus.get(member.name) !== member.status) {
        lastStatus.set(member.name, member.status);
        lastAck.set(member.name, now);
      }
      if (member.status !== 'leaving') leavingSince.delete(member.name);
      if (inFlight.has(member.name)) continue;
      probes.push(probeOne(member));
    }
    for (const name of [...lastAck.keys()]) {
      if (seen.has(name)) continue;
      lastAck.delete(name);
      lastStatus.delete(name);
    }
    await Promise.all(probes);
  };

  const reap = async (): Promise<void> => {
    const now = wall();
    for (const member of options.members()) {
      if (member.name === options.self) continue;
      const age = now - member.statusTime;
      const expired =
        (member.status === 'failed' && age >= timing.reconnectTimeoutMs) ||
        (member.status === 'left' && age >= timing.tombstoneMs);
      if (!expired || committing.has(member.name)) continue;
      committing.add(member.name);
      try {
        logger.info(
          `serf: EventMemberReap: ${member.name} (${member.status} for ${Math.round(age / 1000)} s)`,
        );
        await options.remove(member.name, member.status === 'failed');
      } catch (err) {
        logger.error(`membership: cannot reap ${member.name}: ${errorMessage(err)}`);
      } finally {
        committing.delete(member.name);
      }
    }
  };

  const loop = async (): Promise<void> => {
    let sinceReap = 0;
    while (!signal.aborted) {
      const active = options.active?.() ?? true;
      // Probes are not awaited here: a slow probe never delays the next round's others.
      if (active) void runRound();
      else {
        lastAck.clear();
        lastStatus.clear();
      }
      if (!(await clock.sleep(timing.probeIntervalMs, signal))) return;
      sinceReap += timing.probeIntervalMs;
      if (active && sinceReap >= timing.reapIntervalMs) {
        sinceReap = 0;
        await reap();
      }
    }
  };

  return { done: loop(), runRound };
}
