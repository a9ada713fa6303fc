/** The shapes membership exchanges between agents, and the paths they use. */
import type { MemberRecord } from '../store/members/types.js';

/** SelfMember is this agent as a member, without a status (the membership decides it). */
export type SelfMember = Omit<MemberRecord, 'status' | 'statusTime'>;

/** ClusterAnswer is a whole agent-to-agent answer. */
export interface ClusterAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** ClusterRequestInit is one agent-to-agent request. */
export interface ClusterRequestInit {
  readonly method: string;
  /** Path and query, e.g. `/v1/internal/ping`. */
  readonly path: string;
  readonly body?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * ClusterRequest sends one request to another agent's cluster port (`host:port`, IPv6 in
 * brackets) and reads the whole answer; it rejects when the agent cannot be reached (src/transport
 * speaks TLS-PSK when the cluster has an `-encrypt` key).
 */
export type ClusterRequest = (addr: string, init: ClusterRequestInit) => Promise<ClusterAnswer>;

/** JoinAnswer is what a server tells an agent it admitted: the servers to send requests to. */
export interface JoinAnswer {
  readonly Servers: readonly {
    readonly Name: string;
    /** The server's cluster address and serf LAN port. */
    readonly Addr: string;
    readonly Port: number;
    /** Its server RPC port. */
    readonly RpcPort: number;
  }[];
}

/** Paths of the cluster ports. Serf LAN port (every agent): */
export const pingPath = '/v1/internal/ping';
export const joinPath = '/v1/internal/join';
/** Server RPC port (servers), besides the whole HTTP API: */
export const membersPath = '/v1/internal/members';
export const leavePath = '/v1/internal/leave/';
export const forceLeavePath = '/v1/internal/force-leave/';
