/**
 * `/v1/session/*`: create, destroy, info, list, node and renew, as consul
 * `agent/session_endpoint.go` serves them (JSON bodies decoded case-insensitively).
 */
import type { Indexed, Session, SessionBehavior, SessionRequest, WatchScope } from '../types.js';
import type { RequestContext } from './context.js';
import { prepareJson, sendJson, sendText } from './context.js';
import { checkDatacenter, parseReadOptions, serveBlocking, shapeKey } from './blocking.js';
import { readBody } from './body.js';
import { goDurationError, parseGoDurationNs, parseJsonDuration } from '../../go/duration.js';
import { sessionJson } from './shapes.js';
import { sendStoreError } from './store-errors.js';

/** sessionRoutes lists each /v1/session/<op> with its method and whether it takes an argument. */
export const sessionRoutes: Readonly<Record<string, { method: string; arg: boolean }>> = {
  create: { method: 'PUT', arg: false },
  destroy: { method: 'PUT', arg: true },
  renew: { method: 'PUT', arg: true },
  info: { method: 'GET', arg: true },
  node: { method: 'GET', arg: true },
  list: { method: 'GET', arg: false },
};

// Consul treats a LockDelay below this as seconds, not nanoseconds (lockDelayMinThreshold).
const lockDelayMinThreshold = 1000n;
const ttlMinNs = 10_000_000_000n;
const ttlMaxNs = 86_400_000_000_000n;

class DecodeError extends Error {}

function entries(obj: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) out.set(k.toLowerCase(), v);
  return out;
}

function stringList(v: unknown, name: string): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new DecodeError(`${name}: expected a list of strings`);
  }
  return v as string[];
}

/**
 * lockDelayNs decodes LockDelay as Consul's Session.UnmarshalJSON does: a Go duration string or a
 * JSON number of nanoseconds (truncated, any sign); any other type is 0. Then a value below 1000
 * (`5`, but also `"5ns"` and negatives) is taken as seconds, multiplied in Go's int64 arithmetic.
 */
function lockDelayNs(v: unknown): number {
  if (typeof v === 'string') {
    const error = goDurationError(v);
    if (error !== undefined) throw new DecodeError(error);
  }
  let ns = parseJsonDuration(v) ?? 0n;
  if (ns < lockDelayMinThreshold) ns = BigInt.asIntN(64, ns * 1_000_000_000n);
  return Number(ns);
}

// The Go fields behind the string members of a session create body, for decode errors.
const goStringFields: Record<string, [field: string, type: string]> = {
  name: ['Name', 'string'],
  node: ['Node', 'string'],
  behavior: ['Behavior', 'structs.SessionBehavior'],
  ttl: ['TTL', 'string'],
};

/** goJsonKind names a decoded JSON value as Go's UnmarshalTypeError does. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** parseSessionRequest decodes a create body; throws DecodeError on bad input. */
function parseSessionRequest(body: Buffer): SessionRequest {
  const request: SessionRequest = {};
  if (body.length === 0) return request;
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new DecodeError(err instanceof Error ? err.message : String(err));
  }
  if (doc === null) return request;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new DecodeError('json: cannot unmarshal into Go value of type structs.Session');
  }
  const f = entries(doc as Record<string, unknown>);
  const text = (name: string): string | undefined => {
    const v = f.get(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      // encoding/json's UnmarshalTypeError; the struct is Session.UnmarshalJSON's anonymous one.
      const [field, type] = goStringFields[name];
      throw new DecodeError(
        `json: cannot unmarshal ${goJsonKind(v)} into Go struct field .${field} of type ${type}`,
      );
    }
    return v;
  };
  const name = text('name');
  if (name !== undefined) request.name = name;
  const node = text('node');
  if (node !== undefined && node !== '') request.node = node;
  const lockDelay = f.get('lockdelay');
  if (lockDelay !== undefined && lockDelay !== null) request.lockDelayNs = lockDelayNs(lockDelay);
  const behavior = text('behavior');
  if (behavior !== undefined && behavior !== '') {
    if (behavior !== 'release' && behavior !== 'delete') {
      throw new DecodeError(`Invalid Behavior setting '${behavior}'`);
    }
    request.behavior = behavior satisfies SessionBehavior;
  }
  // TTL is a string only (Session.TTL); the server checks it (Consul's Session.Apply, 500).
  const ttl = text('ttl');
  if (ttl !== undefined && ttl !== '') {
    const ns = parseGoDurationNs(ttl);
    if (ns === undefined) {
      throw new DecodeError(`Session TTL '${ttl}' invalid: ${goDurationError(ttl)}`);
    }
    if (ns !== 0n && (ns < ttlMinNs || ns > ttlMaxNs)) {
      throw new DecodeError(`Invalid Session TTL '${ns}', must be between [10s=24h0m0s]`);
    }
    request.ttl = ttl;
  }
  // Supplying Checks (or NodeChecks) at all replaces the default ["serfHealth"].
  if (f.has('checks')) request.nodeChecks = stringList(f.get('checks'), 'Checks');
  if (f.has('nodechecks')) request.nodeChecks = stringList(f.get('nodechecks'), 'NodeChecks');
  if (f.has('servicechecks')) {
    const v = f.get('servicechecks');
    if (v === null) request.serviceChecks = null;
    else if (Array.isArray(v)) {
      request.serviceChecks = v.map((c: unknown) => {
        if (typeof c !== 'object' || c === null)
          throw new DecodeError('ServiceChecks: expected objects');
        const id = entries(c as Record<string, unknown>).get('id');
        if (typeof id !== 'string') throw new DecodeError('ServiceChecks: ID must be a string');
        return { id };
      });
    } else throw new DecodeError('ServiceChecks: expected a list');
  }
  return request;
}

