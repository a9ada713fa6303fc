/**
 * `/v1/catalog/*` (register, deregister, nodes, services, service/:name, node/:node,
 * node-services/:node) as consul `agent/catalog_endpoint.go` serves them, plus the helpers the
 * other service-discovery routes share: method checks, JSON bodies, node-meta filters and
 * blocking catalog reads.
 */
import { isConfdError, ErrorCode } from '../../errors.js';
import type { CatalogScope, CatalogStore } from '../catalog/catalog-store.js';
import type { EventLog } from '../catalog/events.js';
import type { LocalAgent } from '../catalog/local-agent.js';
import { parseCatalogDeregister, parseCatalogRegister } from '../catalog/requests.js';
import { nodeJson, nodeServicesJson, serviceNodeJson } from '../catalog/shapes.js';
import type { NodeMetaFilter } from '../catalog/types.js';
import type { Indexed } from '../types.js';
import { checkDatacenter, parseReadOptions, queryTimeoutMs, type ReadOptions } from './blocking.js';
import { readBody } from './body.js';
import type { RequestContext } from './context.js';
import { methodAllowed, param, sendJson, sendText } from './context.js';
import { sendStoreError } from './store-errors.js';

/** ServiceDiscovery is what the catalog, health, agent-service and event routes serve from. */
export interface ServiceDiscovery {
  readonly catalog: CatalogStore;
  readonly agent: LocalAgent;
  readonly events: EventLog;
}

/** RouteResult is a route's answer: handled (maybe async), or `false` when the path is not its. */
export type RouteResult = Promise<void> | void | false;

