/**
 * Catalog lookups for the consul backend: the request path of each `service`, `services` and
 * `nodes` template lookup and the mapping of Consul's answer to the shapes the embedded backend
 * returns (so templates render the same against either backend).
 */
import { ConfdError, ErrorCode } from '../errors.js';
import type { ServiceInstance, ServiceLookupRequest } from '../template/types.js';
import { sortInstances } from './service-lookups.js';

/**
 * servicesPath returns the Consul endpoint and query of a lookup: `service` is
 * `/v1/health/service/<name>` (with `passing` unless `|any`, `tag=` when given), `services` is
 * `/v1/catalog/services`, `nodes` is `/v1/catalog/nodes`.
 */
export function servicesPath(request: ServiceLookupRequest): { path: string; query: string[] } {
  if (request.kind === 'services') return { path: '/v1/catalog/services', query: [] };
  if (request.kind === 'nodes') return { path: '/v1/catalog/nodes', query: [] };
  const query: string[] = [];
  if (request.passing) query.push('passing');
  if (request.tag !== '') query.push(`tag=${encodeURIComponent(request.tag)}`);
  return { path: `/v1/health/service/${encodeURIComponent(request.name)}`, query };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function invalid(what: string, expected: string): ConfdError {
  return new ConfdError(ErrorCode.BACKEND_RESPONSE, `unexpected answer from ${what}: ${expected}`);
}

/** mapServicesAnswer converts a parsed Consul answer to the lookup's result list. */
export function mapServicesAnswer(request: ServiceLookupRequest, parsed: unknown): unknown[] {
  const { path } = servicesPath(request);
  if (request.kind === 'services') {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalid(path, 'not a JSON object');
    }
    const all = parsed as Record<string, unknown>;
    return Object.keys(all)
      .sort()
      .map((name) => ({ Name: name, Tags: strings(all[name]) }));
  }
  if (!Array.isArray(parsed)) throw invalid(path, 'not a JSON array');
  if (request.kind === 'nodes') {
    return parsed.map((item) => {
      const n = obj(item);
      return { Node: str(n.Node), Address: str(n.Address) };
    });
  }
  const list: ServiceInstance[] = parsed.map((item) => {
    const entry = obj(item);
    const node = obj(entry.Node);
    const service = obj(entry.Service);
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(service.Meta))) meta[k] = str(v);
    return {
      Node: str(node.Node),
      Address: str(service.Address) !== '' ? str(service.Address) : str(node.Address),
      ID: str(service.ID),
      Name: str(service.Service),
      Port: typeof service.Port === 'number' ? service.Port : 0,
      Tags: strings(service.Tags),
      Meta: meta,
    };
  });
  return sortInstances(list);
}
