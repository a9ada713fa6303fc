/**
 * confd's template function library: every function of confd's `newFuncMap()` plus memkv's
 * `FuncMap`, under the same names and with the same semantics and error texts. Both engines
 * (Go text/template and handlebars) call these. See docs/template-functions.md.
 *
 * Each function throws on failure: a plain Error whose message is exactly confd's error text
 * (`key does not exist: /x`), a {@link KeyMissingError} for missing keys, or a
 * {@link TemplateArgumentError} for arguments Go's text/template would reject itself.
 */
import { statFileExists, type FileExistsFn } from './file-exists.js';
import { asInt, asInt64, asKVList, asString, asStringList, checkArity } from './go-args.js';
import { decodeJSONArray, decodeJSONObject } from './go-json.js';
import { pathBase, pathDir } from '../go/path.js';
import {
  atoi,
  base64Decode,
  mapRunes,
  parseBool,
  replace,
  toGoInt,
  wrapInt64,
} from './go-strconv.js';
import { GoTime } from './go-time.js';
import { createLookupFunctions } from './functions-lookup.js';
import { createServiceFunctions } from './functions-service.js';
import { MemKV } from './memkv.js';
import type { RenderContext } from './types.js';
import {
  KVPair,
  compareGoStrings,
  typedList,
  type LookupRecorder,
  type TemplateFunction,
} from './values.js';

export { KeyMissingError, keyMissingMessage } from './memkv.js';
export type { FileExistsFn } from './file-exists.js';

/** FUNCTION_NAMES lists every function the library provides (confd's set), sorted. */
export const FUNCTION_NAMES = [
  'add',
  'atoi',
  'base',
  'base64Decode',
  'base64Encode',
  'contains',
  'datetime',
  'dir',
  'div',
  'exists',
  'fileExists',
  'get',
  'getenv',
  'gets',
  'getv',
  'getvs',
  'join',
  'json',
  'jsonArray',
  'lookupIP',
  'lookupIPV4',
  'lookupIPV6',
  'lookupSRV',
  'ls',
  'lsdir',
  'map',
  'mod',
  'mul',
  'nodes',
  'parseBool',
  'replace',
  'reverse',
  'seq',
  'service',
  'services',
  'sortByLength',
  'sortKVByLength',
  'split',
  'sub',
  'toLower',
  'toUpper',
  'trimSuffix',
] as const;

/** SEQ_LIMIT is the most elements `seq` returns (confd has no limit). */
export const SEQ_LIMIT = 1_000_000;

/** FunctionName is the name of one library function. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** CreateFunctionsOptions holds collaborators of the library. */
export interface CreateFunctionsOptions {
  /**
   * fileExists backs the `fileExists` function; defaults to `context.fileExists`, then to a real
   * `os.Stat`-like check (the library's only file-system access, as in confd).
   */
  readonly fileExists?: FileExistsFn;
}

/**
 * createFunctions builds the function map for one render: memkv functions over `context.keys`,
 * `getenv` over `context.env`, `datetime` from `context.now()`, DNS lookups from
 * `context.lookups` (misses go to `recorder`).
 */
