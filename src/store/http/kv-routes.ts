/**
 * `/v1/kv/<key>`: GET (single, `recurse`, `keys`, `raw`), PUT (`flags`, `cas`, `acquire`,
 * `release`) and DELETE (`recurse`, `cas`), as consul `agent/kvs_endpoint.go` serves them.
 */
import type { Indexed, KvDeleteOptions, KvEntry, KvSetOptions } from '../types.js';
import type { Consistency, PreparedResponse, RequestContext } from './context.js';
import {
  has,
  param,
  prepareEmpty,
  prepareJson,
  prepareJsonText,
  prepareRaw,
  sendJson,
  sendText,
  writePrepared,
} from './context.js';
import { checkDatacenter, parseReadOptions, serveBlocking, shapeKey } from './blocking.js';
import { readBody } from './body.js';
import { keyNameProblem } from './key-name.js';
import { encodeQuery, goParseUintError, parseUint64 } from './query.js';
import { compactEntryArray, dirEntry } from './shapes.js';
import { sendStoreError } from './store-errors.js';

const kvPrefix = '/v1/kv/';

/** kvMethods are the methods /v1/kv answers (Consul's 405 Allow list). */
export const kvMethods = ['GET', 'PUT', 'DELETE'] as const;

/**
 * handleKv serves one /v1/kv request; `ctx.path` starts with `/v1/kv/`. GETs return nothing: they
 * answer at once or park (the parked-query registry answers or drops them later).
 */
export function handleKv(ctx: RequestContext): Promise<void> | void {
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

function get(ctx: RequestContext, key: string): void {
  const recurse = has(ctx, 'recurse');
  if (!recurse && key === '') return sendText(ctx, 400, 'Missing key name');
  const options = parseReadOptions(ctx);
  if (!options) return;
  const { store } = ctx.config;
  const { consistency } = options;
  const { pretty } = ctx;
  if (recurse) {
    // `raw` with `recurse` is ignored: the JSON list is returned.
    return serveBlocking(ctx, options, {
      key: shapeKey(['kv-recurse', key, pretty, consistency]),
      scope: key === '' ? { kind: 'table', table: 'kv' } : { kind: 'prefix', prefix: key },
      read: () => store.kvList(key),
      notFound: noEntries,
      render: ({ value, index }) =>
        value.length === 0
          ? prepareEmpty(404, { index, consistency })
          : prepareJson(value.map(dirEntry), pretty, { index, consistency }),
    });
  }
  const raw = has(ctx, 'raw');
  // The hot path: a plain read builds no blocking-query closures.
  if (options.minIndex === 0) {
    return writePrepared(ctx.res, renderEntry(store.kvGet(key), raw, pretty, consistency));
  }
  return serveBlocking(ctx, options, {
    key: shapeKey(['kv', key, raw, pretty, consistency]),
    scope: { kind: 'key', key },
    read: () => store.kvGet(key),
    notFound: notFoundEntry,
    render: (result) => renderEntry(result, raw, pretty, consistency),
  });
}

/** renderEntry renders a single-key read: the entry as `[DirEntry]`, its raw value, or a 404. */
function renderEntry(
  result: Indexed<KvEntry | undefined>,
  raw: boolean,
  pretty: boolean,
  consistency: Consistency,
): PreparedResponse {
  const entry = result.value;
  const meta = { index: result.index, consistency };
  if (entry === undefined) return prepareEmpty(404, meta);
  if (raw) return prepareRaw(entry.value, meta);
  if (pretty) return prepareJson([dirEntry(entry)], true, meta);
  return prepareJsonText(compactEntryArray(entry), meta);
}

function getKeys(ctx: RequestContext, prefix: string): void {
  const options = parseReadOptions(ctx);
  if (!options) return;
  // The historic misspelling `seperator` is still accepted; `separator` wins when both are given.
  let separator: string | undefined;
  if (has(ctx, 'seperator')) separator = param(ctx, 'seperator');
  if (has(ctx, 'separator')) separator = param(ctx, 'separator');
  const split = separator === '' ? undefined : separator;
  const { store } = ctx.config;
  const { consistency } = options;
  const { pretty } = ctx;
  return serveBlocking(ctx, options, {
    key: shapeKey(['kv-keys', prefix, split === undefined ? '' : `=${split}`, pretty, consistency]),
    scope: prefix === '' ? { kind: 'table', table: 'kv' } : { kind: 'prefix', prefix },
    read: () => store.kvKeys(prefix, split),
    // 404 when nothing matches a non-empty prefix; `[]` (never null) for the empty root.
    render: ({ value, index }) =>
      value.length === 0 && prefix !== ''
        ? prepareEmpty(404, { index, consistency })
        : prepareJson(value, pretty, { index, consistency }),
  });
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
