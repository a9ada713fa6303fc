/**
 * The consul backend: confd's Consul store client over Consul's HTTP KV API with undici.
 *
 * - getValues: `GET /v1/kv/<key without leading />?recurse=` per distinct prefix; 404 = no keys,
 *   other non-200 answers give `Unexpected response code: <code> (<body>)` as consul/api does.
 * - watchPrefix: a blocking query `GET /v1/kv/<prefix>?index=<n>&recurse=&wait=<w>` resolving to
 *   the `X-Consul-Index` of the answer (see {@link nextWaitIndex} for the index rules). Its answer
 *   holds every key under the prefix: getValues serves the prefixes it covers from that answer
 *   while it is current (see {@link WatchedAnswer}) instead of asking the agent again, as
 *   consul-template renders from its blocking queries' data (confd always re-reads).
 * - getServices / watchServices: the `service`, `services` and `nodes` template lookups over
 *   `/v1/health/service/<name>` and `/v1/catalog/{services,nodes}` (see consul-services.ts).
 * - Only the first `-node` is used, as in confd.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { abortError, ConfdError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServiceLookupRequest } from '../template/types.js';
import { throwIfAborted } from './abort.js';
import { confdKeyOf, consulKeyOf, coveringPrefixes, nextWaitIndex } from './consul-keys.js';
import { mapServicesAnswer, servicesPath } from './consul-services.js';
import { unreachableError } from './http-error.js';
import { loadTlsFiles } from './tls-files.js';
import type { TlsFiles } from './tls-files.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** ConsulBackendOptions configures {@link createConsulBackend}. */
export interface ConsulBackendOptions extends TlsFiles {
  /**
   * The node: `host:port`, a URL `http(s)://host:port` whose scheme wins over {@link scheme}, or
   * `unix:///path/to/socket`.
   */
  node: string;
  /** `http` (default) or `https`: confd's -scheme is the consul client scheme. */
  scheme?: string | undefined;
  /** ACL token sent as `X-Consul-Token`. */
  token?: string | undefined;
  /** HTTP basic auth. */
  basicAuth?: { username: string; password: string } | undefined;
  /** The blocking-query `wait`, in ms. Default 5 minutes (Consul's default query time). */
  waitMs?: number | undefined;
  logger?: Logger | undefined;
  /** The name reported as {@link Backend.name}. Default `consul`. */
  name?: string | undefined;
  /** A monotonic clock in ms, for the age of watch answers. Default performance.now. */
  now?: (() => number) | undefined;
}

/** ConsulKvEntry is one element of a `GET /v1/kv/...?recurse` answer. */
interface ConsulKvEntry {
  Key: string;
  Value: string | null;
}

/** ConsulListResult is a KV list answer and its `X-Consul-Index`. */
interface ConsulListResult {
  entries: ConsulKvEntry[];
  index: number;
}

/** Answer is one raw HTTP answer and its `X-Consul-Index`. */
interface Answer {
  status: number;
  text: string;
  index: number;
  url: URL;
}

/**
 * WatchedAnswer is the latest answer of a watched prefix. It is current while a blocking query
 * for its index is parked (that query returns, and replaces it, on any change under the prefix)
 * and for {@link WATCHED_FRESH_MS} after it arrived (the passes an answer triggers read it before
 * the watcher has sent the next query). A failed or aborted watch drops it. A change after the
 * answer makes that next query return at once, so a pass that read a stale answer is followed by
 * one that reads the new one.
 */
interface WatchedAnswer {
  readonly entries: readonly ConsulKvEntry[];
  /** The entries are in key order (as Consul sends them). */
  readonly sorted: boolean;
  /** The wait index the next blocking query for this prefix uses. */
  readonly index: number;
  readonly receivedAt: number;
  /** Blocking queries in flight for {@link index}. */
  parked: number;
}

/** How long a watched answer stays usable without a blocking query parked on it, in ms. */
const WATCHED_FRESH_MS = 500;

/** DefaultConsulWaitMs is the blocking-query wait we send: Consul's default query time (5 min). */
export const DefaultConsulWaitMs = 5 * 60 * 1000;

/**
 * consulOrigin turns a -node value into the origin requests go to, following consul/api's
 * `Address` handling: a `http://` or `https://` prefix sets the scheme, otherwise -scheme applies.
 */
