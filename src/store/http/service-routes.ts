/**
 * The single entry point of the service-discovery routes (catalog, health, agent services and
 * checks, events) for the router: answers the request, or returns false when the path is not one
 * of them.
 */
import { handleAgentServices } from './agent-service-routes.js';
import { handleCatalog, type RouteResult, type ServiceDiscovery } from './catalog-routes.js';
import type { RequestContext } from './context.js';
import { handleEvent } from './event-routes.js';
import { handleHealth } from './health-routes.js';

export type { ServiceDiscovery } from './catalog-routes.js';

/** routeServiceDiscovery serves a service-discovery request; false when the path is not one. */
export function routeServiceDiscovery(ctx: RequestContext, sd: ServiceDiscovery): RouteResult {
  const p = ctx.path;
  if (p.startsWith('/v1/catalog/')) return handleCatalog(ctx, sd);
  if (p.startsWith('/v1/health/')) return handleHealth(ctx, sd);
  if (p.startsWith('/v1/agent/')) return handleAgentServices(ctx, sd);
  if (p.startsWith('/v1/event/')) return handleEvent(ctx, sd);
  return false;
}
