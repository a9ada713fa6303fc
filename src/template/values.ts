/**
 * Value conventions shared by both template engines (Go text/template in `src/template/go/` and
 * handlebars) and the function library in `functions.ts`.
 *
 * How Go values map to JavaScript values:
 *
 * | Go type                          | JavaScript value                                          |
 * |----------------------------------|-----------------------------------------------------------|
 * | `string`                         | `string`                                                  |
 * | `bool`                           | `boolean`                                                 |
 * | `int`                            | `number` (always an integer); `bigint` only for int64     |
 * |                                  | results that do not fit in 2^53 (`GoTime.UnixNano()`)     |
 * | `float64` (JSON numbers)         | {@link GoFloat}; it prints `1e+06` in Go, `1000000` in JS |
 * | `[]T` (`[]string`, `[]int`, ...) | a plain `Array`; library results carry their Go type      |
 * |                                  | under {@link goListType} (see {@link typedList})          |
 * | `map[string]interface{}`         | a plain object (prototype `Object.prototype` or `null`);  |
 * |                                  | Go iterates and prints it with sorted keys, see           |
 * |                                  | {@link isGoMap} and {@link sortedMapKeys}; library maps   |
 * |                                  | are laid out in that order already                        |
 * | `time.Month`, `time.Weekday`     | `GoNamedInt` (number via valueOf, prints its name)        |
 * | `time.Duration`                  | `GoDuration` (nanoseconds as a bigint)                    |
 * | `nil` (JSON null, nil map value) | `null` (Go prints `<no value>`)                           |
 * | `memkv.KVPair`                   | {@link KVPair} with fields `Key` and `Value`              |
 * | `time.Time`                      | `GoTime` (see `go-time.ts`), methods by Go names          |
 * | `*net.SRV`                       | {@link SRVRecord} with `Target Port Priority Weight`      |
 *
 * Class instances expose their Go fields and methods under the Go (capitalised) names. A Go engine
 * must resolve only names starting with an upper-case letter on them: a name whose property is a
 * function is a method call, otherwise it is a field. JavaScript helpers (`toString`, `valueOf`,
 * `toJSON`) are lower-case and so stay unreachable from Go templates. How Go's `%v` prints a class
 * instance is given by its {@link goFormat} method.
 *
 * Functions signal failure by THROWING. A plain `Error` carries exactly the text of confd's Go
 * error (`key does not exist: /x`, `runtime error: integer divide by zero`); the Go engine wraps it
 * as `error calling getv: <text>`. A {@link TemplateArgumentError} is an argument that Go's
 * text/template itself would reject before calling the function (`wrong type for value; expected
 * int; got string`, `wrong number of args for add: want 2 got 1`); the Go engine reports it without
 * the `error calling` prefix.
 */
import type { LookupRequest } from './types.js';
import { formatFloat } from '../go/float.js';
import { goFormat } from './go-format.js';
import { GoDuration, GoNamedInt, GoTime } from './go-time.js';

export { goFormat, type GoFormattable } from './go-format.js';
export { TemplateArgumentError } from './argument-error.js';
export { GoTime, GoDuration, GoNamedInt, type GoZone } from './go-time.js';

/** KVPair is memkv's key/value pair; Go's `%v` prints it `{/database/port 3306}`. */
export class KVPair {
  /** The key, `/`-rooted after prefix stripping. */
  readonly Key: string;
  /** The value. */
  readonly Value: string;

  constructor(key: string, value: string) {
    this.Key = key;
    this.Value = value;
  }

  [goFormat](): string {
    return `{${this.Key} ${this.Value}}`;
  }

  toString(): string {
    return this[goFormat]();
  }
}

/**
 * GoFloat is a Go float64 (every number decoded by `json`/`jsonArray`). It behaves as a number in
 * JavaScript arithmetic and comparisons, prints like a JavaScript number in handlebars
 * (`1000000`), and like Go's `%v` (`1e+06`) through {@link goFormat}.
 */
export class GoFloat {
  /** The numeric value. */
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return String(this.value);
  }

  toJSON(): number {
    return this.value;
  }

  [goFormat](): string {
    // Go's %v of a float64 is %g with the shortest precision (exponent form from 1e+06).
    return formatFloat(this.value, 'g', -1);
  }
}

/** SRVRecord is Go's `net.SRV`, as `lookupSRV` returns it. */
export class SRVRecord {
  readonly Target: string;
  readonly Port: number;
  readonly Priority: number;
  readonly Weight: number;

  constructor(target: string, port: number, priority: number, weight: number) {
    this.Target = target;
    this.Port = port;
    this.Priority = priority;
    this.Weight = weight;
  }

