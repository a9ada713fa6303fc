/**
 * What the rest of an agent uses of membership, for a server and for a client alike: the member
 * view, joining, leaving, force-leave, and what to do with a join request that reached this
 * agent's serf port.
 */
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { MemberRow } from '../store/members/types.js';
import { isServerMember } from '../store/members/types.js';
import { validateMemberRecord } from '../store/members/snapshot.js';
import type { ClusterPort } from '../store/http/context.js';
import { hostPort, parseJoinAddress } from './address.js';
import { serfMember } from '../store/members/serf-json.js';
import type { MembershipClient } from './client.js';
import type { MembershipServer } from './server.js';
import type { ClusterRequest, JoinAnswer, SelfMember } from './types.js';
import { joinPath } from './types.js';

/** RouteAnswer is a status and a body, as the cluster ports answer. */
export interface RouteAnswer {
  readonly status: number;
  readonly body: string;
  readonly json?: boolean;
}

/** AgentMembership is an agent's membership, server or client. */
export interface AgentMembership {
  readonly server: boolean;
  readonly self: SelfMember;
  /** The datacenter's members as this agent sees them, sorted by name. */
  members(): MemberRow[];
  /** The number of servers this agent can send requests to. */
  knownServers(): number;
  /** Answers a join request that reached this agent's serf port. */
  handleJoin(body: string): Promise<RouteAnswer>;
  /** Joins the agent at `address`; rejects with `Failed to join <addr>: <why>`. */
  join(address: string): Promise<void>;
  /** Leaves gracefully; resolves once the servers have recorded it. */
  leave(): Promise<void>;
  /** Forces a member out; rejects with `agent: No node found with name '<node>'`. */
  forceLeave(node: string, prune: boolean): Promise<void>;
  close(): Promise<void>;
}

/** parseJoinRequest reads a join request body: the joining agent as a member. */
export function parseJoinRequest(body: string): SelfMember {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ConfdError(ErrorCode.CLUSTER_REFUSED, 'bad join request: not JSON');
  }
  const why = validateMemberRecord({ ...(value as object), status: 'alive', statusTime: 0 });
  if (why !== undefined)
    throw new ConfdError(ErrorCode.CLUSTER_REFUSED, `bad join request: ${why}`);
  const { name, id, addr, port, tags } = value as SelfMember;
  return { name, id, addr, port, tags: { ...tags } };
}

const ok = (answer: JoinAnswer): RouteAnswer => ({
  status: 200,
  body: JSON.stringify(answer),
  json: true,
});
const refused = (err: unknown): RouteAnswer => ({ status: 500, body: errorMessage(err) });

/** serverMembership is a server agent's membership over its {@link MembershipServer}. */
export function serverMembership(
  server: MembershipServer,
  self: SelfMember,
  request: ClusterRequest,
): AgentMembership {
  return {
    server: true,
    self,
    members: () => server.members(),
    knownServers: () => server.servers().length,
    async handleJoin(body) {
      try {
        return ok(await server.join(parseJoinRequest(body)));
      } catch (err) {
        return refused(err);
      }
    },
    async join(address) {
      // A server asking another agent to admit it: a client that knows no server adopts it (and
      // joins it back); anyone else's servers refuse a second server.
      const { host, port } = parseJoinAddress(address);
      const target = hostPort(host, port);
      const answer = await request(target, {
        method: 'POST',
        path: joinPath,
        body: JSON.stringify(self),
        timeoutMs: 10_000,
      }).catch((err: unknown) => {
        throw new ConfdError(
          ErrorCode.CLUSTER_REFUSED,
          `Failed to join ${target}: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      });
      if (answer.status !== 200) {
        const why = answer.body.toString('utf8').trim();
        throw new ConfdError(ErrorCode.CLUSTER_REFUSED, `Failed to join ${target}: ${why}`);
      }
    },
    leave: () => server.leave(self.name),
    forceLeave: (node, prune) => server.forceLeave(node, prune),
    close: () => server.close(),
  };
}

/** clientMembership is a client agent's membership over its {@link MembershipClient}. */
export function clientMembership(client: MembershipClient, self: SelfMember): AgentMembership {
  return {
    server: false,
    self,
    members: () => client.members(),
    knownServers: () => client.servers().length,
    async handleJoin(body) {
      let joiner: SelfMember;
      try {
        joiner = parseJoinRequest(body);
      } catch (err) {
        return refused(err);
      }
      try {
        // A server inviting a client that knows none: the client joins it (Consul merges pools).
        if (!client.hasServers && isServerMember(joiner)) {
          await client.join(hostPort(joiner.addr, joiner.port));
          return { status: 200, body: JSON.stringify({ Servers: [] }), json: true };
        }
        const answer = await client.forwardJoin(body);
        return { ...answer, json: answer.status === 200 };
      } catch (err) {
        return refused(err);
      }
    },
    join: (address) => client.join(address),
    leave: () => client.leave(),
    forceLeave: (node, prune) => client.forceLeave(node, prune),
    close: () => client.close(),
  };
}

/**
 * clusterPort adapts an agent's membership to the HTTP API's {@link ClusterPort}: Serf's member
 * JSON, and Consul's answers for the WAN pool, which only servers join (issue: WAN federation is
 * not built yet, so a server's WAN pool holds itself alone, as `<node>.<dc>` on port 8302).
 */
export function clusterPort(agent: AgentMembership): ClusterPort {
  const self = (): MemberRow | SelfMember =>
    agent.members().find((m) => m.name === agent.self.name) ?? agent.self;
  return {
    server: agent.server,
    members(wan) {
      if (!wan) return agent.members().map((m) => serfMember(m));
      // Go encodes a client's nil WAN member list as null.
      if (!agent.server) return null as unknown as readonly unknown[];
      const me = agent.self;
      return [
        serfMember({
          ...me,
          name: `${me.name}.${me.tags.dc ?? 'dc1'}`,
          port: 8302,
          status: 'alive',
        }),
      ];
    },
    self: () => serfMember({ status: 'alive', ...self() }),
    knownServers: () => agent.knownServers(),
    async join(address, wan) {
      if (wan) {
        throw new ConfdError(
          ErrorCode.CLUSTER_REFUSED,
          agent.server
            ? 'WAN federation is not supported yet'
            : 'Must be a server to join WAN cluster',
        );
      }
      await agent.join(address);
    },
    async forceLeave(node, { prune, wan }) {
      if (wan) {
        throw new ConfdError(
          ErrorCode.CLUSTER_REFUSED,
          agent.server
            ? 'WAN federation is not supported yet'
            : 'Must be a server to force-leave a node from the WAN cluster',
        );
      }
      await agent.forceLeave(node, prune);
    },
    leave: () => agent.leave(),
  };
}
