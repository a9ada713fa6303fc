/**
 * The client agent's half of membership. A client keeps no member table of its own: it joins a
 * server (which writes it into the datacenter's table), then follows that table with a blocking
 * query, so `consul members` on a client shows exactly what the servers agree on. On top of that
 * view it marks a server `failed` once it has not answered for the suspicion time, so a client
 * whose server died says so, and stops sending it requests (`No known Consul servers`).
 *
 * If the table says this agent is `left` or `failed` while it runs (a force-leave, a partition),
 * it joins again: Serf's refutation.
 */
import { realClock, type WatchClock } from '../clock.js';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { MemberRow } from '../store/members/types.js';
import { hostPort, parseJoinAddress } from './address.js';
import type { KnownServer, PeersFile } from './peers-file.js';
import type { ClusterRequest, JoinAnswer, SelfMember } from './types.js';
import { forceLeavePath, joinPath, leavePath, membersPath } from './types.js';

/** MembershipClientOptions configure a {@link MembershipClient}. */
export interface MembershipClientOptions {
  readonly self: SelfMember;
  readonly request: ClusterRequest;
  readonly peers: PeersFile;
  readonly logger: Logger;
  readonly clock?: WatchClock;
  /** A server not answering for this long is shown failed and not used. Default 4000 ms. */
  readonly suspicionMs?: number;
  /** The blocking query's wait. Default 5 minutes. */
  readonly waitMs?: number;
}

/** noKnownServers is Consul's answer when a client has no server to send a request to. */
export function noKnownServers(): ConfdError {
  return new ConfdError(ErrorCode.CLUSTER_NO_SERVERS, 'No known Consul servers');
}

/** MembershipClient follows the datacenter's member table from its servers. */
export class MembershipClient {
  readonly #o: MembershipClientOptions;
  readonly #clock: WatchClock;
  readonly #stop = new AbortController();
  #servers: KnownServer[] = [];
  /** When each server stopped answering (monotonic ms); absent while it answers. */
  readonly #silentSince = new Map<string, number>();
  #view: MemberRow[] = [];
  #index = 0;
  #following: Promise<void> | undefined;
  #leaving = false;
  #rejoining: Promise<void> | undefined;

  constructor(options: MembershipClientOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  /** start rejoins the servers remembered from an earlier run, unless it left. */
  async start(): Promise<void> {
    const peers = await this.#o.peers.load();
    if (peers.left || peers.servers.length === 0) return;
    this.#servers = [...peers.servers];
    this.#o.logger.info(
      `serf: Attempting re-join to previously known servers: ${peers.servers.map((s) => hostPort(s.addr, s.port)).join(', ')}`,
    );
    this.#follow();
    void this.#rejoin();
  }

