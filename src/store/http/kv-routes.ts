/**
 * `/v1/kv/<key>`: GET (single, `recurse`, `keys`, `raw`), PUT (`flags`, `cas`, `acquire`,
 * `release`) and DELETE (`recurse`, `cas`), as consul `agent/kvs_endpoint.go` serves them.
 */
import type { KvDeleteOptions, KvEntry, KvSetOptions } from '../types.js';
import type { RequestContext } from './context.js';
import { has, param, sendEmpty, sendJson, sendJsonText, sendRaw, sendText } from './context.js';
import { blockingRead, checkDatacenter, parseReadOptions } from './blocking.js';
import { readBody } from './body.js';
import { keyNameProblem } from './key-name.js';
import { encodeQuery, goParseUintError, parseUint64 } from './query.js';
import { compactEntryArray, dirEntry } from './shapes.js';
import { sendStoreError } from './store-errors.js';

const kvPrefix = '/v1/kv/';

/** kvMethods are the methods /v1/kv answers (Consul's 405 Allow list). */
export const kvMethods = ['GET', 'PUT', 'DELETE'] as const;

/** handleKv serves one /v1/kv request; `ctx.path` starts with `/v1/kv/`. */
export async function handleKv(ctx: RequestContext): Promise<void> {
  const key = ctx.path.slice(kvPrefix.length);
  if (key !== '' && !ctx.config.disableKvKeyValidation) {
    const problem = keyNameProblem(key);
    if (problem !== undefined) return sendText(ctx, 400, problem);
  }
  const method = ctx.req.method;
  if (method === 'GET') return has(ctx, 'keys') ? getKeys(ctx, key) : get(ctx, key);
  if (method === 'PUT') return put(ctx, key);
  return del(ctx, key);
}

function notFoundEntry(value: KvEntry | undefined): boolean {
  return value === undefined;
}

function noEntries(value: KvEntry[]): boolean {
  return value.length === 0;
}

async function get(ctx: RequestContext, key: string): Promise<void> {
  const recurse = has(ctx, 'recurse');
  if (!recurse && key === '') return sendText(ctx, 400, 'Missing key name');
  const options = parseReadOptions(ctx);
  if (!options) return;
  const { store } = ctx.config;
  if (recurse) {
    const result = await blockingRead(ctx, options, {
      scope: key === '' ? { kind: 'table', table: 'kv' } : { kind: 'prefix', prefix: key },
      read: () => store.kvList(key),
      notFound: noEntries,
    });
    if (!result) return;
    const meta = { index: result.index, consistency: options.consistency };
    // `raw` with `recurse` is ignored: the JSON list is returned.
    if (result.value.length === 0) return sendEmpty(ctx, 404, meta);
    return sendJson(ctx, result.value.map(dirEntry), meta);
  }
  const result =
    options.minIndex === 0
      ? store.kvGet(key)
      : await blockingRead(ctx, options, {
          scope: { kind: 'key', key },
          read: () => store.kvGet(key),
          notFound: notFoundEntry,
        });
  if (!result) return;
  const meta = { index: result.index, consistency: options.consistency };
  const entry = result.value;
  if (entry === undefined) return sendEmpty(ctx, 404, meta);
  if (has(ctx, 'raw')) return sendRaw(ctx, entry.value, meta);
  if (ctx.pretty) return sendJson(ctx, [dirEntry(entry)], meta);
  return sendJsonText(ctx, compactEntryArray(entry), meta);
}

async function getKeys(ctx: RequestContext, prefix: string): Promise<void> {
  const options = parseReadOptions(ctx);
  if (!options) return;
  // The historic misspelling `seperator` is still accepted; `separator` wins when both are given.
  let separator: string | undefined;
  if (has(ctx, 'seperator')) separator = param(ctx, 'seperator');
  if (has(ctx, 'separator')) separator = param(ctx, 'separator');
  const { store } = ctx.config;
  const result = await blockingRead(ctx, options, {
    scope: prefix === '' ? { kind: 'table', table: 'kv' } : { kind: 'prefix', prefix },
    read: () => store.kvKeys(prefix, separator === '' ? undefined : separator),
  });
  if (!result) return;
  const meta = { index: result.index, consistency: options.consistency };
  // 404 when nothing matches a non-empty prefix; `[]` (never null) for the empty root.
  if (result.value.length === 0 && prefix !== '') return sendEmpty(ctx, 404, meta);
  return sendJson(ctx, result.value, meta);
}

/** conflicting answers 400 when more than one of `flags` is present (Consul's conflictingFlags). */
function conflicting(ctx: RequestContext, flags: readonly string[]): boolean {
  if (flags.filter((f) => has(ctx, f)).length <= 1) return false;
  sendText(ctx, 400, `Conflicting flags: ${encodeQuery(ctx.query)}\n`);
  return true;
}

function uintParam(ctx: RequestContext, name: string, what: string): bigint | null | undefined {
  if (!has(ctx, name)) return null;
  const raw = param(ctx, name);
  const n = parseUint64(raw);
  if (n === undefined) {
    sendText(ctx, 400, `Invalid ${what}: ${goParseUintError(raw)}`);
    return undefined;
  }
  return n;
}

function tooLarge(ctx: RequestContext, size: number): void {
  const max = ctx.config.kvMaxValueSize;
  sendText(
    ctx,
    413,
    `Request body(${size} bytes) too large, max size: ${max} bytes. ` +
      'See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
    ['Connection', 'close'],
  );
}

async function put(ctx: RequestContext, key: string): Promise<void> {
  if (!checkDatacenter(ctx)) return;
  if (key === '') return sendText(ctx, 400, 'Missing key name');
  if (conflicting(ctx, ['cas', 'acquire', 'release'])) return;
  const options: KvSetOptions = {};
  const flags = uintParam(ctx, 'flags', 'flags');
  if (flags === undefined) return;
  if (flags !== null) options.flags = flags;
  const cas = uintParam(ctx, 'cas', 'cas index');
  if (cas === undefined) return;
  if (cas !== null) options.cas = Number(cas);
  if (has(ctx, 'acquire')) options.acquire = param(ctx, 'acquire');
  if (has(ctx, 'release')) options.release = param(ctx, 'release');

  const body = await readBody(ctx.req, ctx.config.kvMaxValueSize);
  if (!body.ok) {
    if (body.tooLarge) tooLarge(ctx, body.size);
    return;
  }
  const value = body.body.length === 0 ? null : new Uint8Array(body.body);
  let ok: boolean;
  try {
    ok = await ctx.config.store.kvSet(key, value, options);
  } catch (err) {
    return sendStoreError(ctx, err, options.acquire);
  }
  sendJson(ctx, ok);
}

async function del(ctx: RequestContext, key: string): Promise<void> {
  if (!checkDatacenter(ctx)) return;
  if (conflicting(ctx, ['recurse', 'cas'])) return;
  const recurse = has(ctx, 'recurse');
  if (!recurse && key === '') return sendText(ctx, 400, 'Missing key name');
  const options: KvDeleteOptions = {};
  if (recurse) options.recurse = true;
  const cas = uintParam(ctx, 'cas', 'cas index');
  if (cas === undefined) return;
  if (cas !== null) options.cas = Number(cas);
  let ok: boolean;
  try {
    ok = await ctx.config.store.kvDelete(key, options);
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  sendJson(ctx, ok);
}
