/**
 * `/v1/status/leader|peers` and `/v1/agent/self|members`: this single-node server describing
 * itself the way a bootstrapped one-server Consul cluster does.
 */
import type { ApiConfig, RequestContext } from './context.js';
import { sendJson } from './context.js';

/** agentPaths is the set of GET-only status, agent and catalog paths. */
export const agentPaths: ReadonlySet<string> = new Set([
  '/v1/status/leader',
  '/v1/status/peers',
  '/v1/agent/self',
  '/v1/agent/members',
  '/v1/catalog/datacenters',
]);

function member(config: ApiConfig) {
  const [addr] = config.serverAddr.split(':');
  return {
    Name: config.nodeName,
    Addr: addr,
    Port: 8301,
    Tags: {
      acls: '0',
      bootstrap: config.bootstrap ? '1' : '0',
      build: `${config.version}:${config.revision}`,
      dc: config.datacenter,
      ft_fs: '1',
      ft_si: '1',
      id: config.nodeId,
      port: '8300',
      raft_vsn: '3',
      role: 'consul',
      segment: '',
      vsn: '2',
      vsn_max: '3',
      vsn_min: '2',
      wan_join_port: '8302',
    },
    // Serf member status as an integer: 1 = alive.
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

function self(config: ApiConfig) {
  const lastIndex = String(config.store.lastIndex);
  return {
    Config: {
      Datacenter: config.datacenter,
      PrimaryDatacenter: config.datacenter,
      NodeName: config.nodeName,
      NodeID: config.nodeId,
      Partition: '',
      Revision: config.revision,
      Server: true,
      Version: config.version,
      BuildDate: '2025-01-01T00:00:00Z',
    },
    DebugConfig: {
      Bootstrap: config.bootstrap,
      ClientAddrs: [config.clientAddr.address],
      Datacenter: config.datacenter,
      DevMode: config.dev,
      HTTPPort: config.clientAddr.port,
      KVMaxValueSize: config.kvMaxValueSize,
      MaxQueryTime: `${config.maxQueryTimeMs / 1000}s`,
      DefaultQueryTime: `${config.defaultQueryTimeMs / 1000}s`,
      NodeName: config.nodeName,
      NodeID: config.nodeId,
      ServerMode: true,
      TxnMaxReqLen: config.txnMaxReqLen,
      Version: config.version,
      ...config.debugConfig,
    },
    Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
    Member: member(config),
    Stats: {
      agent: { check_monitors: '0', check_ttls: '0', checks: '0', services: '0' },
      build: {
        prerelease: '',
        revision: config.revision,
        version: config.version,
        version_metadata: '',
      },
      consul: {
        acl: 'disabled',
        bootstrap: String(config.bootstrap),
        known_datacenters: '1',
        leader: 'true',
        leader_addr: config.serverAddr,
        server: 'true',
      },
      raft: {
        applied_index: lastIndex,
        commit_index: lastIndex,
        last_log_index: lastIndex,
        num_peers: '0',
        protocol_version: '3',
        state: 'Leader',
      },
      runtime: {
        arch: process.arch === 'x64' ? 'amd64' : process.arch,
        os: process.platform,
        version: `node${process.versions.node}`,
      },
    },
    Meta: { 'consul-network-segment': '', 'consul-version': config.version },
  };
}

/** handleAgent serves one of {@link agentPaths} (GET). */
export function handleAgent(ctx: RequestContext): void {
  const { config } = ctx;
  switch (ctx.path) {
    case '/v1/status/leader':
      return sendJson(ctx, config.serverAddr);
    case '/v1/status/peers':
      return sendJson(ctx, [config.serverAddr]);
    case '/v1/agent/self':
      return sendJson(ctx, self(config));
    case '/v1/agent/members':
      return sendJson(ctx, [member(config)]);
    case '/v1/catalog/datacenters':
      return sendJson(ctx, [config.datacenter]);
    default:
      return undefined;
  }
}

/** handleLeave answers `PUT /v1/agent/leave` (200, empty body) and then asks the agent to leave. */
export function handleLeave(ctx: RequestContext): void {
  const { onLeave } = ctx.config;
  ctx.res.writeHead(200, ['Content-Length', '0']);
  ctx.res.end(() => onLeave?.());
}
