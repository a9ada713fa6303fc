/**
 * The per-request context of the HTTP API and the response writers every route uses: JSON with
 * Consul's query-meta headers, plain-text errors, and the resolved API configuration.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import type { Store } from '../types.js';
import type { ServiceDiscovery } from './catalog-routes.js';
import { goJson } from '../../go/json.js';
import type { QueryParams } from './query.js';
import type { ParkedQueries } from './parked-queries.js';

/** Consistency is the read mode a client asked for (X-Consul-Effective-Consistency). */
export type Consistency = 'leader' | 'stale' | 'consistent';

/**
 * ClusterPort is what the HTTP API needs of the agent's cluster membership (src/membership
 * implements it): the members as Serf reports them, and joining and leaving. Without one the API
 * describes a lone bootstrapped server.
 */
export interface ClusterPort {
  /** This agent is a server. */
  readonly server: boolean;
  /** `GET /v1/agent/members`: Serf's member JSON, sorted by name; `wan` asks the WAN pool. */
  members(wan: boolean): readonly unknown[];
  /** This agent's own member JSON (`/v1/agent/self`'s `Member`). */
  self(): unknown;
  /** The number of servers this agent can reach (`/v1/agent/self` Stats, clients). */
  knownServers(): number;
  /** `PUT /v1/agent/join/<addr>`; rejects with the text answered as a 500. */
  join(address: string, wan: boolean): Promise<void>;
  /** `PUT /v1/agent/force-leave/<node>`; rejects with the text answered as a 500. */
  forceLeave(node: string, options: { prune: boolean; wan: boolean }): Promise<void>;
  /** `PUT /v1/agent/leave`: resolves once the agent has left (it shuts down afterwards). */
  leave(): Promise<void>;
}

/**
 * ConsensusPort is what the HTTP API needs of a replicated server's log (src/replication): who
 * leads, which servers there are, and when a read of a consistency mode may be served. Without
 * one the API describes a lone server that always leads.
 */
export interface ConsensusPort {
  /** `/v1/status/leader`: the leader's server address, `""` while there is none. */
  leader(): string;
  /** `/v1/status/peers`: every server's address. */
  peers(): string[];
  /** The servers of `/v1/operator/raft/configuration`, in a stable order. */
  servers(): RaftServer[];
  /** The log position reported as the configuration's `Index`. */
  index(): number;
  /** `DELETE /v1/operator/raft/peer`: forgets a server; false when none matches. */
  removePeer(match: { id?: string; address?: string }): Promise<boolean>;
  /**
   * readable says whether a read of this mode may be served now (undefined: `stale` always, the
   * default while in contact with etcd and a leader) or returns the wait for it (`consistent`: a
   * linearizable barrier), which rejects STORE_NO_LEADER (`No cluster leader`) after the hold.
   */
  readable(consistency: Consistency): ((signal: AbortSignal) => Promise<void>) | undefined;
}

/** RaftServer is one server as `/v1/operator/raft/configuration` lists it. */
export interface RaftServer {
  readonly id: string;
  readonly node: string;
  readonly address: string;
  readonly leader: boolean;
  /** The log position this server has applied (as it last reported it). */
  readonly lastIndex: number;
}

/** ApiConfig is the resolved, frozen configuration shared by every route. */
export interface ApiConfig {
  readonly store: Store;
  readonly logger: Logger;
  readonly datacenter: string;
  readonly nodeName: string;
  readonly nodeId: string;
  /** Pretty JSON on every response (consul agent -dev). */
  readonly pretty: boolean;
  readonly kvMaxValueSize: number;
  readonly txnMaxReqLen: number;
  readonly txnMaxOps: number;
  readonly disableKvKeyValidation: boolean;
  readonly defaultQueryTimeMs: number;
  readonly maxQueryTimeMs: number;
  /** Random in [0, 1): blocking-query jitter. */
  readonly random: () => number;
  /** The server RPC address answered by /v1/status/leader, e.g. `127.0.0.1:8300`. */
  readonly serverAddr: string;
  /** The HTTP client address and port, filled in once listening. */
  readonly clientAddr: { address: string; port: number };
  readonly version: string;
  readonly revision: string;
  readonly bootstrap: boolean;
  readonly dev: boolean;
  /** Extra DebugConfig entries of /v1/agent/self (data dir, ...). */
  readonly debugConfig: Readonly<Record<string, unknown>>;
  /** Called by `PUT /v1/agent/leave` after answering; absent = the endpoint is 404. */
  readonly onLeave: (() => void) | undefined;
  /** Catalog, health, agent-service and event routes; absent = those paths are 404. */
  readonly services: ServiceDiscovery | undefined;
  /** A replicated server's log; absent = a lone server. */
  readonly consensus: ConsensusPort | undefined;
  /** The agent's cluster membership; absent = a lone bootstrapped server. */
  readonly cluster: ClusterPort | undefined;
  /**
   * A client agent's forwarding: every request outside `/v1/agent/` is handed to it (it sends
   * the request to a server and relays the answer); absent = this API answers everything.
   */
  readonly forward: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/** RequestContext is one request being served. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The percent-decoded path, e.g. `/v1/kv/foo/bar`. */
  readonly path: string;
  readonly query: QueryParams;
  readonly pretty: boolean;
  readonly config: ApiConfig;
  /**
   * Registers a parked (blocking) request: `controller` is aborted when the client goes away or
   * the server closes. Returns the function that unregisters it.
   */
  readonly park: (controller: AbortController) => () => void;
  /** The parked blocking KV and session reads of this API. */
  readonly parked: ParkedQueries;
}

