/**
 * text/template's predefined functions with Go's semantics and error texts: `not len index slice
 * print printf println html js urlquery eq ne lt le gt ge call` (`and`/`or` short-circuit and live
 * in the executor). Each throws a plain Error with Go's message; the executor adds
 * `error calling <name>:`.
 */
import { GoFloat } from '../values.js';
import {
  floatValueOf,
  intValueOf,
  isMapValue,
  printString,
  sprint,
  sprintf,
  sprintln,
  structFields,
  typeName,
} from './fmt.js';

/** isTrue is Go's template truth: empty string, 0, nil, empty slice/map and false are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'function':
      return true;
    case 'object':
      break;
    default:
      return true;
  }
  if (v instanceof GoFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isMapValue(v)) return Object.keys(v).length > 0;
  const n = intValueOf(v);
  if (n !== undefined) return n !== 0 && n !== 0n;
  return true; // structs are always true
}

/** Builtin describes one predefined function: its Go arity and implementation. */
export interface Builtin {
  /** Fixed parameter count (for variadic: the count before `...`). */
  readonly fixed: number;
  readonly variadic: boolean;
  /** Whether invalid (missing) arguments reach the function as Go nil interfaces. */
  readonly nilArgs: boolean;
  readonly fn: (args: unknown[]) => unknown;
}

/** byteLength is the length of a Go string: its UTF-8 byte count. */
function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n = Buffer.byteLength(s);
    if (c >= 0x80) break;
  }
  return n;
}

function length(item: unknown): number {
  if (item === undefined || item === null) {
    throw new Error('reflect: call of reflect.Value.Type on zero Value');
  }
  if (typeof item === 'string') return byteLength(item);
  if (Array.isArray(item)) return item.length;
  if (item instanceof Map) return item.size;
  if (isMapValue(item)) return Object.keys(item).length;
  throw new Error(`len of type ${typeName(item)}`);
}

function indexArg(index: unknown, cap: number): number {
  if (index === undefined || index === null) throw new Error('cannot index slice/array with nil');
  const x = intValueOf(index);
  if (x === undefined) throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  const n = Number(x);
  if (n < 0 || n > cap) throw new Error(`index out of range: ${n}`);
  return n;
}

function index(args: unknown[]): unknown {
  let item = args[0];
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  for (let i = 1; i < args.length; i++) {
    const idx = args[i];
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    if (typeof item === 'string' || Array.isArray(item)) {
      const len = typeof item === 'string' ? byteLength(item) : item.length;
      const x = indexArg(idx, len);
      if (x === len) throw new Error(`index out of range: ${x}`);
      item = typeof item === 'string' ? Buffer.from(item, 'utf8')[x] : (item as unknown[])[x];
      continue;
    }
    if (item instanceof Map) {
      item = item.has(idx) ? item.get(idx) : null;
      continue;
    }
    if (isMapValue(item)) {
      const map = item as Record<string, unknown>;
      if (idx === undefined || idx === null)
        throw new Error('value is nil; should be of type string');
      if (typeof idx !== 'string') {
        throw new Error(`value has type ${typeName(idx)}; should be string`);
      }
      // A missing key yields the zero value of interface{}: nil.
      item = Object.hasOwn(map, idx) ? map[idx] : null;
      continue;
    }
    throw new Error(`can't index item of type ${typeName(item)}`);
  }
  return item;
}

function slice(args: unknown[]): unknown {
  const item = args[0];
  const indexes = args.slice(1);
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    cap = len = byteLength(item);
  } else if (Array.isArray(item)) {
    cap = len = item.length;
  } else {
    throw new Error(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, cap];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, cap);
  });
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) {
    throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  }
  if (typeof item === 'string') {
    if (len === item.length) return item.slice(idx[0], idx[1]);
    return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  }
  return item.slice(idx[0], idx[1]);
}

// --- comparison ---------------------------------------------------------------------------

const BAD_TYPE = 'invalid type for comparison';
const BAD_COMPARISON = 'incompatible types for comparison';

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): BasicKind {
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    default:
      break;
  }
  if (v instanceof GoFloat) return 'float';
  if (intValueOf(v) !== undefined) return 'int';
  return 'invalid';
}

function numberOf(v: unknown): number {
  const f = floatValueOf(v);
  if (f !== undefined) return f;
  return Number(intValueOf(v) ?? 0);
}

function isNilValue(v: unknown): boolean {
  return v === undefined || v === null;
}

