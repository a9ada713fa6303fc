/**
 * A small Consul KV client for the CLI commands (`confd kv ...`), on {@link ConsulTransport}. It
 * sends the same requests as the Go client `github.com/hashicorp/consul/api` that `consul kv`
 * uses, and reports failures with the Go client's texts (`Unexpected response code: 404 (...)`)
 * so the CLI prints what `consul kv` prints.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import {
  createConsulTransport,
  goEscapePath,
  type ConsulHttpOptions,
  type HttpReply,
} from './consul-transport.js';

export type { ConsulHttpOptions } from './consul-transport.js';

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

/** createConsulHttpClient builds a {@link ConsulHttpClient} for one agent address. */
export function createConsulHttpClient(options: ConsulHttpOptions): ConsulHttpClient {
  const transport = createConsulTransport(options);

  function send(
    method: 'GET' | 'PUT' | 'DELETE',
    key: string,
    params: Record<string, string>,
    body?: Uint8Array,
  ): Promise<HttpReply> {
    return transport.send(method, goEscapePath(`/v1/kv/${key}`), params, body);
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
    close: () => transport.close(),
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
