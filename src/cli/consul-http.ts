/**
 * A small Consul HTTP client for the CLI commands (`confd kv ...`), on undici. It sends the same
 * requests as the Go client `github.com/hashicorp/consul/api` that `consul kv` uses, and reports
 * failures with the Go client's texts (`Unexpected response code: 404 (...)`, `Get "http://...":
 * dial tcp ...: connect: connection refused`) so the CLI prints what `consul kv` prints.
 */
import { Agent, type Dispatcher } from 'undici';
import { ConfdError, ErrorCode } from '../errors.js';

/** ConsulHttpOptions configure {@link createConsulHttpClient}. */
export interface ConsulHttpOptions {
  /** `host:port`, `http://host:port`, `https://host:port` or `unix:///path/to.sock`. */
  readonly address: string;
  /** Sent as `X-Consul-Token` when not empty. */
  readonly token?: string;
  /** Sent as `?dc=` when not empty. */
  readonly datacenter?: string;
  /** Adds `?stale` to reads. */
  readonly stale?: boolean;
  /** Force https even for a bare `host:port` (`CONSUL_HTTP_SSL`). */
  readonly https?: boolean;
  /** The undici dispatcher to use; by default the client owns a short-keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
  /** Aborts in-flight requests. */
  readonly signal?: AbortSignal;
}

/** KvPair is one KV entry as the Consul API returns it (Go's `api.KVPair`). */
export interface KvPair {
  readonly key: string;
  readonly flags: bigint;
  /** The value bytes; null when the entry is empty (`"Value": null`). */
  readonly value: Buffer | null;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  /** The lock holder; empty when unlocked. */
  readonly session: string;
}

/** KvWriteOptions are the query flags of a KV PUT; at most one of cas/acquire/release. */
export interface KvWriteOptions {
  readonly flags?: bigint;
  readonly cas?: bigint;
  readonly acquire?: string;
  readonly release?: string;
}

/** KvDeleteOptions are the query flags of a KV DELETE. */
export interface KvDeleteOptions {
  readonly recurse?: boolean;
  readonly cas?: bigint;
}

/** ConsulHttpClient is the subset of Consul's HTTP API the CLI commands call. */
export interface ConsulHttpClient {
  /** kvGet reads one key; null when it does not exist (404). */
  kvGet(key: string): Promise<KvPair | null>;
  /** kvList reads every entry under a prefix, sorted by key ([] when none). */
  kvList(prefix: string): Promise<KvPair[]>;
  /** kvKeys lists key names under a prefix, cut after `separator` when it is not empty. */
  kvKeys(prefix: string, separator: string): Promise<string[]>;
  /** kvPut writes a value; the boolean is the server's answer (meaningful for cas/acquire/release). */
  kvPut(key: string, value: Uint8Array, options?: KvWriteOptions): Promise<boolean>;
  /** kvDelete deletes a key or prefix; the boolean is the server's answer (meaningful for cas). */
  kvDelete(key: string, options?: KvDeleteOptions): Promise<boolean>;
  /** close releases the connections this client owns; idempotent. */
  close(): Promise<void>;
}

interface Endpoint {
  readonly origin: string;
  /** The authority Go prints in its URLs (host:port, or the socket path). */
  readonly display: string;
  readonly socketPath?: string;
}

/**
 * parseConsulAddress splits a Consul address the way the Go client does (`http://`, `https://`,
 * `unix://` prefixes, else a bare `host:port`). Throws `CFD_ERR_CONFIG_FLAG` for another scheme
 * with Go's text `Unknown protocol scheme: <s>`.
 */
export function parseConsulAddress(address: string, https = false): Endpoint {
  const sep = address.indexOf('://');
  let scheme = https ? 'https' : 'http';
  let rest = address;
  if (sep !== -1) {
    const given = address.slice(0, sep);
    rest = address.slice(sep + 3);
    if (given === 'unix') {
      return { origin: 'http://localhost', display: rest, socketPath: rest };
    }
    if (given === 'https') scheme = 'https';
    else if (given !== 'http') {
      throw new ConfdError(ErrorCode.CONFIG_FLAG, `Unknown protocol scheme: ${given}`);
    }
  }
  rest = rest.replace(/\/+$/, '');
  return { origin: `${scheme}://${rest}`, display: `${scheme}://${rest}` };
}