  /**
   * join asks the agent at `address` (any member, default port 8301) to admit this agent and
   * starts following the table. Rejects with Consul's text, `Failed to join <addr>: <why>`.
   */
  async join(address: string): Promise<void> {
    const { host, port } = parseJoinAddress(address);
    const target = hostPort(host, port);
    let answer: JoinAnswer;
    try {
      answer = await this.#postJoin(target);
    } catch (err) {
      throw new ConfdError(
        ErrorCode.CLUSTER_REFUSED,
        `Failed to join ${target}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    this.#adopt(answer);
    this.#leaving = false;
    await this.#o.peers.save({ servers: this.#servers, left: false });
    // `join` then `members` on this agent shows the cluster at once, not after the next round.
    await this.#refresh();
    this.#follow();
  }

  /** #refresh reads the member table now (no blocking); a failure leaves the view as it was. */
  async #refresh(): Promise<void> {
    const server = this.#servers[0];
    if (server === undefined) return;
    try {
      const answer = await this.#rpc(server, 'GET', membersPath);
      if (answer.status !== 200) return;
      const data = JSON.parse(answer.body.toString('utf8')) as { Members: MemberRow[] };
      if (Array.isArray(data.Members)) this.#view = data.Members;
    } catch {
      // The follow loop keeps trying.
    }
  }

  /** members is the datacenter's table as this client sees it (itself alone before a join). */
  members(): MemberRow[] {
    if (this.#view.length === 0) {
      return [{ ...this.#o.self, status: 'alive', statusTime: 0, createIndex: 0, modifyIndex: 0 }];
    }
    const now = this.#clock.now();
    const suspicion = this.#o.suspicionMs ?? 4000;
    return this.#view.map((m) => {
      const silent = this.#silentSince.get(m.name);
      if (m.status === 'alive' && silent !== undefined && now - silent >= suspicion) {
        return { ...m, status: 'failed' };
      }
      return m;
    });
  }

  /** servers lists the servers requests may go to now (answering, or not yet suspected). */
  servers(): KnownServer[] {
    const now = this.#clock.now();
    const suspicion = this.#o.suspicionMs ?? 4000;
    return this.#servers.filter((s) => {
      const silent = this.#silentSince.get(s.name);
      return silent === undefined || now - silent < suspicion;
    });
  }

  /** server returns a server to send a request to, or throws `No known Consul servers`. */
  server(): KnownServer {
    const server = this.servers()[0];
    if (server === undefined) throw noKnownServers();
    return server;
  }

  /** reportFailure marks a server silent after a request to it could not be made. */
  reportFailure(server: KnownServer): void {
    if (!this.#silentSince.has(server.name)) this.#silentSince.set(server.name, this.#clock.now());
  }

  /** reportSuccess marks a server answering. */
  reportSuccess(server: KnownServer): void {
    this.#silentSince.delete(server.name);
  }

  /** leave tells the servers this agent leaves, and remembers not to rejoin after a restart. */
  async leave(): Promise<void> {
    this.#leaving = true;
    const server = this.server();
    const answer = await this.#rpc(
      server,
      'PUT',
      `${leavePath}${encodeURIComponent(this.#o.self.name)}`,
    );
    if (answer.status !== 200)
      throw new ConfdError(ErrorCode.CLUSTER_REFUSED, answer.body.toString('utf8'));
    await this.#o.peers.save({ servers: this.#servers, left: true });
  }

  /** forceLeave asks the servers to force a member out (`prune`: forget it at once). */
  async forceLeave(node: string, prune: boolean): Promise<void> {
    const server = this.server();
    const path = `${forceLeavePath}${encodeURIComponent(node)}${prune ? '?prune=1' : ''}`;
    const answer = await this.#rpc(server, 'PUT', path);
    if (answer.status !== 200)
      throw new ConfdError(ErrorCode.CLUSTER_REFUSED, answer.body.toString('utf8'));
  }

  /** forwardJoin passes a join request received on this client's serf port to a server. */
  async forwardJoin(body: string): Promise<{ status: number; body: string }> {
    const server = this.server();
    const answer = await this.#rpc(server, 'POST', joinPath, body);
    return { status: answer.status, body: answer.body.toString('utf8') };
  }

  /** knows tells whether this client has ever learned a server. */
  get hasServers(): boolean {
    return this.#servers.length > 0;
  }

  /** close stops following. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#following;
  }

  #adopt(answer: JoinAnswer): void {
    const servers = answer.Servers.filter(
      (s) =>
        typeof s.Name === 'string' && typeof s.Addr === 'string' && Number.isInteger(s.RpcPort),
    ).map((s) => ({ name: s.Name, addr: s.Addr, port: s.Port, rpcPort: s.RpcPort }));
    if (servers.length === 0) throw noKnownServers();
    this.#servers = servers;
    for (const s of servers) this.#silentSince.delete(s.name);
  }

  async #postJoin(target: string): Promise<JoinAnswer> {
    const answer = await this.#o.request(target, {
      method: 'POST',
      path: joinPath,
      body: JSON.stringify(this.#o.self),
      timeoutMs: 10_000,
      signal: this.#stop.signal,
    });
    const text = answer.body.toString('utf8');
    if (answer.status !== 200) throw new Error(text.trim() || `status ${answer.status}`);
    return JSON.parse(text) as JoinAnswer;
  }

  #rpc(server: KnownServer, method: string, path: string, body?: string) {
    return this.#o.request(hostPort(server.addr, server.rpcPort), {
      method,
      path,
      body,
      timeoutMs: 10_000,
      signal: this.#stop.signal,
    });
  }

  /** #rejoin joins the remembered servers again (after a restart, or a refutation). */
  #rejoin(): Promise<void> {
    this.#rejoining ??= (async () => {
      for (const s of [...this.#servers]) {
        try {
          this.#adopt(await this.#postJoin(hostPort(s.addr, s.port)));
          await this.#o.peers.save({ servers: this.#servers, left: false });
          this.#o.logger.info(
            `serf: Re-joined to previously known node: ${s.name}: ${hostPort(s.addr, s.port)}`,
          );
          return;
        } catch (err) {
          this.#o.logger.warn(
            `serf: Failed to re-join ${s.name} ${hostPort(s.addr, s.port)}: ${errorMessage(err)}`,
          );
        }
      }
    })().finally(() => (this.#rejoining = undefined));
    return this.#rejoining;
  }

  /** #follow keeps the view in step with the servers' table (one loop). */
  #follow(): void {
    this.#following ??= this.#followLoop();
  }

  async #followLoop(): Promise<void> {
    const signal = this.#stop.signal;
    let delay = 250;
    while (!signal.aborted) {
      const server = this.servers()[0] ?? this.#servers[0];
      if (server === undefined) return;
      const waitMs = this.#o.waitMs ?? 300_000;
      const path = `${membersPath}?index=${this.#index}&wait=${Math.round(waitMs / 1000)}s`;
      try {
        const answer = await this.#o.request(hostPort(server.addr, server.rpcPort), {
          method: 'GET',
          path,
          timeoutMs: waitMs + 30_000,
          signal,
        });
        if (answer.status !== 200)
          throw new Error(`status ${answer.status}: ${answer.body.toString('utf8')}`);
        const data = JSON.parse(answer.body.toString('utf8')) as {
          Index: number;
          Members: MemberRow[];
        };
        this.reportSuccess(server);
        delay = 250;
        this.#index = data.Index < this.#index ? 0 : data.Index;
        this.#view = data.Members;
        this.#refuteIfNeeded();
      } catch (err) {
        if (signal.aborted) return;
        this.reportFailure(server);
        this.#o.logger.debug(
          `serf: cannot follow members from ${server.name}: ${errorMessage(err)}`,
        );
        // A failing server is tried again soon (at most every second): the view recovers as soon
        // as it answers.
        if (!(await this.#clock.sleep(delay, signal))) return;
        delay = Math.min(1000, delay * 2);
      }
    }
  }

  /** #refuteIfNeeded joins again when the table says this running agent is gone. */
  #refuteIfNeeded(): void {
    if (this.#leaving) return;
    const me = this.#view.find((m) => m.name === this.#o.self.name);
    if (me !== undefined && me.status !== 'left' && me.status !== 'failed') return;
    if (me === undefined && this.#view.length === 0) return;
    this.#o.logger.warn(
      `serf: this agent is ${me?.status ?? 'unknown'} in the member table; joining again`,
    );
    void this.#rejoin();
  }
}
