/**
 * Go signatures of confd's template functions (confd `resource/template/template_funcs.go` and
 * memkv's `FuncMap`). text/template checks arity and argument types against these before it
 * calls a function; the executor does the same so errors read exactly as Go's
 * (`wrong type for value; expected int; got string`, `expected string; found 1`).
 */

/** ParamType is a Go parameter type as text/template's errors print it. */
export type ParamType = 'string' | 'int' | 'interface {}' | '[]string' | '[]memkv.KVPair';

/** Signature is a function's parameter list; a variadic last parameter is given by its element. */
export interface Signature {
  readonly params: readonly ParamType[];
  readonly variadic: boolean;
}

const S: ParamType = 'string';
const I: ParamType = 'int';
const ANY: ParamType = 'interface {}';

function fixed(...params: ParamType[]): Signature {
  return { params, variadic: false };
}

function variadic(...params: ParamType[]): Signature {
  return { params, variadic: true };
}

/** CONFD_SIGNATURES maps each confd function name to its Go signature. */
export const CONFD_SIGNATURES: Readonly<Record<string, Signature>> = {
  // memkv
  get: fixed(S),
  gets: fixed(S),
  getv: variadic(S, S),
  getvs: fixed(S),
  exists: fixed(S),
  ls: fixed(S),
  lsdir: fixed(S),
  // confd
  base: fixed(S),
  dir: fixed(S),
  split: fixed(S, S),
  join: fixed('[]string', S),
  json: fixed(S),
  jsonArray: fixed(S),
  map: variadic(ANY),
  getenv: variadic(S, S),
  datetime: fixed(),
  toUpper: fixed(S),
  toLower: fixed(S),
  contains: fixed(S, S),
  replace: fixed(S, S, S, I),
  trimSuffix: fixed(S, S),
  lookupIP: fixed(S),
  lookupIPV4: fixed(S),
  lookupIPV6: fixed(S),
  lookupSRV: fixed(S, S, S),
  service: fixed(S),
  services: fixed(),
  nodes: fixed(),
  fileExists: fixed(S),
  base64Encode: fixed(S),
  base64Decode: fixed(S),
  parseBool: fixed(S),
  reverse: fixed(ANY),
  sortByLength: fixed('[]string'),
  sortKVByLength: fixed('[]memkv.KVPair'),
  add: fixed(I, I),
  sub: fixed(I, I),
  div: fixed(I, I),
  mod: fixed(I, I),
  mul: fixed(I, I),
  seq: fixed(I, I),
  atoi: fixed(S),
};