/** createConsulHttpClient builds a {@link ConsulHttpClient} for one agent address. */
export function createConsulHttpClient(options: ConsulHttpOptions): ConsulHttpClient {
  const endpoint = parseConsulAddress(options.address, options.https);
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      keepAliveTimeout: 10,
      keepAliveMaxTimeout: 10,
      ...(endpoint.socketPath !== undefined
        ? { connect: { socketPath: endpoint.socketPath } }
        : {}),
    });
  let closed = false;

  async function send(
    method: 'GET' | 'PUT' | 'DELETE',
    key: string,
    params: Record<string, string>,
    body?: Uint8Array,
  ): Promise<{ status: number; body: Buffer }> {
    const query: Record<string, string> = { ...params };
    if (options.datacenter) query.dc = options.datacenter;
    if (options.stale && method === 'GET') query.stale = '';
    const path = goEscapePath(`/v1/kv/${key}`);
    const search = goEncodeQuery(query);
    const pathAndQuery = `${path}${search ? `?${search}` : ''}`;
    const shown = `${endpoint.display}${path}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = {};
    if (options.token) headers['x-consul-token'] = options.token;
    if (body !== undefined) headers['content-type'] = 'application/octet-stream';
    try {
      // dispatcher.request sends the path as given (a URL object would drop "." segments).
      const res = await dispatcher.request({
        origin: endpoint.origin,
        path: pathAndQuery,
        method,
        headers,
        body: body === undefined ? null : Buffer.from(body.buffer, body.byteOffset, body.length),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, body: bytes };
    } catch (err) {
      const op = method[0] + method.slice(1).toLowerCase();
      throw new ConfdError(
        ErrorCode.BACKEND_UNREACHABLE,
        `${op} ${JSON.stringify(shown)}: ${goDialError(err, endpoint)}`,
        { cause: err },
      );
    }
  }

  function statusError(status: number, body: Buffer): ConfdError {
    // The Go client's StatusError: "Unexpected response code: <code> (<trimmed body>)".
    return new ConfdError(
      ErrorCode.BACKEND_RESPONSE,
      `Unexpected response code: ${status} (${body.toString('utf8').trim()})`,
    );
  }

  function readStatusError(status: number): ConfdError {
    // The Go client's reads (KV.Get/List/Keys) drop the body: "Unexpected response code: <code>".
    return new ConfdError(ErrorCode.BACKEND_RESPONSE, `Unexpected response code: ${status}`);
  }

  function rejectLeadingSlash(key: string): void {
    // The Go client refuses keys starting with '/' before sending anything.
    if (key.startsWith('/')) {
      throw new ConfdError(
        ErrorCode.CONFIG_FLAG,
        `Invalid key. Key must not begin with a '/': ${key}`,
      );
    }
  }

  async function write(
    method: 'PUT' | 'DELETE',
    key: string,
    params: Record<string, string>,
    body?: Uint8Array,
  ): Promise<boolean> {
    const res = await send(method, key, params, body);
    if (res.status !== 200) throw statusError(res.status, res.body);
    // The Go client treats any body containing "true" as success.
    return res.body.toString('utf8').includes('true');
  }

  return {
    async kvGet(key) {
      const res = await send('GET', key, {});
      if (res.status === 404) return null;
      if (res.status !== 200) throw readStatusError(res.status);
      return parseEntries(res.body)[0] ?? null;
    },
    async kvList(prefix) {
      const res = await send('GET', prefix, { recurse: '' });
      if (res.status === 404) return [];
      if (res.status !== 200) throw readStatusError(res.status);
      return parseEntries(res.body);
    },
    async kvKeys(prefix, separator) {
      const params: Record<string, string> = { keys: '' };
      if (separator !== '') params.separator = separator;
      const res = await send('GET', prefix, params);
      if (res.status === 404) return [];
      if (res.status !== 200) throw readStatusError(res.status);
      const parsed = parseJson(res.body);
      if (parsed !== null && !isStringArray(parsed)) throw badBody('a JSON array of strings');
      return parsed ?? [];
    },
    async kvPut(key, value, opts = {}) {
      rejectLeadingSlash(key);
      const params: Record<string, string> = {};
      if (opts.flags !== undefined && opts.flags !== 0n) params.flags = opts.flags.toString();
      if (opts.cas !== undefined) params.cas = opts.cas.toString();
      if (opts.acquire !== undefined) params.acquire = opts.acquire;
      if (opts.release !== undefined) params.release = opts.release;
      return write('PUT', key, params, value);
    },
    async kvDelete(key, opts = {}) {
      rejectLeadingSlash(key);
      const params: Record<string, string> = {};
      if (opts.recurse) params.recurse = '';
      if (opts.cas !== undefined) params.cas = opts.cas.toString();
      return write('DELETE', key, params);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

function badBody(what: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.BACKEND_RESPONSE, `Unexpected response body: want ${what}`, {
    cause,
  });
}

function parseJson(body: Buffer): unknown {
  // Flags are uint64: quote large numbers before JSON.parse so they survive as exact bigints.
  const text = body.toString('utf8').replace(/"Flags":(\s*)(\d{16,})/g, '"Flags":$1"$2"');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badBody('JSON', err);
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** parseEntries decodes a Consul DirEntry array (`[{"LockIndex":0,"Key":"k",...}]`). */
function parseEntries(body: Buffer): KvPair[] {
  const parsed = parseJson(body);
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw badBody('a JSON array of KV entries');
  return parsed.map((raw: unknown): KvPair => {
    if (typeof raw !== 'object' || raw === null) throw badBody('a KV entry object');
    const e = raw as Record<string, unknown>;
    if (typeof e.Key !== 'string') throw badBody('a "Key" string');
    const value = e.Value;
    if (value !== null && value !== undefined && typeof value !== 'string') {
      throw badBody('a base64 "Value"');
    }
    return {
      key: e.Key,
      flags: toBigInt(e.Flags),
      value: typeof value === 'string' ? Buffer.from(value, 'base64') : null,
      createIndex: toNumber(e.CreateIndex),
      modifyIndex: toNumber(e.ModifyIndex),
      lockIndex: toNumber(e.LockIndex),
      session: typeof e.Session === 'string' ? e.Session : '',
    };
  });
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return 0n;
}

function toNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** goDialError renders a connection failure as Go's net package would describe it. */
function goDialError(err: unknown, endpoint: Endpoint): string {
  let e = err as { code?: unknown; address?: unknown; port?: unknown; message?: unknown };
  if (err instanceof AggregateError && err.errors.length > 0) {
    e = err.errors[err.errors.length - 1] as typeof e;
  }
  const code = typeof e.code === 'string' ? e.code : '';
  const url = endpoint.socketPath === undefined ? new URL(endpoint.origin) : undefined;
  const port = typeof e.port === 'number' ? String(e.port) : (url?.port ?? '');
  let dial = `dial tcp ${url?.host ?? ''}`;
  if (endpoint.socketPath !== undefined) dial = `dial unix ${endpoint.socketPath}`;
  else if (typeof e.address === 'string') {
    dial = `dial tcp ${e.address.includes(':') ? `[${e.address}]` : e.address}:${port}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `${dial}: connect: connection refused`;
    case 'ENOENT':
      return `${dial}: connect: no such file or directory`;
    case 'EHOSTUNREACH':
      return `${dial}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${dial}: connect: network is unreachable`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `${dial}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url?.hostname ?? ''}: no such host`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'EOF';
    default:
      return typeof e.message === 'string' ? e.message : String(err);
  }
}

const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
const QUERY_SAFE = /[A-Za-z0-9\-_.~]/;

function percentEncode(text: string, safe: RegExp, spaceAsPlus: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && safe.test(ch)) out += ch;
    else if (spaceAsPlus && byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** goEscapePath escapes a URL path as Go's `url.URL.EscapedPath` does. */
export function goEscapePath(path: string): string {
  return percentEncode(path, PATH_SAFE, false);
}

/** goEncodeQuery encodes parameters as Go's `url.Values.Encode` does (sorted by key). */
export function goEncodeQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map(
      (k) =>
        `${percentEncode(k, QUERY_SAFE, true)}=${percentEncode(params[k] ?? '', QUERY_SAFE, true)}`,
    )
    .join('&');
}
