/**
 * The server agent's half of membership: it owns the member table (in the store's log), admits
 * joining agents, records graceful leaves and force-leaves, and runs the failure detector. Servers
 * that share one replicated log share the table too; then only the leader runs the detector.
 */
import type { WatchClock } from '../clock.js';
import { realClock } from '../clock.js';
import { ConfdError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { MemberStore } from '../store/members/member-store.js';
import type { MemberRecord, MemberRow, MemberStatus } from '../store/members/types.js';
import { isServerMember } from '../store/members/types.js';
import { startDetector, type Detector, type DetectorTiming } from './detector.js';
import type { ClusterRequest, JoinAnswer, SelfMember } from './types.js';
import { pingPath } from './types.js';

/** MembershipServerOptions configure a {@link MembershipServer}. */
export interface MembershipServerOptions {
  readonly store: MemberStore;
  /** This server as a member (its serf address and port, its tags). */
  readonly self: SelfMember;
  /** Sends agent-to-agent requests (probes go to members' serf ports). */
  readonly request: ClusterRequest;
  readonly logger: Logger;
  readonly clock?: WatchClock;
  /** Wall-clock ms for members' status times. Default Date.now. */
  readonly wallClock?: () => number;
  readonly timing?: Partial<DetectorTiming>;
  /** How long a probe may take, in ms. Default 500 (memberlist's ProbeTimeout). */
  readonly probeTimeoutMs?: number;
  /**
   * Set on replicated servers: tells whether this server leads now (only the leader probes and
   * reaps), and lets the other servers of the log join. Absent = a lone server.
   */
  readonly leading?: () => boolean;
}

/** noNode is Consul's answer to a force-leave of a member it does not know. */
function noNode(name: string): ConfdError {
  return new ConfdError(ErrorCode.CLUSTER_REFUSED, `agent: No node found with name '${name}'`);
}

/** MembershipServer keeps the member table of one datacenter. */
export class MembershipServer {
  readonly #o: MembershipServerOptions;
  readonly #clock: WatchClock;
  readonly #wall: () => number;
  readonly #stop = new AbortController();
  #detector: Detector | undefined;

  constructor(options: MembershipServerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#wall = options.wallClock ?? Date.now;
  }

  get name(): string {
    return this.#o.self.name;
  }

  /** members lists the member table, sorted by name. */
  members(): MemberRow[] {
    return this.#o.store.membersState().list();
  }

  /** membersIndex is the table's blocking-query index. */
  get membersIndex(): number {
    return Math.max(1, this.#o.store.membersState().membersIndex);
  }

  /** waitForMembers resolves at the table's next change (rejects ABORTED on signal). */
  waitForMembers(signal: AbortSignal): Promise<void> {
    return this.#o.store.waitForMembers(signal);
  }

  /** servers lists the alive server members (with their RPC ports in the `port` tag). */
  servers(): MemberRow[] {
    return this.members().filter((m) => isServerMember(m) && m.status === 'alive');
  }

  /** start records this server as alive and starts the failure detector. Idempotent. */
  async start(): Promise<void> {
    if (this.#detector) return;
    await this.#set({ ...this.#o.self, status: 'alive', statusTime: this.#wall() });
    this.#detector = startDetector({
      members: () => this.members(),
      self: this.#o.self.name,
      probe: (member, signal) => this.#probe(member, signal),
      // The detector's verdicts are leader duties: fenced on replicated servers.
      setStatus: async (member, status) => {
        const record = { ...member, status, statusTime: this.#wall() };
        await this.#set(record, member.modifyIndex, true);
      },
      remove: async (name, deregister) => {
        const command = { type: 'member-remove', name, deregister } as const;
        await this.#o.store.memberApply(command, { leaderDuty: true });
      },
      logger: this.#o.logger,
      clock: this.#clock,
      wallClock: this.#wall,
      timing: this.#o.timing,
      active: this.#o.leading,
      signal: this.#stop.signal,
    });
  }

  /**
   * join admits an agent into the datacenter as `alive` and answers with the servers to talk to.
   * A member of another datacenter, or a second server, is refused with a typed error.
   */
  async join(candidate: Omit<MemberRecord, 'status' | 'statusTime'>): Promise<JoinAnswer> {
    const dc = this.#o.self.tags.dc;
    if (candidate.tags.dc !== dc) {
      throw new ConfdError(
        ErrorCode.CLUSTER_REFUSED,
        `Member '${candidate.name}' is part of datacenter '${candidate.tags.dc ?? ''}', not '${dc ?? ''}'`,
      );
    }
    if (
      isServerMember(candidate) &&
      candidate.name !== this.#o.self.name &&
      this.#o.leading === undefined
    ) {
      throw new ConfdError(
        ErrorCode.CLUSTER_REFUSED,
        `server '${candidate.name}' cannot join: datacenter '${dc ?? ''}' already has its server '${this.#o.self.name}', and servers do not share one log yet`,
      );
    }
    const known = this.#o.store.membersState().get(candidate.name);
    if (
      known?.status !== 'alive' ||
      known.addr !== candidate.addr ||
      known.port !== candidate.port
    ) {
      this.#o.logger.info(`serf: EventMemberJoin: ${candidate.name} ${candidate.addr}`);
    }
    await this.#set({ ...candidate, status: 'alive', statusTime: this.#wall() });
    return this.joinAnswer();
  }

  /** joinAnswer names the datacenter's alive servers (serf address and RPC port). */
  joinAnswer(): JoinAnswer {
    return {
      Servers: this.servers().map((s) => ({
        Name: s.name,
        Addr: s.addr,
        Port: s.port,
        RpcPort: Number(s.tags.port ?? 8300),
      })),
    };
  }

  /** leave records a member's graceful leave: `leaving` now, `left` once it has stopped. */
  async leave(name: string): Promise<void> {
    const member = this.#o.store.membersState().get(name);
    if (member === undefined) throw noNode(name);
    if (name === this.#o.self.name) {
      // The server itself: nobody would probe it any more, so it is left at once.
      await this.#set({ ...member, status: 'left', statusTime: this.#wall() });
      return;
    }
    if (member.status === 'left') return;
    this.#o.logger.info(`serf: EventMemberLeave (intent): ${name} ${member.addr}`);
    await this.#set({ ...member, status: 'leaving', statusTime: this.#wall() });
  }

  /**
   * forceLeave moves a member to `left` (deregistering it), or with `prune` forgets it at once.
   * A member that is in fact alive rejoins (it sees itself left and refutes, as in Serf).
   */
  async forceLeave(name: string, prune: boolean): Promise<void> {
    const member = this.#o.store.membersState().get(name);
    if (member === undefined) throw noNode(name);
    this.#o.logger.info(`Force leaving node: node=${name}${prune ? ' prune=true' : ''}`);
    if (prune) {
      await this.#o.store.memberApply({ type: 'member-remove', name, deregister: true });
      return;
    }
    if (member.status === 'left') return;
    await this.#set({ ...member, status: 'left', statusTime: this.#wall() });
  }

  /** close stops the detector. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#detector?.done;
  }

  async #set(
    member: MemberRecord & { status: MemberStatus },
    cas?: number,
    leaderDuty = false,
  ): Promise<void> {
    const record: MemberRecord = {
      name: member.name,
      id: member.id,
      addr: member.addr,
      port: member.port,
      tags: member.tags,
      status: member.status,
      statusTime: member.statusTime,
    };
    await this.#o.store.memberApply(
      cas === undefined
        ? { type: 'member-set', member: record }
        : { type: 'member-set', member: record, cas },
      { leaderDuty },
    );
  }

  async #probe(member: MemberRow, signal: AbortSignal): Promise<boolean> {
    try {
      const answer = await this.#o.request(`${member.addr}:${member.port}`, {
        method: 'GET',
        path: pingPath,
        timeoutMs: this.#o.probeTimeoutMs ?? 500,
        signal,
      });
      if (answer.status !== 200) return false;
      // Another agent now at that address is not this member.
      const body = JSON.parse(answer.body.toString('utf8')) as { Node?: unknown };
      return body.Node === member.name;
    } catch {
      return false;
    }
  }
}