export function consulOrigin(node: string, scheme = 'http'): URL {
  let candidate = node;
  const sep = node.indexOf('://');
  if (sep < 0) candidate = `${scheme || 'http'}://${node}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch (err) {
    throw new ConfdError(ErrorCode.CONFIG_FLAG, `invalid -node "${node}" for consul`, {
      cause: err,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfdError(
      ErrorCode.CONFIG_FLAG,
      `invalid -node "${node}" for consul: scheme must be http, https or unix`,
    );
  }
  return new URL(url.origin);
}

/** consulSocketPath returns the socket of a `unix:///path` node (consul/api's unix addresses). */
export function consulSocketPath(node: string): string | undefined {
  return node.startsWith('unix://') ? node.slice('unix://'.length) : undefined;
}

/** escapeKeyPath escapes a Consul key for the URL path as Go's url.URL does (keeps `/:@=+$,;&`). */
export function escapeKeyPath(key: string): string {
  return encodeURIComponent(key)
    .replace(/%(2F|3A|40|3D|2B|24|2C|3B|26)/gi, (m) => decodeURIComponent(m))
    .replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** formatGoDuration renders ms as a Go duration string Consul's `wait` accepts (`300s`, `500ms`). */
function formatGoDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.max(1, Math.round(ms))}ms`;
}

/**
 * entriesUnder returns the entries whose key starts with `prefix`. Consul answers in key order, so
 * they are one run found by binary search; an answer out of order is filtered instead.
 */
function entriesUnder(
  entries: readonly ConsulKvEntry[],
  prefix: string,
  sorted: boolean,
): ConsulKvEntry[] {
  if (!sorted) return entries.filter((e) => e.Key.startsWith(prefix));
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid]?.Key ?? '') < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: ConsulKvEntry[] = [];
  for (let i = lo; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined || !entry.Key.startsWith(prefix)) break;
    out.push(entry);
  }
  return out;
}

/** ConsulBackend talks to one Consul (or bundled agent) HTTP endpoint. */
class ConsulBackend implements Backend {
  readonly name: string;
  readonly #origin: URL;
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;
  readonly #waitMs: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  /** The latest answer of each watched Consul prefix. */
  readonly #watched = new Map<string, WatchedAnswer>();
  #closing: Promise<void> | undefined;

  constructor(options: ConsulBackendOptions, origin: URL, pool: Pool) {
    this.name = options.name ?? 'consul';
    this.#origin = origin;
    this.#pool = pool;
    this.#waitMs = options.waitMs ?? DefaultConsulWaitMs;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => performance.now());
    const headers: Record<string, string> = { 'user-agent': 'confd' };
    if (options.token) headers['x-consul-token'] = options.token;
    if (options.basicAuth) {
      const { username, password } = options.basicAuth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    this.#headers = headers;
  }

  async getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    throwIfAborted(signal);
    const prefixes = coveringPrefixes(keys);
    const answers = prefixes.map((prefix) => this.#watchedEntries(prefix));
    const fetch = prefixes.flatMap((_, i) => (answers[i] === undefined ? [i] : []));
    // A few requests at a time: one per distinct prefix, as confd, but never one per repeat.
    let next = 0;
    const worker = async () => {
      while (next < fetch.length) {
        const i = fetch[next++] ?? 0;
        answers[i] = (await this.#list(prefixes[i] ?? '', 'recurse=', signal)).entries;
      }
    };
    if (fetch.length > 0) {
      await Promise.all(Array.from({ length: Math.min(8, fetch.length) }, worker));
    }
    const vars = new Map<string, string>();
    for (const entries of answers) {
      for (const entry of entries ?? []) {
        const value = entry.Value === null ? '' : Buffer.from(entry.Value, 'base64').toString();
        vars.set(confdKeyOf(entry.Key), value);
      }
    }
    return vars;
  }

  async watchPrefix(prefix: string, options: WatchPrefixOptions): Promise<number> {
    const { waitIndex, signal } = options;
    throwIfAborted(signal);
    // waitIndex 0 is a plain read (confd's first call returns at once, for the initial render).
    const query =
      waitIndex > 0
        ? `index=${waitIndex}&recurse=&wait=${formatGoDuration(this.#waitMs)}`
        : 'recurse=';
    const key = consulKeyOf(prefix);
    const known = this.#watched.get(key);
    const guards = known !== undefined && waitIndex > 0 && known.index === waitIndex;
    if (guards) known.parked++;
    let answer: ConsulListResult;
    try {
      answer = await this.#list(key, query, signal, waitIndex > 0);
    } catch (err) {
      this.#watched.delete(key);
      throw err;
    } finally {
      if (guards) known.parked--;
    }
    const index = nextWaitIndex(answer.index, waitIndex);
    this.#watched.set(key, {
      entries: answer.entries,
      sorted: answer.entries.every((e, i, all) => i === 0 || (all[i - 1]?.Key ?? '') <= e.Key),
      index,
      receivedAt: this.#now(),
      parked: 0,
    });
    return index;
  }

  /**
   * #watchedEntries returns the entries under `prefix` from a current watched answer of a prefix
   * covering it (Consul's plain string prefixes), or undefined when there is none.
   */
  #watchedEntries(prefix: string): readonly ConsulKvEntry[] | undefined {
    for (const [key, answer] of this.#watched) {
      if (!prefix.startsWith(key)) continue;
      if (answer.parked === 0 && this.#now() - answer.receivedAt > WATCHED_FRESH_MS) continue;
      this.#logger?.debug(`consul: ${prefix} read from the watch answer of "${key}"`);
      return key === prefix ? answer.entries : entriesUnder(answer.entries, prefix, answer.sorted);
    }
    return undefined;
  }

  async getServices(request: ServiceLookupRequest, signal?: AbortSignal): Promise<unknown[]> {
    throwIfAborted(signal);
    const { path, query } = servicesPath(request);
    const answer = await this.#get(`${path}?${query.join('&')}`, signal, false);
    return mapServicesAnswer(request, this.#parse(answer));
  }

  async watchServices(
    request: ServiceLookupRequest,
    options: { waitIndex: number; signal: AbortSignal },
  ): Promise<number> {
    const { waitIndex, signal } = options;
    throwIfAborted(signal);
    const { path, query } = servicesPath(request);
    // waitIndex 0 is a plain read, as for watchPrefix; the same index rules apply.
    if (waitIndex > 0) query.push(`index=${waitIndex}`, `wait=${formatGoDuration(this.#waitMs)}`);
    const answer = await this.#get(`${path}?${query.join('&')}`, signal, waitIndex > 0);
    this.#parse(answer);
    return nextWaitIndex(answer.index, waitIndex);
  }

  /** #list performs one `GET /v1/kv/<prefix>?<query>` and decodes the answer. */
  async #list(
    prefix: string,
    query: string,
    signal: AbortSignal | undefined,
    blocking = false,
  ): Promise<ConsulListResult> {
    const path = `/v1/kv/${escapeKeyPath(prefix)}?${query}`;
    const answer = await this.#get(path, signal, blocking);
    const { index } = answer;
    if (answer.status === 404) return { entries: [], index };
    const parsed = this.#parse(answer);
    const url = answer.url;
    if (!Array.isArray(parsed)) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `unexpected answer from GET "${url.href}": not a JSON array`,
      );
    }
    const entries: ConsulKvEntry[] = [];
    for (const item of parsed as unknown[]) {
      const entry = item as { Key?: unknown; Value?: unknown } | null;
      if (typeof entry?.Key !== 'string') continue;
      entries.push({ Key: entry.Key, Value: typeof entry.Value === 'string' ? entry.Value : null });
    }
    this.#logger?.debug(`consul: GET ${path} -> ${entries.length} keys, index ${index}`);
    return { entries, index };
  }

  /** #get performs one GET of `path` (with query) and reads the whole answer. */
  async #get(path: string, signal: AbortSignal | undefined, blocking: boolean): Promise<Answer> {
    if (this.#closing) throw new ConfdError(ErrorCode.ABORTED, 'consul backend is closed');
    const url = new URL(path, this.#origin);
    // Consul adds up to wait/16 of jitter to a blocking query: the client timeout must exceed it.
    const timeout = blocking ? this.#waitMs + Math.ceil(this.#waitMs / 16) + 5000 : 60_000;
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#pool.request({
        method: 'GET',
        path,
        headers: this.#headers,
        signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      if (signal?.aborted || this.#closing) throw abortError(signal);
      throw unreachableError('GET', url, err);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      if (signal?.aborted || this.#closing) throw abortError(signal);
      throw unreachableError('GET', url, err);
    }
    const index = Number(response.headers['x-consul-index'] ?? 0);
    return { status: response.statusCode, text, index, url };
  }

  /** #parse rejects a non-200 answer as consul/api does and decodes the JSON body. */
  #parse(answer: Answer): unknown {
    if (answer.status !== 200) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `Unexpected response code: ${answer.status} (${answer.text.trim()})`,
      );
    }
    try {
      return JSON.parse(answer.text) as unknown;
    } catch (err) {
      throw new ConfdError(
        ErrorCode.BACKEND_RESPONSE,
        `invalid JSON from GET "${answer.url.href}": ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  close(): Promise<void> {
    // destroy, not close: a parked blocking query would otherwise hold close() for minutes.
    this.#closing ??= this.#pool.destroy().catch(() => undefined);
    return this.#closing;
  }
}

/** createConsulBackend builds the consul backend for one node (reads the TLS files, if any). */
export async function createConsulBackend(options: ConsulBackendOptions): Promise<Backend> {
  const socketPath = consulSocketPath(options.node);
  // Over a unix socket the host part is irrelevant; consul/api sends `Host: localhost` too.
  const origin = socketPath
    ? new URL('http://localhost')
    : consulOrigin(options.node, options.scheme);
  const tls = await loadTlsFiles(options);
  const connect = { ...tls, ...(socketPath ? { socketPath } : {}) };
  const pool = new Pool(origin, Object.keys(connect).length > 0 ? { connect } : {});
  return new ConsulBackend(options, origin, pool);
}
