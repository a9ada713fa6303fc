/**
 * The {@link DnsCatalogView} of an agent that holds no catalog (a Consul client agent): every
 * lookup reads the server's catalog through its Consul HTTP API, with stale consistency as
 * Consul's DNS does by default (`dns_config.allow_stale` true). It answers exactly what
 * {@link catalogDnsView} answers over the same catalog:
 *
 * - instances: `GET /v1/health/service/<name>?stale`, without those with a critical check (on the
 *   instance or its node) and, with `onlyPassing`, without those with a warning; tags match
 *   case-insensitively; the SRV weight is `Weights.Warning` for an instance with a warning check,
 *   else `Weights.Passing`. A name with no instance is looked up case-insensitively in
 *   `GET /v1/catalog/services?stale` (first match in name order), as the in-process view does.
 * - nodes: `GET /v1/catalog/node/<name>?stale`, else the first case-insensitive match in
 *   `GET /v1/catalog/nodes?stale`; `Meta` feeds TXT answers.
 *
 * Any failure (transport error, non-200 status, unexpected JSON, timeout) rejects the lookup; the
 * DNS server answers it SERVFAIL.
 */
import type { AsyncDnsCatalogView, DnsInstance, DnsNode } from './types.js';

/** HttpViewResponse is the answer to one GET. */
export interface HttpViewResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * HttpViewRequest performs a GET of a Consul HTTP API path with its query string (e.g.
 * `/v1/health/service/web?stale`) on the server, and stops when `signal` aborts.
 */
export type HttpViewRequest = (path: string, signal?: AbortSignal) => Promise<HttpViewResponse>;

/** HttpViewOptions configure {@link httpDnsView}. */
export interface HttpViewOptions {
  /** This agent's datacenter, e.g. `dc1`. */
  readonly datacenter: string;
  readonly request: HttpViewRequest;
  /** Serve only instances whose every check passes (dns_config.only_passing). Default false. */
  readonly onlyPassing?: boolean;
  /**
   * The requests of one lookup are aborted after this many ms. Default 2000 (the DNS server's
   * default lookup timeout).
   */
  readonly timeoutMs?: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(path: string, what: string): Error {
  return new Error(`GET ${path}: unexpected answer: ${what}`);
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(path, `${key} is not a string`);
  return v;
}

function meta(o: Json, path: string): Readonly<Record<string, string>> {
  const v = o.Meta;
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw bad(path, 'Meta is not an object');
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') throw bad(path, `Meta.${k} is not a string`);
    out[k] = value;
  }
  return out;
}

function weight(w: unknown, key: 'Passing' | 'Warning'): number {
  // Consul's DNS uses 1 for both when an instance has no Weights.
  if (!isObject(w)) return 1;
  const v = w[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 1;
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasTag(tags: unknown, tag: string): boolean {
  if (!Array.isArray(tags)) return false;
  const wanted = tag.toLowerCase();
  return tags.some((t) => typeof t === 'string' && t.toLowerCase() === wanted);
}

/** httpDnsView builds the DNS view of a server's catalog, read over its HTTP API. */
export function httpDnsView(options: HttpViewOptions): AsyncDnsCatalogView {
  const timeoutMs = options.timeoutMs ?? 2000;

  /** get performs one GET and decodes its JSON body. */
  const get = async (path: string, signal: AbortSignal): Promise<unknown> => {
    signal.throwIfAborted();
    const res = await options.request(path, signal);
    if (res.status !== 200) {
      const text = res.body.trim().slice(0, 200);
      throw new Error(`GET ${path}: HTTP ${res.status}${text ? `: ${text}` : ''}`);
    }
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw bad(path, 'invalid JSON');
    }
  };

  const healthService = async (name: string, signal: AbortSignal): Promise<Json[]> => {
    const path = `/v1/health/service/${encodeURIComponent(name)}?stale`;
    const body = await get(path, signal);
    if (!Array.isArray(body) || !body.every(isObject)) throw bad(path, 'not a list of entries');
    return body;
  };

  /** instance turns one health entry into a DNS instance; undefined when it is filtered out. */
  const instance = (
    entry: Json,
    tag: string | undefined,
    path: string,
  ): DnsInstance | undefined => {
    const { Node: node, Service: service, Checks: checks } = entry;
    if (!isObject(node) || !isObject(service)) throw bad(path, 'entry without Node or Service');
    if (tag !== undefined && !hasTag(service.Tags, tag)) return undefined;
    if (!Array.isArray(checks)) throw bad(path, 'Checks is not a list');
    const statuses = checks.map((c) => (isObject(c) ? c.Status : undefined));
    if (statuses.includes('critical')) return undefined;
    const warning = statuses.includes('warning');
    if (warning && options.onlyPassing) return undefined;
    const port = service.Port;
    if (typeof port !== 'number') throw bad(path, 'Service.Port is not a number');
    return {
      node: str(node, 'Node', path),
      nodeAddress: str(node, 'Address', path),
      serviceAddress: typeof service.Address === 'string' ? service.Address : '',
      port,
      weight: weight(service.Weights, warning ? 'Warning' : 'Passing'),
    };
  };

  return {
    datacenter: options.datacenter,
    async serviceInstances(
      service: string,
      tag: string | undefined,
    ): Promise<DnsInstance[] | undefined> {
      const signal = AbortSignal.timeout(timeoutMs);
      let name = service;
      let entries = await healthService(name, signal);
      if (entries.length === 0) {
        // No instance under this exact name: resolve it case-insensitively, as catalogDnsView.
        const path = '/v1/catalog/services?stale';
        const services = await get(path, signal);
        if (!isObject(services)) throw bad(path, 'not an object');
        const lower = service.toLowerCase();
        const found = Object.keys(services)
          .sort(byString)
          .find((n) => n.toLowerCase() === lower);
        if (found === undefined) return undefined;
        name = found;
        entries = await healthService(name, signal);
      }
      const path = `/v1/health/service/${encodeURIComponent(name)}?stale`;
      const out: DnsInstance[] = [];
      for (const entry of entries) {
        const inst = instance(entry, tag, path);
        if (inst) out.push(inst);
      }
      return out;
    },
    async node(name: string): Promise<DnsNode | undefined> {
      const signal = AbortSignal.timeout(timeoutMs);
      let path = `/v1/catalog/node/${encodeURIComponent(name)}?stale`;
      const exact = await get(path, signal);
      let node: Json | undefined;
      if (exact !== null) {
        if (!isObject(exact) || !isObject(exact.Node)) throw bad(path, 'no Node');
        node = exact.Node;
      } else {
        // Unknown under this exact name (200 null): match case-insensitively, as catalogDnsView.
        path = '/v1/catalog/nodes?stale';
        const nodes = await get(path, signal);
        if (!Array.isArray(nodes) || !nodes.every(isObject)) throw bad(path, 'not a list of nodes');
        const lower = name.toLowerCase();
        node = nodes.find((n) => typeof n.Node === 'string' && n.Node.toLowerCase() === lower);
      }
      if (!node) return undefined;
      return {
        node: str(node, 'Node', path),
        address: str(node, 'Address', path),
        meta: meta(node, path),
      };
    },
  };
}
