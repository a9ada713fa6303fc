/**
 * The catalog template functions (`service`, `services`, `nodes`), as consul-template names them.
 * Like the DNS functions they never do I/O: they read `RenderContext.lookups` by request id and,
 * on a miss, record a {@link ServiceLookupRequest} the daemon resolves through its backend.
 */
import { TemplateArgumentError } from './argument-error.js';
import { asString, checkArity } from './go-args.js';
import type { RenderContext, ServiceLookupRequest } from './types.js';
import { lookupResult, type LookupRecorder, type TemplateFunctions } from './values.js';

/**
 * parseServiceQuery reads consul-template's query syntax: `[tag.]name[|any|passing]`. The
 * default (no suffix) keeps only instances whose every check passes.
 */
export function parseServiceQuery(query: string): ServiceLookupRequest {
  let rest = query.trim();
  let passing = true;
  const bar = rest.indexOf('|');
  if (bar >= 0) {
    const filter = rest.slice(bar + 1).trim();
    rest = rest.slice(0, bar);
    if (filter === 'any') passing = false;
    else if (filter !== 'passing' && filter !== '') {
      throw new TemplateArgumentError(
        `service: unsupported health filter "${filter}" in "${query}"`,
      );
    }
  }
  // consul-template quirk: the tag comes before the first dot (`rails.web`).
  const dot = rest.indexOf('.');
  const tag = dot >= 0 ? rest.slice(0, dot) : '';
  const name = dot >= 0 ? rest.slice(dot + 1) : rest;
  if (name === '') throw new TemplateArgumentError(`service: missing service name in "${query}"`);
  return { kind: 'service', name, tag, passing };
}

/** createServiceFunctions is the catalog function group, reading the context's resolved cache. */
export function createServiceFunctions(
  context: RenderContext,
  recorder: LookupRecorder,
): TemplateFunctions {
  const fetch = (request: ServiceLookupRequest): unknown[] =>
    lookupResult(context.lookups, recorder, request);
  return {
    service: (...args) => {
      checkArity('service', args, 1);
      return fetch(parseServiceQuery(asString(args[0])));
    },
    services: (...args) => {
      checkArity('services', args, 0);
      return fetch({ kind: 'services' });
    },
    nodes: (...args) => {
      checkArity('nodes', args, 0);
      return fetch({ kind: 'nodes' });
    },
  };
}
