/**
 * `PUT /v1/event/fire/:name` (`node`, `service`, `tag` filters; body = payload) and
 * `GET /v1/event/list` (`name`, blocking on the newest event), as consul `agent/event_endpoint.go`.
 */
import { isConfdError, ErrorCode } from '../../errors.js';
import { parseReadOptions, queryTimeoutMs } from './blocking.js';
import { readBody } from './body.js';
import type { RequestContext } from './context.js';
import { param, sendJson, sendText } from './context.js';
import { type RouteResult, type ServiceDiscovery } from './catalog-routes.js';
import { methodAllowed } from './context.js';

const firePrefix = '/v1/event/fire/';

/** handleEvent serves /v1/event/*; false for paths it does not know. */
export function handleEvent(ctx: RequestContext, sd: ServiceDiscovery): RouteResult {
  if (ctx.path === '/v1/event/list') {
    return methodAllowed(ctx, ['GET']) ? list(ctx, sd) : undefined;
  }
  if (ctx.path.startsWith(firePrefix)) {
    return methodAllowed(ctx, ['PUT']) ? fire(ctx, sd) : undefined;
  }
  return false;
}

async function fire(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  const name = ctx.path.slice(firePrefix.length);
  if (name === '') return sendText(ctx, 400, 'Missing name');
  const body = await readBody(ctx.req, 100 * 1024);
  if (!body.ok) {
    if (body.tooLarge) sendText(ctx, 413, 'Payload too large');
    return;
  }
  const event = sd.events.fire(name, body.body, {
    node: param(ctx, 'node'),
    service: param(ctx, 'service'),
    tag: param(ctx, 'tag'),
  });
  sendJson(ctx, event);
}

async function list(ctx: RequestContext, sd: ServiceDiscovery): Promise<void> {
  const options = parseReadOptions(ctx);
  if (!options) return;
  const name = param(ctx, 'name');
  let result = sd.events.list(name);
  if (options.minIndex !== 0 && result.index === options.minIndex) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), queryTimeoutMs(ctx, options.waitMs));
    const unpark = ctx.park(controller);
    try {
      // The index is a hash of the newest event ID: wait until it differs.
      while (result.index === options.minIndex) {
        await sd.events.wait(controller.signal);
        result = sd.events.list(name);
      }
    } catch (err) {
      if (!isConfdError(err, ErrorCode.ABORTED)) throw err;
      if (ctx.res.destroyed) return;
      result = sd.events.list(name);
    } finally {
      clearTimeout(timer);
      unpark();
    }
  }
  sendJson(ctx, result.value, { index: result.index, consistency: options.consistency });
}
