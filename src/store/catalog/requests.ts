/**
 * Turns decoded request bodies and config-file definitions into catalog commands, the way Consul's
 * endpoints fill defaults: field names are matched case-insensitively and snake_case is accepted
 * (`service_id` = `ServiceID`), service IDs default to the name, check IDs to `service:<id>`.
 * Check durations are kept as Go prints them (`90s` and `90000000000` both become `1m30s`).
 */
import {
  formatGoDuration,
  goDurationError,
  parseGoDurationNs,
  parseJsonDuration,
} from '../../go/duration.js';
import type {
  CatalogDeregisterCommand,
  CatalogRegisterCommand,
  CheckDefinition,
  CheckRecord,
  CheckType,
  NodeRecord,
  ServiceRecord,
  StringMap,
} from './types.js';
import { isCheckStatus } from './types.js';

/** Parsed is a parsed request, or the message of the 400 answer it deserves. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** RequestError carries a 400 message out of nested parsing. */
class RequestError extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function norm(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

/** field reads a member case-insensitively, snake_case or CamelCase. */
export function field(obj: Obj, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const want = norm(name);
  for (const k of Object.keys(obj)) {
    // Only a key of the same length (compared lower-cased) or one with underscores can match.
    if (k.length === want.length ? k.toLowerCase() === want : k.includes('_') && norm(k) === want) {
      return obj[k];
    }
  }
  return undefined;
}

function str(obj: Obj, name: string, fallback = ''): string {
  const v = field(obj, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw new RequestError(`${name} must be a string`);
  return v;
}

function int(obj: Obj, name: string): number {
  const v = field(obj, name);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
    throw new RequestError(`${name} must be an integer between 0 and 65535`);
  }
  return v;
}

function bool(obj: Obj, name: string): boolean {
  const v = field(obj, name);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new RequestError(`${name} must be a boolean`);
  return v;
}

function strings(obj: Obj, name: string): string[] {
  const v = field(obj, name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) {
    throw new RequestError(`${name} must be a list of strings`);
  }
  return v as string[];
}

function stringMap(obj: Obj, name: string): StringMap | null {
  const v = field(obj, name);
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new RequestError(`${name} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (isObj(val) && typeof field(val, 'Address') === 'string') {
      // TaggedAddresses of services are {Address, Port}; keep the address.
      out[k] = field(val, 'Address') as string;
    } else throw new RequestError(`${name}.${k} must be a string`);
  }
  return out;
}

/**
 * DefinitionSource is where a check definition comes from, which decides how its durations
 * (`Interval`, `Timeout`, `TTL`, `DeregisterCriticalServiceAfter`) are read:
 * - `request`: an HTTP request body. Consul's decoders (`CheckType`, `CheckDefinition`,
 *   `HealthCheckDefinition`) take a Go duration string or a JSON number of nanoseconds
 *   (`time.Duration(float64)`: truncated, any sign) and ignore a value of any other type.
 * - `config`: an agent config file. Consul decodes those durations into strings (mapstructure
 *   without weak typing), so a number is refused.
 */
export type DefinitionSource = 'request' | 'config';

/** Duration is a duration read from a definition: nanoseconds and how Consul prints them. */
interface Duration {
  readonly ns: bigint;
  /** Go's Duration.String(); undefined for 0, which Consul does not show. */
  readonly text: string | undefined;
}

function duration(obj: Obj, name: string, source: DefinitionSource): Duration | undefined {
  const v = field(obj, name);
  // An empty string counts as unset (Consul's decoders refuse it: time: invalid duration "").
  if (v === undefined || v === null || v === '') return undefined;
  let ns: bigint | undefined;
  if (source === 'config') {
    if (typeof v !== 'string') {
      throw new RequestError(`${name}: expected a string, got ${JSON.stringify(v)}`);
    }
    ns = parseGoDurationNs(v);
    if (ns === undefined) throw new RequestError(`${name}: invalid duration ${JSON.stringify(v)}`);
  } else {
    if (typeof v === 'string') {
      const error = goDurationError(v);
      if (error !== undefined) throw new RequestError(`Request decode failed: ${error}`);
    } else if (typeof v !== 'number') return undefined;
    ns = parseJsonDuration(v);
    if (ns === undefined) {
      throw new RequestError(
        `Request decode failed: json: cannot unmarshal number into Go value of type float64`,
      );
    }
  }
  return { ns, text: ns === 0n ? undefined : formatGoDuration(ns) };
}

/** goJsonKind names a decoded JSON value as Go's UnmarshalTypeError does. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function run<T>(fn: () => T): Parsed<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof RequestError) return { ok: false, message: err.message };
    throw err;
  }
}

function headerMap(obj: Obj): Record<string, string[]> | undefined {
  const v = field(obj, 'Header');
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new RequestError('Header must be an object of string lists');
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = [val];
    else if (Array.isArray(val) && val.every((x) => typeof x === 'string')) out[k] = val;
    else throw new RequestError(`Header.${k} must be a list of strings`);
  }
  return out;
}

/** CheckDefaults are what the caller knows about a check being parsed. */
export interface CheckDefaults {
  readonly node: string;
  /** The instance an embedded check belongs to. */
  readonly serviceId?: string;
  readonly serviceName?: string;
  /** The default CheckID of an embedded check (`service:<id>` or `service:<id>:<n>`). */
  readonly checkId?: string;
  /** Require a runnable definition (agent endpoints and config files). */
  readonly requireType: boolean;
  /** Where the definition comes from (default `request`). */
  readonly source?: DefinitionSource;
  /**
   * For a check of `/v1/catalog/register` (a HealthCheck, `Check` or `Checks`): its own
   * `Interval` and `Timeout` are strings there; the durations are read from `Definition`.
   */
  readonly catalogField?: 'Check' | 'Checks';
}

// Consul's texts (CheckType.Validate, prefixed by the agent endpoints).
const INTERVAL_REQUIRED =
  'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks';
const TTL_REQUIRED = 'Invalid check: TTL must be > 0 for TTL checks';

function buildCheck(raw: Obj, d: CheckDefaults): CheckRecord {
  const args = strings(raw, 'Args');
  const scriptArgs = args.length > 0 ? args : strings(raw, 'ScriptArgs');
  const def: {
    -readonly [K in keyof CheckDefinition]: CheckDefinition[K];
  } = {};
  let type: CheckType = '';
  const source = d.source ?? 'request';
  const defObj = field(raw, 'Definition');
  if (d.catalogField !== undefined) {
    for (const name of ['Interval', 'Timeout']) {
      const v = field(raw, name);
      if (v !== undefined && v !== null && typeof v !== 'string') {
        throw new RequestError(
          `Request decode failed: json: cannot unmarshal ${goJsonKind(v)} into Go struct field HealthCheck.${d.catalogField}.${name} of type string`,
        );
      }
    }
  }
  const src = isObj(defObj) ? { ...defObj, ...raw } : raw;
  const http = str(src, 'HTTP');
  const tcp = str(src, 'TCP');
  const ttl = duration(src, 'TTL', source);
  if (scriptArgs.length > 0) {
    type = 'script';
    def.args = scriptArgs;
  } else if (http !== '') {
    type = 'http';
    def.http = http;
    const method = str(src, 'Method');
    if (method !== '') def.method = method;
    const header = headerMap(src);
    if (header) def.header = header;
    const body = str(src, 'Body');
    if (body !== '') def.body = body;
  } else if (tcp !== '') {
    type = 'tcp';
    def.tcp = tcp;
  } else if (ttl?.text !== undefined && ttl.ns > 0n) {
    // As Consul's CheckType.IsTTL: a TTL of 0 or less makes no TTL check.
    type = 'ttl';
    def.ttl = ttl.text;
  }
  const interval = duration(src, 'Interval', source);
  const timeout = duration(src, 'Timeout', source);
  const dcsa = duration(src, 'DeregisterCriticalServiceAfter', source);
  if (interval?.text !== undefined) def.interval = interval.text;
  if (timeout?.text !== undefined) def.timeout = timeout.text;
  if (dcsa?.text !== undefined) def.deregisterCriticalServiceAfter = dcsa.text;
  if (d.requireType) {
    if (type === '') throw new RequestError(TTL_REQUIRED);
    if (type !== 'ttl' && (interval === undefined || interval.ns <= 0n)) {
      throw new RequestError(INTERVAL_REQUIRED);
    }
  }
  const name = str(
    raw,
    'Name',
    d.serviceName !== undefined ? `Service '${d.serviceName}' check` : '',
  );
  const checkId = str(raw, 'CheckID', str(raw, 'ID', d.checkId ?? name));
  if (checkId === '') throw new RequestError('Missing check name');
  const status = str(raw, 'Status', 'critical');
  // New checks start critical unless a Status is given (Consul's default).
  if (!isCheckStatus(status))
    throw new RequestError(`Invalid check status: ${JSON.stringify(status)}`);
  return {
    node: str(raw, 'Node', d.node) || d.node,
    checkId,
    name: name === '' ? checkId : name,
    status,
    notes: str(raw, 'Notes'),
    output: str(raw, 'Output'),
    serviceId: d.serviceId ?? str(raw, 'ServiceID'),
    type,
    definition: def,
  };
}

/** parseCheck parses a check definition (agent check register, config files, catalog register). */
export function parseCheck(raw: unknown, defaults: CheckDefaults): Parsed<CheckRecord> {
  return run(() => {
    if (!isObj(raw)) throw new RequestError('Request decode failed: check must be an object');
    return buildCheck(raw, defaults);
  });
}

function buildService(raw: Obj, nameField: string): ServiceRecord {
  const service = str(raw, nameField);
  if (service === '') throw new RequestError('Missing service name');
  const w = field(raw, 'Weights');
  let weights = { passing: 1, warning: 1 };
  if (isObj(w)) weights = { passing: int(w, 'Passing') || 1, warning: int(w, 'Warning') };
  return {
    id: str(raw, 'ID', service) || service,
    service,
    tags: strings(raw, 'Tags'),
    address: str(raw, 'Address'),
    taggedAddresses: stringMap(raw, 'TaggedAddresses'),
    meta: stringMap(raw, 'Meta') ?? {},
    port: int(raw, 'Port'),
    weights,
    enableTagOverride: bool(raw, 'EnableTagOverride'),
    kind: str(raw, 'Kind'),
  };
}

/** ServiceDefinition is a parsed agent service registration: the instance and its checks. */
export interface ServiceDefinition {
  readonly service: ServiceRecord;
  readonly checks: CheckRecord[];
}

/**
 * parseServiceDefinition parses `/v1/agent/service/register` bodies and config-file `service`
 * entries (`name` required; embedded checks get IDs `service:<id>[:n]`).
 */
export function parseServiceDefinition(
  raw: unknown,
  node: string,
  source: DefinitionSource = 'request',
): Parsed<ServiceDefinition> {
  return run(() => {
    if (!isObj(raw)) throw new RequestError('Request decode failed: service must be an object');
    const service = buildService(raw, 'Name');
    const list: unknown[] = [];
    const one = field(raw, 'Check');
    if (one !== undefined && one !== null) list.push(one);
    const many = field(raw, 'Checks');
    if (Array.isArray(many)) list.push(...(many as unknown[]));
    else if (many !== undefined && many !== null) throw new RequestError('Checks must be a list');
    const checks = list.map((c, i) => {
      if (!isObj(c)) throw new RequestError('Request decode failed: check must be an object');
      return buildCheck(c, {
        node,
        serviceId: service.id,
        serviceName: service.service,
        checkId: list.length > 1 ? `service:${service.id}:${i + 1}` : `service:${service.id}`,
        requireType: true,
        source,
      });
    });
    return { service, checks };
  });
}

/** parseCatalogRegister parses a PUT /v1/catalog/register body. */
export function parseCatalogRegister(
  raw: unknown,
  datacenter: string,
): Parsed<CatalogRegisterCommand> {
  return run(() => {
    if (!isObj(raw)) throw new RequestError('Request decode failed: body must be an object');
    const nodeName = str(raw, 'Node');
    if (nodeName === '') throw new RequestError('Must provide node');
    const skipNodeUpdate = bool(raw, 'SkipNodeUpdate');
    const address = str(raw, 'Address');
    if (address === '' && !skipNodeUpdate) throw new RequestError('Must provide address');
    const node: NodeRecord = {
      node: nodeName,
      id: str(raw, 'ID'),
      address,
      datacenter: str(raw, 'Datacenter', datacenter) || datacenter,
      taggedAddresses: stringMap(raw, 'TaggedAddresses'),
      meta: stringMap(raw, 'NodeMeta'),
    };
    const rawService = field(raw, 'Service');
    let service: ServiceRecord | null = null;
    if (isObj(rawService)) service = buildService(rawService, 'Service');
    const list: { check: unknown; catalogField: 'Check' | 'Checks' }[] = [];
    const one = field(raw, 'Check');
    if (one !== undefined && one !== null) list.push({ check: one, catalogField: 'Check' });
    const many = field(raw, 'Checks');
    if (Array.isArray(many)) {
      for (const check of many as unknown[]) list.push({ check, catalogField: 'Checks' });
    }
    const checks = list.map(({ check, catalogField }) => {
      if (!isObj(check)) throw new RequestError('Request decode failed: check must be an object');
      return buildCheck(check, { node: nodeName, requireType: false, catalogField });
    });
    return { type: 'catalog-register', node, skipNodeUpdate, service, checks };
  });
}

/** parseCatalogDeregister parses a PUT /v1/catalog/deregister body. */
export function parseCatalogDeregister(raw: unknown): Parsed<CatalogDeregisterCommand> {
  return run(() => {
    if (!isObj(raw)) throw new RequestError('Request decode failed: body must be an object');
    const node = str(raw, 'Node');
    if (node === '') throw new RequestError('Must provide node');
    const serviceId = str(raw, 'ServiceID');
    const checkId = str(raw, 'CheckID');
    const cmd: { -readonly [K in keyof CatalogDeregisterCommand]: CatalogDeregisterCommand[K] } = {
      type: 'catalog-deregister',
      node,
    };
    if (serviceId !== '') cmd.serviceId = serviceId;
    if (checkId !== '') cmd.checkId = checkId;
    return cmd;
  });
}