/** readJsonBody reads and decodes a JSON body; answers 400 and returns undefined on bad input. */
export async function readJsonBody(
  ctx: RequestContext,
  optional = false,
): Promise<{ value: unknown } | undefined> {
  const body = await readBody(ctx.req, ctx.config.txnMaxReqLen);
  if (!body.ok) {
    if (body.tooLarge) sendText(ctx, 413, `Request body too large (${body.size} bytes)`);
    return undefined;
  }
  if (body.body.length === 0) {
    if (optional) return { value: undefined };
    sendText(ctx, 400, 'Request decode failed: EOF');
    return undefined;
  }
  try {
    return { value: JSON.parse(body.body.toString('utf8')) as unknown };
  } catch (err) {
    sendText(ctx, 400, `Request decode failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** nodeMetaFilter parses repeated `?node-meta=key:value` parameters. */
export function nodeMetaFilter(ctx: RequestContext): NodeMetaFilter {
  return (ctx.query.get('node-meta') ?? []).map((pair) => {
    const colon = pair.indexOf(':');
    return colon < 0
      ? ([pair, ''] as const)
      : ([pair.slice(0, colon), pair.slice(colon + 1)] as const);
  });
}

/**
 * catalogRead runs a catalog read as a Consul blocking query: re-run after each change in scope
 * until the index passes the client's or the wait runs out. Undefined when the client went away.
 */
export async function catalogRead<T>(
  ctx: RequestContext,
  options: ReadOptions,
  wait: (signal: AbortSignal) => Promise<void>,
  read: () => Indexed<T>,
): Promise<Indexed<T> | undefined> {
  let result = read();
  if (options.minIndex === 0 || result.index > options.minIndex) return result;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      if (controller.signal.aborted) return;
      timedOut = true;
      controller.abort();
    },
    queryTimeoutMs(ctx, options.waitMs),
  );
  const unpark = ctx.park(controller);
  try {
    for (;;) {
      await wait(controller.signal);
      result = read();
      if (result.index > options.minIndex) return result;
    }
  } catch (err) {
    if (!isConfdError(err, ErrorCode.ABORTED)) throw err;
    return timedOut ? read() : undefined;
  } finally {
    clearTimeout(timer);
    unpark();
  }
}

/** serveRead parses read options, runs a blocking catalog read in scope and answers JSON. */
export async function serveRead<T>(
  ctx: RequestContext,
  sd: ServiceDiscovery,
  scope: CatalogScope,
  read: () => Indexed<T>,
  render: (value: T) => unknown,
): Promise<void> {
  const options = parseReadOptions(ctx);
  if (!options) return;
  const result = await catalogRead(
    ctx,
    options,
    (signal) => sd.catalog.waitForCatalog(scope, signal),
    read,
  );
  if (!result) return;
  sendJson(ctx, render(result.value), { index: result.index, consistency: options.consistency });
}

const prefix = '/v1/catalog/';

/** handleCatalog serves /v1/catalog/* except datacenters; false for paths it does not know. */
export function handleCatalog(ctx: RequestContext, sd: ServiceDiscovery): RouteResult {
  if (!ctx.path.startsWith(prefix)) return false;
  const rest = ctx.path.slice(prefix.length);
  const state = () => sd.catalog.catalogState();
  const meta = () => nodeMetaFilter(ctx);
  switch (rest) {
    case 'register':
      return methodAllowed(ctx, ['PUT']) ? register(ctx, sd) : undefined;
    case 'deregister':
      return methodAllowed(ctx, ['PUT']) ? deregister(ctx, sd) : undefined;
    case 'nodes':
      if (!methodAllowed(ctx, ['GET'])) return;
      return serveRead(
        ctx,
        sd,
        { kind: 'catalog-table', table: 'nodes' },
        () => state().nodes(meta()),
        (v) => v.map(nodeJson),
      );
    case 'services':
      if (!methodAllowed(ctx, ['GET'])) return;
      return serveRead(
        ctx,
        sd,
        { kind: 'catalog-table', table: 'services' },
        () => state().services(meta()),
        (v) => v,
      );
    default:
  }
  const slash = rest.indexOf('/');
  if (slash < 0) return false;
  const op = rest.slice(0, slash);
  const arg = rest.slice(slash + 1);
  if (op === 'service') {
    if (!methodAllowed(ctx, ['GET'])) return;
    if (arg === '') return sendText(ctx, 400, 'Missing service name');
    const tags = ctx.query.get('tag') ?? [];
    return serveRead(
      ctx,
      sd,
      { kind: 'service', name: arg },
      () => state().serviceNodes(arg, { tags, nodeMeta: meta() }),
      (v) => v.map(serviceNodeJson),
    );
  }
  if (op === 'node' || op === 'node-services') {
    if (!methodAllowed(ctx, ['GET'])) return;
    if (arg === '') return sendText(ctx, 400, 'Missing node name');
    // Consul's index for this read is max(nodes, services): wake on either table.
    return serveRead(
      ctx,
      sd,
      { kind: 'catalog-tables', tables: ['nodes', 'services'] },
      () => state().nodeServices(arg),
      (v) => {
        if (op === 'node') return nodeServicesJson(v);
        // Unknown node: 200 `null` for both forms.
        if (!v) return null;
        return {
          Node: nodeJson(v.node),
          Services: Object.values(nodeServicesJson(v)?.Services ?? {}),
        };
      },
    );
  }
  return false;
}

async function register(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  if (!checkDatacenter(ctx)) return;
  const body = await readJsonBody(ctx);
  if (!body) return;
  const parsed = parseCatalogRegister(body.value, param(ctx, 'dc') || ctx.config.datacenter);
  if (!parsed.ok) return sendText(ctx, 400, parsed.message);
  try {
    await sd.catalog.catalogApply(parsed.value);
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  sendJson(ctx, true);
}

async function deregister(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  if (!checkDatacenter(ctx)) return;
  const body = await readJsonBody(ctx);
  if (!body) return;
  const parsed = parseCatalogDeregister(body.value);
  if (!parsed.ok) return sendText(ctx, 400, parsed.message);
  try {
    await sd.catalog.catalogApply(parsed.value);
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  sendJson(ctx, true);
}
