/**
 * `/v1/status/leader|peers`, `/v1/agent/self|members`, and the membership writes
 * `/v1/agent/join|force-leave|leave`: from the agent's cluster membership when it has one,
 * otherwise this node describing itself as a bootstrapped one-server Consul cluster does.
 */
import { errorMessage } from '../../errors.js';
import { serfMember } from '../members/serf-json.js';
import type { ApiConfig, RequestContext } from './context.js';
import { has, param, sendJson, sendText } from './context.js';

/** agentPaths is the set of GET-only status, agent and catalog paths. */
export const agentPaths: ReadonlySet<string> = new Set([
  '/v1/status/leader',
  '/v1/status/peers',
  '/v1/agent/self',
  '/v1/agent/members',
  '/v1/catalog/datacenters',
]);

/** member is this node alone as a Serf member (no cluster membership: a lone server). */
function member(config: ApiConfig) {
  const [addr = '127.0.0.1'] = config.serverAddr.split(':');
  return serfMember({
    name: config.nodeName,
    addr,
    port: 8301,
    status: 'alive',
    tags: {
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
  });
}

function self(config: ApiConfig) {
  const lastIndex = String(config.store.lastIndex);
  const server = config.cluster?.server ?? true;
  return {
    Config: {
      Datacenter: config.datacenter,
      PrimaryDatacenter: config.datacenter,
      NodeName: config.nodeName,
      NodeID: config.nodeId,
      Partition: '',
      Revision: config.revision,
      Server: server,
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
      ServerMode: server,
      TxnMaxReqLen: config.txnMaxReqLen,
      Version: config.version,
      ...config.debugConfig,
    },
    Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
    Member: config.cluster?.self() ?? member(config),
    Stats: {
      agent: { check_monitors: '0', check_ttls: '0', checks: '0', services: '0' },
      build: {
        prerelease: '',
        revision: config.revision,
        version: config.version,
        version_metadata: '',
      },
      consul: server
        ? {
            acl: 'disabled',
            bootstrap: String(config.bootstrap),
            known_datacenters: '1',
            leader: 'true',
            leader_addr: config.serverAddr,
            server: 'true',
          }
        : {
            acl: 'disabled',
            known_servers: String(config.cluster?.knownServers() ?? 0),
            server: 'false',
          },
      ...(server
        ? {
            raft: {
              applied_index: lastIndex,
              commit_index: lastIndex,
              last_log_index: lastIndex,
              num_peers: '0',
              protocol_version: '3',
              state: 'Leader',
            },
          }
        : {}),
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
      return sendJson(ctx, config.consensus?.leader() ?? config.serverAddr);
    case '/v1/status/peers':
      return sendJson(ctx, config.consensus?.peers() ?? [config.serverAddr]);
    case '/v1/agent/self':
      return sendJson(ctx, self(config));
    case '/v1/agent/members':
      return members(ctx);
    case '/v1/catalog/datacenters':
      return sendJson(ctx, [config.datacenter]);
    default:
      return undefined;
  }
}

/** members answers `GET /v1/agent/members` (`wan` counts only with a value, as in Consul). */
function members(ctx: RequestContext): void {
  const wan = param(ctx, 'wan') !== '';
  const segment = param(ctx, 'segment');
  if (wan && segment !== '' && segment !== '_all') {
    return sendText(ctx, 400, 'Cannot provide a segment with wan=true');
  }
  const { cluster } = ctx.config;
  return sendJson(ctx, cluster === undefined ? [member(ctx.config)] : cluster.members(wan));
}

function emptyOk(ctx: RequestContext, then?: () => void): void {
  ctx.res.writeHead(200, ['Content-Length', '0']);
  ctx.res.end(then);
}

/**
 * handleLeave answers `PUT /v1/agent/leave` once the agent has left the cluster (200, empty
 * body), then asks the agent to shut down, as `consul leave` expects.
 */
export async function handleLeave(ctx: RequestContext): Promise<void> {
  const { onLeave, cluster } = ctx.config;
  try {
    await cluster?.leave();
  } catch (err) {
    return sendText(ctx, 500, errorMessage(err));
  }
  emptyOk(ctx, () => onLeave?.());
}

/** joinPrefix and forceLeavePrefix are the membership write paths (PUT, the rest is the target). */
export const joinPrefix = '/v1/agent/join/';
export const forceLeavePrefix = '/v1/agent/force-leave/';

/** handleJoin answers `PUT /v1/agent/join/<address>[?wan=1]`: 200 empty, or 500 with the error. */
export async function handleJoin(ctx: RequestContext): Promise<void> {
  const { cluster } = ctx.config;
  if (cluster === undefined) return sendText(ctx, 404, '404 page not found\n');
  const address = ctx.path.slice(joinPrefix.length);
  try {
    await cluster.join(address, param(ctx, 'wan') !== '');
  } catch (err) {
    return sendText(ctx, 500, errorMessage(err));
  }
  emptyOk(ctx);
}

/** handleForceLeave answers `PUT /v1/agent/force-leave/<node>[?prune][&wan]` (flags by presence). */
export async function handleForceLeave(ctx: RequestContext): Promise<void> {
  const { cluster } = ctx.config;
  if (cluster === undefined) return sendText(ctx, 404, '404 page not found\n');
  const node = ctx.path.slice(forceLeavePrefix.length);
  try {
    await cluster.forceLeave(node, { prune: has(ctx, 'prune'), wan: has(ctx, 'wan') });
  } catch (err) {
    return sendText(ctx, 500, errorMessage(err));
  }
  emptyOk(ctx);
}