/** QueryMeta is what Consul's `setMeta` puts on every read response. */
export interface QueryMeta {
  readonly index: number;
  readonly consistency: Consistency;
}

function metaHeaders(headers: string[], meta: QueryMeta): void {
  // Consul's setIndex coerces 0 to 1: a 0 index makes clients busy-loop (hashicorp/consul#4437).
  headers.push(
    'X-Consul-Effective-Consistency',
    meta.consistency,
    'X-Consul-Index',
    String(meta.index > 0 ? meta.index : 1),
    'X-Consul-Knownleader',
    'true',
    'X-Consul-Lastcontact',
    '0',
  );
}

/**
 * PreparedResponse is a complete answer: status, a flat `name, value, ...` header list (with
 * Content-Length) and the body. Built once, it can be written to any number of clients.
 */
export interface PreparedResponse {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: string | Uint8Array | undefined;
}

/** writePrepared writes a prepared answer (the header list is not modified by node:http). */
export function writePrepared(res: ServerResponse, prepared: PreparedResponse): void {
  res.writeHead(prepared.status, prepared.headers as string[]);
  res.end(prepared.body);
}

/** prepareJson renders a JSON answer, with query-meta headers when `meta` is given. */
export function prepareJson(
  value: unknown,
  pretty: boolean,
  meta?: QueryMeta,
  status = 200,
): PreparedResponse {
  return prepareJsonText(goJson(value, pretty), meta, status);
}

/** prepareJsonText renders an already-encoded JSON body, with query-meta headers when given. */
export function prepareJsonText(body: string, meta?: QueryMeta, status = 200): PreparedResponse {
  const headers = ['Content-Type', 'application/json'];
  if (meta) metaHeaders(headers, meta);
  headers.push('Content-Length', String(Buffer.byteLength(body)));
  return { status, headers, body };
}

/** prepareEmpty renders a body-less answer (404 of a missing key), with meta headers when given. */
export function prepareEmpty(status: number, meta?: QueryMeta): PreparedResponse {
  const headers: string[] = [];
  if (meta) metaHeaders(headers, meta);
  headers.push('Content-Length', '0');
  return { status, headers, body: undefined };
}

/** prepareRaw renders raw value bytes for `?raw` (Consul's CVE-2020-25864 hardening headers). */
export function prepareRaw(value: Uint8Array | null, meta: QueryMeta): PreparedResponse {
  const headers = [
    'Content-Security-Policy',
    'sandbox',
    'Content-Type',
    'text/plain',
    'X-Content-Type-Options',
    'nosniff',
  ];
  metaHeaders(headers, meta);
  headers.push('Content-Length', String(value?.byteLength ?? 0));
  return { status: 200, headers, body: value ?? undefined };
}

/** sendJson writes a 200 (or `status`) JSON body, with query-meta headers when `meta` is given. */
export function sendJson(
  ctx: RequestContext,
  value: unknown,
  meta?: QueryMeta,
  status = 200,
): void {
  writePrepared(ctx.res, prepareJson(value, ctx.pretty, meta, status));
}

/** sendJsonText writes an already-encoded JSON body with query-meta headers (hot path). */
export function sendJsonText(ctx: RequestContext, body: string, meta: QueryMeta): void {
  writePrepared(ctx.res, prepareJsonText(body, meta));
}

/** sendEmpty writes a body-less response (404 of a missing key), with meta headers when given. */
export function sendEmpty(ctx: RequestContext, status: number, meta?: QueryMeta): void {
  writePrepared(ctx.res, prepareEmpty(status, meta));
}

/** sendRaw writes raw value bytes for `?raw` (Consul's CVE-2020-25864 hardening headers). */
export function sendRaw(ctx: RequestContext, value: Uint8Array | null, meta: QueryMeta): void {
  writePrepared(ctx.res, prepareRaw(value, meta));
}

/** sendText writes a plain-text body (Consul's error responses are never JSON). */
export function sendText(
  ctx: RequestContext,
  status: number,
  text: string,
  extraHeaders: string[] = [],
): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  const headers = [
    ...extraHeaders,
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ];
  ctx.res.writeHead(status, headers);
  ctx.res.end(text);
}

/** has tells whether a query parameter is present, with or without a value (Go's `params[k]`). */
export function has(ctx: RequestContext, name: string): boolean {
  return ctx.query.has(name);
}

/** param is the first value of a query parameter (Go's `params.Get`), '' when absent. */
export function param(ctx: RequestContext, name: string): string {
  return ctx.query.get(name)?.[0] ?? '';
}

/** methodAllowed answers OPTIONS and wrong methods as Consul does; true when the route should run. */
export function methodAllowed(ctx: RequestContext, methods: readonly string[]): boolean {
  const method = ctx.req.method ?? '';
  if (methods.includes(method)) return true;
  const allow = ['Allow', ['OPTIONS', ...methods].join(',')];
  if (method === 'OPTIONS') {
    ctx.res.writeHead(200, [...allow, 'Content-Length', '0']);
    ctx.res.end();
  } else {
    sendText(ctx, 405, `method ${method} not allowed`, allow);
  }
  return false;
}
