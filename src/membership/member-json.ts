/** The Serf tags an agent carries, as Consul sets them (`agent/consul/server_serf.go`, `client_serf.go`). */

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
