/**
 * The router of the HTTP API: splits and decodes the URL, answers OPTIONS, wrong methods (405 with
 * `Allow`) and unknown paths (Go's `404 page not found`), and hands the request to its route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiConfig, ConsensusPort, RequestContext } from './context.js';
import { methodAllowed, sendText } from './context.js';
import { errorMessage } from '../../errors.js';
import {
  agentPaths,
  forceLeavePrefix,
  handleAgent,
  handleForceLeave,
  handleJoin,
  handleLeave,
  joinPrefix,
} from './agent-routes.js';
import { handleKv, kvMethods } from './kv-routes.js';
import { parseQuery } from './query.js';
import { handleSession, sessionRoutes } from './session-routes.js';
import { handleTxn } from './txn-route.js';
import { handleOperator, operatorRoutes } from './operator-routes.js';
import { routeServiceDiscovery } from './service-routes.js';

const getOnly = ['GET'] as const;
const putOnly = ['PUT'] as const;

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, ['Location', location, 'Content-Length', '0']);
  res.end();
}

/** routeRequest serves one request; returns a promise when the route is asynchronous. */
export function routeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  config: ApiConfig,
  park: RequestContext['park'],
  parked: RequestContext['parked'],
): Promise<void> | void {
  let url = req.url ?? '/';
  // An absolute-form target (`GET http://host/v1/...`, as proxies send) is served by its path.
  if (!url.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
    if (m) url = url.slice(m[0].length) || '/';
  }
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  let path = rawPath;
  if (rawPath.includes('%')) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return plain(res, 400, `invalid URL escape in path ${JSON.stringify(rawPath)}`);
    }
  }
  // Go's ServeMux cleans `//` out of paths with a 301 (hashicorp/consul#3476).
  if (path.includes('//')) {
    const clean = encodeURI(path.replace(/\/{2,}/g, '/')).replace(/[?#]/g, encodeURIComponent);
    return redirect(res, clean + (q < 0 ? '' : `?${rawQuery}`));
  }
  // A client agent answers only its own /v1/agent/ endpoints; a server answers the rest.
  if (config.forward && !path.startsWith('/v1/agent/')) return config.forward(req, res);
  const query = parseQuery(rawQuery);
  if (!query) return plain(res, 400, `invalid query string ${JSON.stringify(rawQuery)}`);
  const pretty = config.pretty || query.has('pretty');
  const ctx: RequestContext = { req, res, path, query, pretty, config, park, parked };
  const waiting = config.consensus && readGate(ctx, config.consensus);
  if (waiting) {
    return waiting.then(
      () => dispatch(ctx, rawQuery, q >= 0),
      (err: unknown) => sendText(ctx, 500, errorMessage(err)),
    );
  }
  return dispatch(ctx, rawQuery, q >= 0);
}

/**
 * readGate holds a read of the replicated state until its consistency mode may be served (see
 * {@link ConsensusPort.readable}); undefined = serve it now. Writes need no gate: the log refuses
 * them itself when etcd is away.
 */
function readGate(ctx: RequestContext, consensus: ConsensusPort): Promise<void> | undefined {
  const { req, path, query } = ctx;
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  if (path.startsWith('/v1/agent/') || path.startsWith('/v1/status/')) return undefined;
  const consistency = query.has('stale')
    ? 'stale'
    : query.has('consistent')
      ? 'consistent'
      : 'leader';
  const wait = consensus.readable(consistency);
  if (wait === undefined) return undefined;
  const controller = new AbortController();
  const unpark = ctx.park(controller);
  return wait(controller.signal).finally(unpark);
}

/** dispatch hands a request to its route (`hasQuery`: the URL had a `?`). */
function dispatch(ctx: RequestContext, rawQuery: string, hasQuery: boolean): Promise<void> | void {
  const { res, path, config } = ctx;

  if (path.startsWith('/v1/kv/')) {
    return methodAllowed(ctx, kvMethods) ? handleKv(ctx) : undefined;
  }
  if (path === '/v1/kv') return redirect(res, `/v1/kv/${hasQuery ? `?${rawQuery}` : ''}`);
  if (path === '/v1/txn') return methodAllowed(ctx, putOnly) ? handleTxn(ctx) : undefined;
  if (path.startsWith('/v1/session/')) {
    const rest = path.slice('/v1/session/'.length);
    const slash = rest.indexOf('/');
    const op = slash < 0 ? rest : rest.slice(0, slash);
    const route = Object.hasOwn(sessionRoutes, op) ? sessionRoutes[op] : undefined;
    // Go's mux: `create`/`list` match exactly, the others only with their trailing slash.
    const hasArg = slash >= 0;
    if (route && hasArg === route.arg) {
      const arg = hasArg ? rest.slice(slash + 1) : '';
      return methodAllowed(ctx, [route.method]) ? handleSession(ctx, op, arg) : undefined;
    }
  }
  if (agentPaths.has(path)) return methodAllowed(ctx, getOnly) ? handleAgent(ctx) : undefined;
  const operatorMethod = Object.hasOwn(operatorRoutes, path) ? operatorRoutes[path] : undefined;
  if (operatorMethod !== undefined) {
    return methodAllowed(ctx, [operatorMethod]) ? handleOperator(ctx) : undefined;
  }
  if (path === '/v1/agent/leave' && (config.onLeave || config.cluster)) {
    return methodAllowed(ctx, putOnly) ? handleLeave(ctx) : undefined;
  }
  if (config.cluster && path.startsWith(joinPrefix) && path.length > joinPrefix.length) {
    return methodAllowed(ctx, putOnly) ? handleJoin(ctx) : undefined;
  }
  if (
    config.cluster &&
    path.startsWith(forceLeavePrefix) &&
    path.length > forceLeavePrefix.length
  ) {
    return methodAllowed(ctx, putOnly) ? handleForceLeave(ctx) : undefined;
  }
  if (config.services) {
    const served = routeServiceDiscovery(ctx, config.services);
    if (served !== false) return served;
  }
  return plain(res, 404, '404 page not found\n');
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, [
    'Content-Type',
    'text/plain; charset=utf-8',
    'X-Content-Type-Options',
    'nosniff',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  res.end(text);
}
