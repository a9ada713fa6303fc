/**
 * `/v1/operator/raft/configuration`, `/v1/operator/raft/peer` and `/v1/operator/autopilot/health`:
 * the servers of the datacenter with Consul's shapes and texts (consul agent/operator_endpoint.go,
 * api/operator_raft.go). Replicated servers describe the group sharing the log in etcd
 * ({@link ConsensusPort}); a lone server describes itself as a one-voter Raft configuration.
 */
import { formatGoDuration } from '../../go/duration.js';
import type { RaftServer, RequestContext } from './context.js';
import { has, param, sendJson, sendText } from './context.js';
import { statusName } from '../members/serf-json.js';

/** operatorRoutes lists the paths and their one method. */
export const operatorRoutes: Readonly<Record<string, 'GET' | 'DELETE'>> = {
  '/v1/operator/raft/configuration': 'GET',
  '/v1/operator/raft/peer': 'DELETE',
  '/v1/operator/autopilot/health': 'GET',
};

/** Consul's autopilot max_trailing_logs: a server further behind is unhealthy. */
const MAX_TRAILING_LOGS = 250;

function servers(ctx: RequestContext): RaftServer[] {
  const { config } = ctx;
  if (config.consensus) return config.consensus.servers();
  return [
    {
      id: config.nodeId,
      node: config.nodeName,
      address: config.serverAddr,
      leader: true,
      lastIndex: config.store.lastIndex,
    },
  ];
}

/** handleOperator serves one of {@link operatorRoutes}. */
export async function handleOperator(ctx: RequestContext): Promise<void> {
  switch (ctx.path) {
    case '/v1/operator/raft/configuration':
      return configuration(ctx);
    case '/v1/operator/raft/peer':
      return removePeer(ctx);
    default:
      return autopilotHealth(ctx);
  }
}

function configuration(ctx: RequestContext): void {
  const list = servers(ctx);
  sendJson(ctx, {
    Servers: list.map((s) => ({
      ID: s.id,
      Node: s.node,
      Address: s.address,
      Leader: s.leader,
      ProtocolVersion: '3',
      Voter: true,
      LastIndex: s.lastIndex,
    })),
    Index: ctx.config.consensus?.index() ?? ctx.config.store.lastIndex,
  });
}

async function removePeer(ctx: RequestContext): Promise<void> {
  const id = has(ctx, 'id') ? param(ctx, 'id') : '';
  const address = has(ctx, 'address') ? param(ctx, 'address') : '';
  if (id === '' && address === '') {
    return sendText(
      ctx,
      400,
      "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
    );
  }
  if (id !== '' && address !== '')
    return sendText(ctx, 400, 'Must specify only one of ?id or ?address');
  const consensus = ctx.config.consensus;
  const found = consensus ? await consensus.removePeer(id !== '' ? { id } : { address }) : false;
  if (!found) {
    const what = id !== '' ? `id ${JSON.stringify(id)}` : `address ${JSON.stringify(address)}`;
    return sendText(ctx, 500, `${what} was not found in the Raft configuration`);
  }
  ctx.res.writeHead(200, ['Content-Length', '0']);
  ctx.res.end();
}

/** autopilotHealth answers 200 when every server is healthy, 429 otherwise (as Consul). */
function autopilotHealth(ctx: RequestContext): void {
  const list = servers(ctx);
  const members = new Map(
    (ctx.config.cluster?.members(false) ?? []).map((m) => {
      const member = m as { Name: string; Status: number };
      return [member.Name, statusName(member.Status)] as const;
    }),
  );
  const head = Math.max(0, ...list.map((s) => s.lastIndex));
  const rows = list.map((s) => {
    const serf = members.get(s.node) ?? (ctx.config.cluster ? 'none' : 'alive');
    const healthy = serf === 'alive' && head - s.lastIndex <= MAX_TRAILING_LOGS;
    return {
      ID: s.id,
      Name: s.node,
      Address: s.address,
      SerfStatus: serf,
      Version: ctx.config.version,
      Leader: s.leader,
      LastContact: formatGoDuration(0),
      LastTerm: 1,
      LastIndex: s.lastIndex,
      Healthy: healthy,
      Voter: true,
      StableSince: new Date(0).toISOString().replace('.000', ''),
    };
  });
  const healthyCount = rows.filter((r) => r.Healthy).length;
  const quorum = Math.floor(list.length / 2) + 1;
  const body = {
    Healthy: healthyCount === rows.length,
    FailureTolerance: Math.max(0, healthyCount - quorum),
    Servers: rows,
  };
  sendJson(ctx, body, undefined, body.Healthy ? 200 : 429);
}
