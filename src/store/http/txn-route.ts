/**
 * `PUT /v1/txn`: KV operations applied atomically, as consul `agent/txn_endpoint.go` serves them:
 * 200 `{"Results":[...],"Errors":null}`, 409 `{"Results":null,"Errors":[...]}` on rollback, 413 for
 * too many operations or too large values, 400 `Failed to parse body: ...` for undecodable bodies.
 */
import { txnKeyErrors } from '../input.js';
import { TXN_KV_VERBS, TXN_READ_VERBS, type TxnKvOp, type TxnKvVerb } from '../types.js';
import type { RequestContext } from './context.js';
import { sendJson, sendText } from './context.js';
import { checkDatacenter } from './blocking.js';
import { readBody } from './body.js';
import { dirEntry } from './shapes.js';
import { sendStoreError } from './store-errors.js';

const verbs: ReadonlySet<string> = new Set<string>(TXN_KV_VERBS);

class ParseError extends Error {}

/** field reads an object field case-insensitively, as Go's encoding/json decodes struct fields. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function goType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function uint(v: unknown, where: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ParseError(
      `json: cannot unmarshal ${goType(v)} into Go struct field ${where} of type uint64`,
    );
  }
  return BigInt(v);
}

function str(v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    throw new ParseError(
      `json: cannot unmarshal ${goType(v)} into Go struct field ${where} of type string`,
    );
  }
  return v;
}

const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytes(v: unknown): Uint8Array | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    throw new ParseError(
      `json: cannot unmarshal ${goType(v)} into Go struct field KVTxnOp.KV.Value of type []uint8`,
    );
  }
  if (!base64Re.test(v)) throw new ParseError('illegal base64 data at input byte 0');
  const buf = Buffer.from(v, 'base64');
  return buf.length === 0 ? null : new Uint8Array(buf);
}

/** ParsedOp is a decoded KV op, with its verb still unchecked. */
interface ParsedOp {
  verb: string;
  op: TxnKvOp;
}

function parseOps(body: Buffer): ParsedOp[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ParseError(err instanceof Error ? err.message : String(err));
  }
  if (!Array.isArray(doc)) {
    throw new ParseError(`json: cannot unmarshal ${goType(doc)} into Go value of type api.TxnOps`);
  }
  return doc.map((item: unknown, i) => {
    if (!isObject(item)) {
      throw new ParseError(
        `json: cannot unmarshal ${goType(item)} into Go value of type api.TxnOp (operation ${i})`,
      );
    }
    const kv = field(item, 'KV');
    if (!isObject(kv)) {
      throw new ParseError(`operation ${i}: only KV operations are supported by this store`);
    }
    const verb = str(field(kv, 'Verb'), 'KVTxnOp.KV.Verb');
    const op: TxnKvOp = {
      verb: verb as TxnKvVerb,
      key: str(field(kv, 'Key'), 'KVTxnOp.KV.Key'),
      value: bytes(field(kv, 'Value')),
    };
    const flags = uint(field(kv, 'Flags'), 'KVTxnOp.KV.Flags');
    if (flags !== undefined) op.flags = flags;
    const index = uint(field(kv, 'Index'), 'KVTxnOp.KV.Index');
    if (index !== undefined) op.index = Number(index);
    const session = str(field(kv, 'Session'), 'KVTxnOp.KV.Session');
    if (session !== '') op.session = session;
    return { verb, op };
  });
}

/** handleTxn serves PUT /v1/txn. */
export async function handleTxn(ctx: RequestContext): Promise<void> {
  if (!checkDatacenter(ctx)) return;
  const { txnMaxReqLen, kvMaxValueSize, txnMaxOps, store } = ctx.config;
  const body = await readBody(ctx.req, txnMaxReqLen);
  if (!body.ok) {
    if (body.tooLarge) {
      sendText(ctx, 413, `Request body too large, max size: ${txnMaxReqLen} bytes`, [
        'Connection',
        'close',
      ]);
    }
    return;
  }
  let parsed: ParsedOp[];
  try {
    parsed = parseOps(body.body);
  } catch (err) {
    if (err instanceof ParseError)
      return sendText(ctx, 400, `Failed to parse body: ${err.message}`);
    throw err;
  }
  if (parsed.length > txnMaxOps) {
    return sendText(
      ctx,
      413,
      `Transaction contains too many operations (${parsed.length} > ${txnMaxOps})`,
    );
  }
  for (const { op } of parsed) {
    const size = op.value?.byteLength ?? 0;
    if (size > kvMaxValueSize) {
      return sendText(
        ctx,
        413,
        `Value for key ${JSON.stringify(op.key)} is too large (${size} > ${kvMaxValueSize} bytes)`,
      );
    }
  }
  // Consul's pre-check (before the state store runs any op) wants a key for every verb but
  // delete-tree, and reports each op that lacks one.
  const missingKeys = txnKeyErrors(parsed.map((p) => p.op));
  if (missingKeys.length > 0) {
    const errors = missingKeys.map((e) => ({ OpIndex: e.opIndex, What: e.what }));
    return sendJson(ctx, { Results: null, Errors: errors }, undefined, 409);
  }
  // An unknown verb fails the transaction at its index, as the state store's txnKVS does.
  const unknown = parsed.findIndex(({ verb }) => !verbs.has(verb));
  if (unknown >= 0) {
    return sendJson(
      ctx,
      {
        Results: null,
        Errors: [
          { OpIndex: unknown, What: `unknown KV verb ${JSON.stringify(parsed[unknown].verb)}` },
        ],
      },
      undefined,
      409,
    );
  }
  let result;
  try {
    result = await store.txn(parsed.map((p) => p.op));
  } catch (err) {
    return sendStoreError(ctx, err);
  }
  if (!result.ok) {
    const errors = result.errors.map((e) => ({ OpIndex: e.opIndex, What: e.what }));
    return sendJson(ctx, { Results: null, Errors: errors }, undefined, 409);
  }
  const readOnly = parsed.every(({ op }) => TXN_READ_VERBS.has(op.verb));
  // Go leaves the Results slice nil (JSON null) when no op produced a result (delete verbs only).
  const results =
    result.results.length === 0 ? null : result.results.map((entry) => ({ KV: dirEntry(entry) }));
  // Read-only transactions are served like reads, with the query-meta headers.
  const meta = readOnly ? { index: result.index, consistency: 'leader' as const } : undefined;
  sendJson(ctx, { Results: results, Errors: null }, meta);
}