function structEqual(a: object, b: object): boolean {
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const fa = structFields(a);
  return fa.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

function eq(args: unknown[]): boolean {
  const a = args[0];
  if (args.length < 2) throw new Error('missing argument for comparison');
  const k1 = basicKind(a);
  for (let i = 1; i < args.length; i++) {
    const b = args[i];
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if (!isNilValue(a) && !isNilValue(b)) throw new Error(BAD_COMPARISON);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = a === b;
          break;
        case 'int':
        case 'float':
          truth = numberOf(a) === numberOf(b);
          break;
        case 'invalid':
          if (isNilValue(a) || isNilValue(b)) {
            truth = isNilValue(a) === isNilValue(b);
          } else if (Array.isArray(a) || isMapValue(a) || typeof a === 'function') {
            throw new Error(`non-comparable type ${printString(a)}: ${typeName(a)}`);
          } else if (Array.isArray(b) || isMapValue(b) || typeof b === 'function') {
            throw new Error(`non-comparable type ${printString(b)}: ${typeName(b)}`);
          } else if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
            truth = a === b || structEqual(a, b);
          }
          break;
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  if (k1 === 'invalid') throw new Error(BAD_TYPE);
  const k2 = basicKind(b);
  if (k2 === 'invalid') throw new Error(BAD_TYPE);
  if (k1 !== k2) throw new Error(BAD_COMPARISON);
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
  switch (k1) {
    case 'bool':
      throw new Error(BAD_TYPE);
    case 'string':
      return compareStrings(a as string, b as string) < 0;
    default:
      return numberOf(a) < numberOf(b);
  }
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// --- escaping -----------------------------------------------------------------------------

/** evalArgs is text/template's evalArgs: a lone string as is, else fmt.Sprint of the values. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

/** htmlEscape is Go's template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case "'":
        return '&#39;';
      case '"':
        return '&#34;';
      default:
        return '\uFFFD';
    }
  });
}

/** Printable runes; created on first use (a Unicode-property regex is slow to build). */
let printableRune: RegExp | undefined;

/** jsEscape is Go's template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (c < 0x20) {
      out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else if (
      c < 0x80 ||
      c === 0x20 ||
      (printableRune ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u).test(ch)
    ) {
      out += ch;
    } else {
      out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return out;
}

/** queryEscape is Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e
    ) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += '+';
    } else {
      out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function call(args: unknown[]): unknown {
  const fn = args[0];
  if (fn === undefined || fn === null) throw new Error('call of nil');
  if (typeof fn !== 'function') throw new Error(`non-function of type ${typeName(fn)}`);
  return (fn as (...a: unknown[]) => unknown)(...args.slice(1));
}

/** BUILTINS maps each predefined function (except and/or) to its arity and implementation. */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  not: { fixed: 1, variadic: false, nilArgs: false, fn: (a) => !isTrue(a[0]) },
  len: { fixed: 1, variadic: false, nilArgs: false, fn: (a) => length(a[0]) },
  index: { fixed: 1, variadic: true, nilArgs: false, fn: index },
  slice: { fixed: 1, variadic: true, nilArgs: false, fn: slice },
  print: { fixed: 0, variadic: true, nilArgs: true, fn: (a) => sprint(a) },
  printf: {
    fixed: 1,
    variadic: true,
    nilArgs: true,
    fn: (a) => sprintf(a[0] as string, a.slice(1)),
  },
  println: { fixed: 0, variadic: true, nilArgs: true, fn: (a) => sprintln(a) },
  html: { fixed: 0, variadic: true, nilArgs: true, fn: (a) => htmlEscape(evalArgs(a)) },
  js: { fixed: 0, variadic: true, nilArgs: true, fn: (a) => jsEscape(evalArgs(a)) },
  urlquery: { fixed: 0, variadic: true, nilArgs: true, fn: (a) => queryEscape(evalArgs(a)) },
  eq: { fixed: 1, variadic: true, nilArgs: false, fn: eq },
  ne: { fixed: 2, variadic: false, nilArgs: false, fn: (a) => !eq(a) },
  lt: { fixed: 2, variadic: false, nilArgs: false, fn: (a) => lt(a[0], a[1]) },
  le: { fixed: 2, variadic: false, nilArgs: false, fn: (a) => lt(a[0], a[1]) || eq(a) },
  gt: { fixed: 2, variadic: false, nilArgs: false, fn: (a) => !(lt(a[0], a[1]) || eq(a)) },
  ge: { fixed: 2, variadic: false, nilArgs: false, fn: (a) => !lt(a[0], a[1]) },
  call: { fixed: 1, variadic: true, nilArgs: false, fn: call },
};

/** BUILTIN_NAMES lists every predefined function name, including `and` and `or`. */
export const BUILTIN_NAMES: readonly string[] = ['and', 'or', ...Object.keys(BUILTINS)];
