/**
 * `/v1/health/node/:node`, `/v1/health/checks/:service`, `/v1/health/service/:service` (`passing`,
 * `tag`, `node-meta`) and `/v1/health/state/:state`, as consul `agent/health_endpoint.go` serves
 * them, all as blocking queries.
 */
import { checkJson, healthEntryJson } from '../catalog/shapes.js';
import { isCheckStatus } from '../catalog/types.js';
import { parseGoBool } from '../../go/strconv.js';
import type { RequestContext } from './context.js';
import { has, methodAllowed, param, sendText } from './context.js';
import {
  nodeMetaFilter,
  serveRead,
  type RouteResult,
  type ServiceDiscovery,
} from './catalog-routes.js';

const prefix = '/v1/health/';

/** handleHealth serves /v1/health/*; false for paths it does not know. */
export function handleHealth(ctx: RequestContext, sd: ServiceDiscovery): RouteResult {
  if (!ctx.path.startsWith(prefix)) return false;
  const rest = ctx.path.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return false;
  const op = rest.slice(0, slash);
  const arg = rest.slice(slash + 1);
  if (!['node', 'checks', 'service', 'state'].includes(op)) return false;
  if (!methodAllowed(ctx, ['GET'])) return;
  const state = () => sd.catalog.catalogState();
  const checks = (list: Parameters<typeof checkJson>[0][]) =>
    list.map((c) => checkJson(c, state()));
  const meta = nodeMetaFilter(ctx);
  switch (op) {
    case 'node':
      if (arg === '') return sendText(ctx, 400, 'Missing node name');
      return serveRead(
        ctx,
        sd,
        { kind: 'catalog-table', table: 'checks' },
        () => state().nodeChecks(arg),
        checks,
      );
    case 'checks':
      if (arg === '') return sendText(ctx, 400, 'Missing service name');
      return serveRead(
        ctx,
        sd,
        { kind: 'catalog-table', table: 'checks' },
        () => state().serviceChecks(arg, meta),
        checks,
      );
    case 'state': {
      if (arg === '') return sendText(ctx, 400, 'Missing check state');
      if (arg !== 'any' && !isCheckStatus(arg)) {
        return sendText(ctx, 400, `Invalid check state ${JSON.stringify(arg)}`);
      }
      return serveRead(
        ctx,
        sd,
        { kind: 'catalog-table', table: 'checks' },
        () => state().checksInState(arg, meta),
        checks,
      );
    }
    default: {
      if (arg === '') return sendText(ctx, 400, 'Missing service name');
      let passing = false;
      if (has(ctx, 'passing')) {
        const raw = param(ctx, 'passing');
        // `?passing` with no value means true; otherwise Go's strconv.ParseBool.
        const parsed = raw === '' ? true : parseGoBool(raw);
        if (parsed === undefined) return sendText(ctx, 400, 'Invalid value for ?passing');
        passing = parsed;
      }
      const tags = ctx.query.get('tag') ?? [];
      return serveRead(
        ctx,
        sd,
        { kind: 'service', name: arg },
        () => state().healthService(arg, { tags, nodeMeta: meta, passing }),
        (v) => v.map((e) => healthEntryJson(e, state())),
      );
    }
  }
}
