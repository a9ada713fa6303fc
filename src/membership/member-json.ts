/**
 * Members as Consul answers them: Serf's member JSON (`/v1/agent/members`, `/v1/agent/self`'s
 * `Member`) and the tags an agent carries (`agent/consul/server_serf.go`, `client_serf.go`).
 */
import type { MemberRecord, MemberStatus } from '../store/members/types.js';

/** SerfMember is one element of `GET /v1/agent/members`. */
export interface SerfMember {
  readonly Name: string;
  readonly Addr: string;
  readonly Port: number;
  readonly Tags: Readonly<Record<string, string>>;
  /** 0 none, 1 alive, 2 leaving, 3 left, 4 failed. */
  readonly Status: number;
  readonly ProtocolMin: number;
  readonly ProtocolMax: number;
  readonly ProtocolCur: number;
  readonly DelegateMin: number;
  readonly DelegateMax: number;
  readonly DelegateCur: number;
}

const STATUS_NUMBER: Record<MemberStatus, number> = { alive: 1, leaving: 2, left: 3, failed: 4 };

/** serfMember renders a member as Consul's JSON (memberlist protocol 1-5, Serf delegate 2-5). */
export function serfMember(
  member: Pick<MemberRecord, 'name' | 'addr' | 'port' | 'tags' | 'status'>,
): SerfMember {
  return {
    Name: member.name,
    Addr: member.addr,
    Port: member.port,
    Tags: member.tags,
    Status: STATUS_NUMBER[member.status],
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/** AgentTagOptions describe the agent whose tags {@link agentTags} builds. */
export interface AgentTagOptions {
  readonly server: boolean;
  readonly datacenter: string;
  readonly nodeId: string;
  /** `<version>:<revision>`, e.g. `1.21.4:confd`. */
  readonly build: string;
  /** The server RPC port (servers only). */
  readonly serverPort: number;
  readonly bootstrap: boolean;
}

/** agentTags are the Serf tags of an agent, as Consul sets them. */
export function agentTags(o: AgentTagOptions): Record<string, string> {
  const common = {
    build: o.build,
    dc: o.datacenter,
    ft_fs: '1',
    ft_si: '1',
    id: o.nodeId,
    segment: '',
    vsn: '2',
    vsn_max: '3',
    vsn_min: '2',
  };
  if (!o.server) return { ...common, role: 'node' };
  return {
    ...common,
    acls: '0',
    ...(o.bootstrap ? { bootstrap: '1' } : {}),
    port: String(o.serverPort),
    raft_vsn: '3',
    role: 'consul',
    wan_join_port: '8302',
  };
}
