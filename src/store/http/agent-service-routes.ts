/**
 * The agent's local service and check endpoints, as consul `agent/agent_endpoint.go` serves them:
 * `/v1/agent/services`, `/v1/agent/service/:id`, `/v1/agent/service/register|deregister/:id|
 * maintenance/:id`, `/v1/agent/checks`, `/v1/agent/check/register|deregister|pass|warn|fail|
 * update/:id`, `/v1/agent/maintenance` and `/v1/agent/health/service/name|id/:x`.
 * Write answers are 200 with an empty body.
 */
import { parseCheck, parseServiceDefinition, field } from '../catalog/requests.js';
import { agentServiceJson, checkJson } from '../catalog/shapes.js';
import type { CatalogService, CheckStatus } from '../catalog/types.js';
import { isCheckStatus } from '../catalog/types.js';
import type { RequestContext } from './context.js';
import { has, methodAllowed, param, sendJson, sendText } from './context.js';
import { readJsonBody, type RouteResult, type ServiceDiscovery } from './catalog-routes.js';
import { parseGoBool } from '../../go/strconv.js';
import { sendStoreError } from './store-errors.js';

function ok(ctx: RequestContext): void {
  ctx.res.writeHead(200, ['Content-Length', '0']);
  ctx.res.end();
}

async function attempt(ctx: RequestContext, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  ok(ctx);
}

function unknownCheck(ctx: RequestContext, id: string): void {
  sendText(
    ctx,
    404,
    `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`,
  );
}

/** handleAgentServices serves the agent's service/check paths; false for other paths. */
export function handleAgentServices(ctx: RequestContext, sd: ServiceDiscovery): RouteResult {
  const path = ctx.path;
  const dc = ctx.config.datacenter;
  switch (path) {
    case '/v1/agent/services': {
      if (!methodAllowed(ctx, ['GET'])) return;
      const out: Record<string, ReturnType<typeof agentServiceJson>> = {};
      for (const s of sd.agent.services()) out[s.id] = agentServiceJson(s, dc);
      return sendJson(ctx, out);
    }
    case '/v1/agent/checks': {
      if (!methodAllowed(ctx, ['GET'])) return;
      const state = sd.catalog.catalogState();
      const out: Record<string, ReturnType<typeof checkJson>> = {};
      for (const c of sd.agent.checks()) out[c.checkId] = checkJson(c, state);
      return sendJson(ctx, out);
    }
    case '/v1/agent/service/register':
      return methodAllowed(ctx, ['PUT']) ? registerService(ctx, sd) : undefined;
    case '/v1/agent/check/register':
      return methodAllowed(ctx, ['PUT']) ? registerCheck(ctx, sd) : undefined;
    case '/v1/agent/maintenance':
      return methodAllowed(ctx, ['PUT']) ? nodeMaintenance(ctx, sd) : undefined;
    default:
  }
  const m = /^\/v1\/agent\/(service|check|health\/service)\/(?:([a-z]+)\/)?(.*)$/.exec(path);
  if (!m) return false;
  const [, kind, op = '', id] = m;
  if (kind === 'service') {
    if (op === 'deregister') {
      if (!methodAllowed(ctx, ['PUT'])) return;
      return attempt(ctx, () => sd.agent.deregisterService(id));
    }
    if (op === 'maintenance') {
      return methodAllowed(ctx, ['PUT']) ? serviceMaintenance(ctx, sd, id) : undefined;
    }
    if (op !== '') return false;
    if (!methodAllowed(ctx, ['GET'])) return;
    const service = sd.agent.service(id);
    if (!service) return sendText(ctx, 404, `unknown service ID: ${id}`);
    return sendJson(ctx, { ...agentServiceJson(service, dc), ContentHash: contentHash(service) });
  }
  if (kind === 'check') {
    if (op === 'deregister') {
      if (!methodAllowed(ctx, ['PUT'])) return;
      return attempt(ctx, () => sd.agent.deregisterCheck(id));
    }
    const statuses: Record<string, CheckStatus> = {
      pass: 'passing',
      warn: 'warning',
      fail: 'critical',
    };
    if (Object.hasOwn(statuses, op)) {
      if (!methodAllowed(ctx, ['PUT'])) return;
      return updateCheck(ctx, sd, id, statuses[op], param(ctx, 'note'));
    }
    if (op === 'update')
      return methodAllowed(ctx, ['PUT']) ? updateFromBody(ctx, sd, id) : undefined;
    return false;
  }
  if (op !== 'name' && op !== 'id') return false;
  return methodAllowed(ctx, ['GET']) ? aggregated(ctx, sd, op, id) : undefined;
}

function contentHash(s: CatalogService): string {
  // Any stable digest of the definition serves hash-based blocking; FNV-1a 64 as hex.
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(JSON.stringify(s))) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  }
  return h.toString(16).padStart(16, '0');
}