  /** Go prints a top-level `*net.SRV` as `&{target port priority weight}`. */
  [goFormat](): string {
    return `&{${this.Target} ${this.Port} ${this.Priority} ${this.Weight}}`;
  }

  toString(): string {
    return this[goFormat]();
  }
}

/** TemplateFunction is one library function; it throws an Error with confd's text on failure. */
export type TemplateFunction = (...args: unknown[]) => unknown;

/** TemplateFunctions is the function map handed to an engine, by confd's names. */
export type TemplateFunctions = Record<string, TemplateFunction>;

/** LookupRecorder collects I/O lookups a render asked for but `RenderContext.lookups` lacked. */
export interface LookupRecorder {
  /** record notes a miss; `id` is stable for equal requests (see `lookupId`). */
  record(id: string, request: LookupRequest): void;
}

/** createLookupRecorder makes a recorder that collects misses into a Map (id → request). */
export function createLookupRecorder(): LookupRecorder & {
  readonly missing: Map<string, LookupRequest>;
} {
  const missing = new Map<string, LookupRequest>();
  return {
    missing,
    record(id, request) {
      if (!missing.has(id)) missing.set(id, request);
    },
  };
}

/** lookupId is the stable cache id of a lookup request, e.g. `ip:example.com`. */
export function lookupId(request: LookupRequest): string {
  switch (request.kind) {
    case 'ip':
      return `ip:${request.host}`;
    case 'srv':
      return `srv:${request.service}:${request.proto}:${request.name}`;
    case 'service':
      return `service:${request.name}:${request.tag}:${request.passing ? 'passing' : 'any'}`;
    case 'services':
    case 'nodes':
      return request.kind;
  }
}

/**
 * lookupResult reads a lookup's result from the render's resolved cache; on a miss it records the
 * request (the daemon resolves it and renders again) and answers an empty list for now. The
 * result is a copy: reverse and sortByLength work in place and must not alter the cache.
 */
export function lookupResult(
  lookups: ReadonlyMap<string, unknown> | undefined,
  recorder: LookupRecorder,
  request: LookupRequest,
): unknown[] {
  const id = lookupId(request);
  const hit = lookups?.get(id);
  if (hit === undefined) {
    recorder.record(id, request);
    return [];
  }
  return Array.isArray(hit) ? [...(hit as unknown[])] : [];
}

/** isGoMap tells whether a value stands for a Go `map[string]interface{}` (a plain object). */
export function isGoMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** sortedMapKeys is the order Go's range and `%v` use for a map: keys sorted by byte value. */
export function sortedMapKeys(map: Record<string, unknown>): string[] {
  return Object.keys(map).sort(compareGoStrings);
}

/** compareGoStrings compares two strings like Go's `<` (UTF-8 byte order). */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 code-unit order equals UTF-8 byte order except around surrogates; compare by code point.
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** goListType is the symbol under which a list records its Go type (`[]string`, `memkv.KVPairs`). */
export const goListType: unique symbol = Symbol.for('confd.goListType');

/**
 * typedList marks a list with its Go type, so that {@link goTypeName} (and `printf "%T"`) name it
 * as Go would even when it is empty (`ls` → `[]string`, `gets` → `memkv.KVPairs`, `jsonArray` →
 * `[]interface {}`). The mark is a non-enumerable property and survives in-place sorting.
 */
export function typedList<T>(list: T[], goType: string): T[] {
  Object.defineProperty(list, goListType, { value: goType, enumerable: false, configurable: true });
  return list;
}

/**
 * goTypeName is the Go type name of a library value, as Go's error messages print it
 * (`string`, `int`, `float64`, `[]string`, `map[string]interface {}`, `memkv.KVPair`, ...).
 */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func';
    case 'symbol':
    case 'undefined':
      return '<nil>';
    case 'object':
      break;
  }
  if (value instanceof GoFloat) return 'float64';
  if (value instanceof KVPair) return 'memkv.KVPair';
  if (value instanceof SRVRecord) return '*net.SRV';
  if (value instanceof GoTime) return 'time.Time';
  if (value instanceof GoDuration) return 'time.Duration';
  if (value instanceof GoNamedInt) return value.goTypeName();
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (Array.isArray(value)) {
    const declared = (value as { [goListType]?: unknown })[goListType];
    return typeof declared === 'string' ? declared : `[]${elementTypeName(value)}`;
  }
  if (isGoMap(value)) return 'map[string]interface {}';
  return typeof name === 'string' ? name : 'interface {}';
}

function elementTypeName(list: readonly unknown[]): string {
  if (list.length === 0) return 'interface {}';
  const names = new Set(list.map(goTypeName));
  return names.size === 1 ? [...names][0] : 'interface {}';
}
