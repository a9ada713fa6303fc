/**
 * Go's strconv pieces the template engine needs: unquoting string and character
 * literals, and parsing number literals the way text/template's parser does.
 */
import { goQuote, parseGoInt } from '../../go/strconv.js';

/** SyntaxError text of strconv (`invalid syntax`). */
const INVALID = 'invalid syntax';

/** unquoteChar decodes one (possibly escaped) character; returns [text, rest] or throws. */
function unquoteChar(s: string, quote: string): [string, string] {
  const c = s[0];
  if (c === undefined) throw new Error(INVALID);
  if (c === quote && (quote === "'" || quote === '"')) throw new Error(INVALID);
  if (c !== '\\') {
    const cp = s.codePointAt(0) ?? 0;
    const len = cp > 0xffff ? 2 : 1;
    return [s.slice(0, len), s.slice(len)];
  }
  const e = s[1];
  if (e === undefined) throw new Error(INVALID);
  const simple: Record<string, string> = {
    a: '\x07',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
    '\\': '\\',
  };
  const hit = simple[e];
  if (hit !== undefined) return [hit, s.slice(2)];
  if (e === "'" || e === '"') {
    if (e !== quote) throw new Error(INVALID);
    return [e, s.slice(2)];
  }
  let n = 0;
  if (e === 'x') n = 2;
  else if (e === 'u') n = 4;
  else if (e === 'U') n = 8;
  if (n > 0) {
    const hex = s.slice(2, 2 + n);
    if (hex.length < n || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(INVALID);
    const v = parseInt(hex, 16);
    if (e === 'x') {
      // A \x escape is one byte; bytes >= 0x80 are not valid UTF-8 on their own.
      return [v < 0x80 ? String.fromCharCode(v) : '\ufffd', s.slice(2 + n)];
    }
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new Error(INVALID);
    return [String.fromCodePoint(v), s.slice(2 + n)];
  }
  if (e >= '0' && e <= '7') {
    const oct = s.slice(1, 4);
    if (!/^[0-7]{3}$/.test(oct)) throw new Error(INVALID);
    const v = parseInt(oct, 8);
    if (v > 255) throw new Error(INVALID);
    return [v < 0x80 ? String.fromCharCode(v) : '\ufffd', s.slice(4)];
  }
  throw new Error(INVALID);
}

/** unquote is Go's strconv.Unquote for `"..."` and raw `` `...` `` literals; throws on bad syntax. */
export function unquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new Error(INVALID);
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new Error(INVALID);
    return body.includes('\r') ? body.replaceAll('\r', '') : body;
  }
  if (q !== '"') throw new Error(INVALID);
  if (!body.includes('\\') && !body.includes('"') && !body.includes('\n')) return body;
  let out = '';
  let rest = body;
  while (rest.length > 0) {
    if (rest[0] === '\n') throw new Error(INVALID);
    const [ch, tail] = unquoteChar(rest, '"');
    out += ch;
    rest = tail;
  }
  return out;
}

/** unquoteRune decodes a character literal `'x'`; it returns the code point. */
export function unquoteRune(lit: string): number {
  const [ch, tail] = unquoteChar(lit.slice(1), "'");
  if (tail !== "'") throw new Error(`malformed character constant: ${lit}`);
  return ch.codePointAt(0) ?? 0;
}

/** NumberLiteral is what text/template's parser knows about a number constant. */
export interface NumberLiteral {
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int: number;
  readonly float: number;
}

/** parseGoFloat is strconv.ParseFloat(s, 64); undefined on syntax or range errors. */
function parseGoFloat(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (/^0[xX]/.test(s)) {
    const m = /^0[xX]((?:_?[0-9a-fA-F])*)(?:\.((?:[0-9a-fA-F]_?)*))?[pP]([+-]?\d(?:_?\d)*)$/.exec(
      s,
    );
    if (m === null) return undefined;
    const intPart = (m[1] ?? '').replaceAll('_', '');
    const fracPart = (m[2] ?? '').replaceAll('_', '');
    if (intPart.length + fracPart.length === 0) return undefined;
    const mant = BigInt(`0x${intPart}${fracPart}` === '0x' ? '0' : `0x${intPart}${fracPart}`);
    const exp = Number((m[3] ?? '0').replaceAll('_', '')) - 4 * fracPart.length;
    const v = Number(mant) * 2 ** exp;
    return Number.isFinite(v) ? sign * v : undefined;
  }
  if (!/^(\d(_?\d)*)?(\.(\d(_?\d)*)?)?([eE][+-]?\d(_?\d)*)?$/.test(s)) return undefined;
  if (!/\d/.test(s.replace(/[eE].*$/, ''))) return undefined;
  const v = Number(s.replaceAll('_', ''));
  if (!Number.isFinite(v)) return undefined;
  return sign * v;
}

/**
 * parseNumberLiteral classifies a number token like text/template's `newNumber`: an int, a float,
 * or both (`1.0` is both); it throws Go's error text for bad literals.
 */
export function parseNumberLiteral(text: string, isChar: boolean): NumberLiteral {
  if (isChar) {
    const r = unquoteRune(text);
    return { isInt: true, isUint: true, isFloat: true, isComplex: false, int: r, float: r };
  }
  if (text.endsWith('i')) {
    const f = parseGoFloat(text.slice(0, -1));
    if (f !== undefined) {
      return { isInt: false, isUint: false, isFloat: false, isComplex: true, int: 0, float: f };
    }
  }
  // text/template's parser tries strconv.ParseUint(s, 0, 64) and strconv.ParseInt(s, 0, 64).
  const uint = parseGoInt(text, 64, false);
  const u = uint.ok ? uint.value : undefined;
  const isUint = uint.ok;
  const int = parseGoInt(text, 64, true);
  const i = int.ok ? int.value : undefined;
  const isInt = int.ok;
  if (isInt) {
    const n = Number(i);
    return {
      isInt: true,
      isUint: isUint || n === 0,
      isFloat: true,
      isComplex: false,
      int: n,
      float: n,
    };
  }
  if (isUint) {
    const n = Number(u);
    return { isInt: false, isUint: true, isFloat: true, isComplex: false, int: n, float: n };
  }
  const f = parseGoFloat(text);
  if (f === undefined) throw new Error(`illegal number syntax: ${goQuote(text)}`);
  if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${goQuote(text)}`);
  const intLike = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
  return {
    isInt: intLike,
    isUint: intLike && f >= 0,
    isFloat: true,
    isComplex: false,
    int: intLike ? f : 0,
    float: f,
  };
}