export function createFunctions(
  context: RenderContext,
  recorder: LookupRecorder,
  options: CreateFunctionsOptions = {},
): Record<FunctionName, TemplateFunction> {
  const kv = new MemKV(context.keys);
  const fileExists = options.fileExists ?? context.fileExists ?? statFileExists;
  const one = (name: string, args: unknown[]): string => {
    checkArity(name, args, 1);
    return asString(args[0]);
  };
  const two = (name: string, args: unknown[]): [string, string] => {
    checkArity(name, args, 2);
    return [asString(args[0]), asString(args[1])];
  };
  const ints = (name: string, args: unknown[]): [bigint, bigint] => {
    checkArity(name, args, 2);
    return [asInt64(args[0]), asInt64(args[1])];
  };
  const optionalDefault = (name: string, args: unknown[]): [string, string | undefined] => {
    checkArity(name, args, 1, true);
    const first = asString(args[0]);
    const rest = args.slice(1).map(asString);
    return [first, rest[0]];
  };
  const divisor = (b: bigint): bigint => {
    // Go panics on integer division by zero; text/template reports the panic as the error.
    if (b === 0n) throw new Error('runtime error: integer divide by zero');
    return b;
  };

  const functions: Record<FunctionName, TemplateFunction> = {
    // memkv
    get: (...args) => kv.get(one('get', args)),
    getv: (...args) => {
      const [key, fallback] = optionalDefault('getv', args);
      return kv.getValue(key, fallback);
    },
    gets: (...args) => kv.getAll(one('gets', args)),
    getvs: (...args) => kv.getAllValues(one('getvs', args)),
    exists: (...args) => kv.exists(one('exists', args)),
    ls: (...args) => kv.list(one('ls', args)),
    lsdir: (...args) => kv.listDir(one('lsdir', args)),

    // paths and strings
    base: (...args) => pathBase(one('base', args)),
    dir: (...args) => pathDir(one('dir', args)),
    split: (...args) => {
      const [s, sep] = two('split', args);
      return typedList(sep === '' ? Array.from(s) : s.split(sep), '[]string');
    },
    join: (...args) => {
      checkArity('join', args, 2);
      return asStringList(args[0]).join(asString(args[1]));
    },
    toUpper: (...args) => mapRunes(one('toUpper', args), true),
    toLower: (...args) => mapRunes(one('toLower', args), false),
    contains: (...args) => {
      const [s, sub] = two('contains', args);
      return s.includes(sub);
    },
    replace: (...args) => {
      checkArity('replace', args, 4);
      return replace(asString(args[0]), asString(args[1]), asString(args[2]), asInt(args[3]));
    },
    trimSuffix: (...args) => {
      const [s, suffix] = two('trimSuffix', args);
      return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
    },
    base64Encode: (...args) => Buffer.from(one('base64Encode', args), 'utf8').toString('base64'),
    base64Decode: (...args) => base64Decode(one('base64Decode', args)).toString('utf8'),

    // data
    json: (...args) => decodeJSONObject(one('json', args)),
    jsonArray: (...args) => decodeJSONArray(one('jsonArray', args)),
    map: (...args) => {
      if (args.length % 2 !== 0) throw new Error('invalid map call');
      const entries: [string, unknown][] = [];
      for (let i = 0; i < args.length; i += 2) {
        const key = args[i];
        if (typeof key !== 'string') throw new Error('map keys must be strings');
        entries.push([key, args[i + 1]]);
      }
      // Later duplicates win, as in Go; keys are laid out sorted, the order Go ranges over them.
      const map = new Map(entries);
      return Object.fromEntries([...map].sort(([a], [b]) => compareGoStrings(a, b)));
    },
    parseBool: (...args) => parseBool(one('parseBool', args)),
    atoi: (...args) => atoi(one('atoi', args)),
    getenv: (...args) => {
      const [key, fallback] = optionalDefault('getenv', args);
      const value = Object.hasOwn(context.env, key) ? context.env[key] : undefined;
      return value === undefined || value === '' ? (fallback ?? '') : value;
    },
    datetime: (...args) => {
      checkArity('datetime', args, 0);
      return GoTime.fromMillis(context.now());
    },
    fileExists: (...args) => fileExists(one('fileExists', args)),

    // lists
    reverse: (...args) => {
      checkArity('reverse', args, 1);
      const list = args[0];
      // confd reverses []string and []KVPair in place and returns anything else unchanged.
      // Upstream's type switch misses memkv.KVPairs, so `reverse (gets ...)` did not reverse;
      // here it does (a list of KVPairs is a list of KVPairs).
      if (Array.isArray(list) && isHomogeneous(list)) list.reverse();
      return list;
    },
    sortByLength: (...args) => {
      checkArity('sortByLength', args, 1);
      return asStringList(args[0]).sort((a, b) => byteLength(a) - byteLength(b));
    },
    sortKVByLength: (...args) => {
      checkArity('sortKVByLength', args, 1);
      return asKVList(args[0]).sort((a, b) => byteLength(a.Key) - byteLength(b.Key));
    },
    seq: (...args) => {
      const [first, last] = ints('seq', args).map(Number) as [number, number];
      // Go would try to allocate any length; a bound keeps a bad key value from exhausting memory.
      if (last - first + 1 > SEQ_LIMIT) {
        throw new Error(`seq: ${last - first + 1} elements is more than the limit of ${SEQ_LIMIT}`);
      }
      const out: number[] = [];
      for (let i = first; i <= last; i += 1) out.push(i);
      return typedList(out, '[]int');
    },

    // integer arithmetic: Go ints (64-bit, truncating division, wrap-around)
    add: (...args) => {
      const [a, b] = ints('add', args);
      return wrapInt64(a + b);
    },
    sub: (...args) => {
      const [a, b] = ints('sub', args);
      return wrapInt64(a - b);
    },
    mul: (...args) => {
      const [a, b] = ints('mul', args);
      return wrapInt64(a * b);
    },
    div: (...args) => {
      const [a, b] = ints('div', args);
      return wrapInt64(a / divisor(b));
    },
    mod: (...args) => {
      const [a, b] = ints('mod', args);
      return toGoInt(a % divisor(b));
    },

    // DNS, from the resolved cache
    ...(createLookupFunctions(context, recorder) as Record<
      'lookupIP' | 'lookupIPV4' | 'lookupIPV6' | 'lookupSRV',
      TemplateFunction
    >),
    // Catalog (service discovery), from the resolved cache
    ...(createServiceFunctions(context, recorder) as Record<
      'service' | 'services' | 'nodes',
      TemplateFunction
    >),
  };
  return functions;
}

function isHomogeneous(list: unknown[]): boolean {
  return list.every((v) => typeof v === 'string') || list.every((v) => v instanceof KVPair);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