async function registerService(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  const body = await readJsonBody(ctx);
  if (!body) return;
  const parsed = parseServiceDefinition(body.value, sd.agent.nodeName);
  if (!parsed.ok) return sendText(ctx, 400, parsed.message);
  const replace = has(ctx, 'replace-existing-checks');
  return attempt(ctx, () => sd.agent.registerService(parsed.value, replace));
}

async function registerCheck(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  const body = await readJsonBody(ctx);
  if (!body) return;
  const parsed = parseCheck(body.value, { node: sd.agent.nodeName, requireType: true });
  if (!parsed.ok) return sendText(ctx, 400, parsed.message);
  if (parsed.value.name === '' || !hasName(body.value)) {
    return sendText(ctx, 400, 'Missing check name');
  }
  return attempt(ctx, () => sd.agent.registerCheck(parsed.value));
}

function hasName(raw: unknown): boolean {
  const name = typeof raw === 'object' && raw !== null ? field(raw as never, 'Name') : undefined;
  return typeof name === 'string' && name !== '';
}

async function updateCheck(
  ctx: RequestContext,
  sd: ServiceDiscovery,
  id: string,
  status: CheckStatus,
  output: string,
): Promise<void> {
  let found: boolean;
  try {
    found = await sd.agent.updateCheck(id, status, output);
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  if (!found) return unknownCheck(ctx, id);
  ok(ctx);
}

async function updateFromBody(ctx: RequestContext, sd: ServiceDiscovery, id: string) {
  const body = await readJsonBody(ctx);
  if (!body) return;
  const raw = body.value;
  if (typeof raw !== 'object' || raw === null) {
    return sendText(ctx, 400, 'Request decode failed: body must be an object');
  }
  const status = field(raw as never, 'Status');
  const output = field(raw as never, 'Output') ?? '';
  if (!isCheckStatus(status)) {
    return sendText(ctx, 400, `Invalid check status: ${JSON.stringify(status ?? '')}`);
  }
  if (typeof output !== 'string') return sendText(ctx, 400, 'Output must be a string');
  return updateCheck(ctx, sd, id, status, output);
}

function enableParam(ctx: RequestContext): boolean | undefined {
  if (!has(ctx, 'enable')) {
    sendText(ctx, 400, 'Missing value for enable');
    return undefined;
  }
  const raw = param(ctx, 'enable');
  const value = parseGoBool(raw);
  if (value === undefined) sendText(ctx, 400, `Invalid value for enable: ${JSON.stringify(raw)}`);
  return value;
}

async function serviceMaintenance(ctx: RequestContext, sd: ServiceDiscovery, id: string) {
  if (id === '') return sendText(ctx, 400, 'Missing service ID');
  const enable = enableParam(ctx);
  if (enable === undefined) return;
  let found: boolean;
  try {
    found = await sd.agent.serviceMaintenance(id, enable, param(ctx, 'reason'));
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  if (!found) return sendText(ctx, 404, `Unknown service ID ${JSON.stringify(id)}`);
  ok(ctx);
}

async function nodeMaintenance(ctx: RequestContext, sd: ServiceDiscovery) {
  const enable = enableParam(ctx);
  if (enable === undefined) return;
  return attempt(ctx, () => sd.agent.nodeMaintenance(enable, param(ctx, 'reason')));
}

const httpStatusOf = { passing: 200, warning: 429, critical: 503 } as const;

function aggregated(ctx: RequestContext, sd: ServiceDiscovery, by: string, arg: string): void {
  const services = sd.agent
    .services()
    .filter((s) => (by === 'id' ? s.id === arg : s.service === arg));
  const text = has(ctx, 'format') && param(ctx, 'format') === 'text';
  if (services.length === 0) {
    return sendText(ctx, 404, text ? 'critical' : `ServiceName ${arg} Not Found`);
  }
  const state = sd.catalog.catalogState();
  const rank = { passing: 0, warning: 1, critical: 2 } as const;
  let worst: CheckStatus = 'passing';
  const entries = services.map((s) => {
    const checks = state
      .instanceChecks(sd.agent.nodeName, s.id)
      .filter((c) => c.checkId !== 'serfHealth');
    let status: CheckStatus = 'passing';
    for (const c of checks) if (rank[c.status] > rank[status]) status = c.status;
    if (rank[status] > rank[worst]) worst = status;
    return {
      AggregatedStatus: status,
      Service: agentServiceJson(s, ctx.config.datacenter),
      Checks: checks.map((c) => checkJson(c, state)),
    };
  });
  if (text) return sendText(ctx, httpStatusOf[worst], worst);
  sendJson(ctx, by === 'id' ? entries[0] : entries, undefined, httpStatusOf[worst]);
}