/**
 * handleSession serves /v1/session/<op>[/<arg>] with the method already checked. The reads
 * (`info`, `node`, `list`) return nothing: they answer at once or park.
 */
export function handleSession(ctx: RequestContext, op: string, arg: string): Promise<void> | void {
  if (!checkDatacenter(ctx)) return;
  const { store } = ctx.config;
  switch (op) {
    case 'info': {
      if (arg === '') return sendText(ctx, 400, 'Missing session');
      return readSessions(ctx, op, arg, () => {
        const r = store.sessionInfo(arg);
        return { value: r.value ? [r.value] : [], index: r.index };
      });
    }
    case 'node': {
      if (arg === '') return sendText(ctx, 400, 'Missing node name');
      return readSessions(ctx, op, arg, () => store.sessionsOfNode(arg));
    }
    case 'list':
      return readSessions(ctx, op, arg, () => store.sessionList());
    default:
      return writeSession(ctx, op, arg);
  }
}

async function writeSession(ctx: RequestContext, op: string, arg: string): Promise<void> {
  const { store } = ctx.config;
  switch (op) {
    case 'create': {
      const body = await readBody(ctx.req, ctx.config.kvMaxValueSize);
      if (!body.ok) {
        if (body.tooLarge) sendText(ctx, 413, 'Request body too large', ['Connection', 'close']);
        return;
      }
      let request: SessionRequest;
      try {
        request = parseSessionRequest(body.body);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        // Consul: range and behavior checks happen on the server (500), decoding on the agent (400).
        const serverSide = /^(Invalid (Session TTL|Behavior)|Session TTL ')/.test(err.message);
        return sendText(
          ctx,
          serverSide ? 500 : 400,
          serverSide ? err.message : `Request decode failed: ${err.message}`,
        );
      }
      let session: Session;
      try {
        session = await store.sessionCreate(request);
      } catch (err) {
        return sendStoreError(ctx, err);
      }
      return sendJson(ctx, { ID: session.id });
    }
    case 'destroy': {
      if (arg === '') return sendText(ctx, 400, 'Missing session');
      try {
        await store.sessionDestroy(arg);
      } catch (err) {
        return sendStoreError(ctx, err);
      }
      return sendJson(ctx, true);
    }
    case 'renew': {
      if (arg === '') return sendText(ctx, 400, 'Missing session');
      let session;
      try {
        session = await store.sessionRenew(arg);
      } catch (err) {
        return sendStoreError(ctx, err);
      }
      if (!session) return sendText(ctx, 404, `Session id '${arg}' not found`);
      return sendJson(ctx, [sessionJson(session)]);
    }
    default:
      return undefined;
  }
}

const sessionsScope: WatchScope = { kind: 'table', table: 'sessions' };

function readSessions(
  ctx: RequestContext,
  op: string,
  arg: string,
  read: () => Indexed<readonly Session[]>,
): void {
  const options = parseReadOptions(ctx);
  if (!options) return;
  const { consistency } = options;
  const { pretty } = ctx;
  serveBlocking(ctx, options, {
    key: shapeKey(['session', op, arg, pretty, consistency]),
    scope: sessionsScope,
    read,
    render: ({ value, index }) =>
      prepareJson(value.map(sessionJson), pretty, { index, consistency }),
  });
}
