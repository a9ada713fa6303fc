/**
 * Go's fmt package for template values: `Sprint`, `Sprintln`, `Sprintf` with Go's verbs, flags,
 * width and precision, `%!verb(type=value)` errors, `%!(EXTRA ...)` and `%!v(MISSING)`, and Go's
 * `%v` printing of slices, maps (sorted keys), structs and float64.
 */
import {
  GoFloat,
  compareGoStrings,
  goFormat,
  goTypeName,
  isGoMap,
  type GoFormattable,
} from '../values.js';
import { formatFloat } from '../../go/float.js';
import { goQuote, goQuoteRune, isPrintRune } from '../../go/strconv.js';

/** typeName is the Go type name of a value as `%T` and error messages print it. */
export function typeName(v: unknown): string {
  if (v !== null && typeof v === 'object') {
    const named = (v as { goTypeName?: unknown }).goTypeName;
    if (typeof named === 'function') return String((named as () => unknown).call(v));
  }
  return goTypeName(v);
}

/** stringerOf returns the Go `String()` method of a value, if it has one. */
export function stringerOf(v: unknown): (() => unknown) | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isGoMap(v)) return undefined;
  const m = (v as { String?: unknown }).String;
  return typeof m === 'function' ? (m as () => unknown) : undefined;
}

/** errorOf returns the Go `Error()` method of a value, if it has one. */
function errorOf(v: unknown): (() => unknown) | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isGoMap(v)) return undefined;
  const m = (v as { Error?: unknown }).Error;
  return typeof m === 'function' ? (m as () => unknown) : undefined;
}

/** intValueOf returns the integer of an int-like value (number, bigint, named int), else undefined. */
export function intValueOf(v: unknown): number | bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return v;
  if (v !== null && typeof v === 'object' && !(v instanceof GoFloat) && !isGoMap(v)) {
    const named = (v as { goTypeName?: unknown }).goTypeName;
    const valueOf = (v as { valueOf?: unknown }).valueOf;
    if (typeof named === 'function' && typeof valueOf === 'function') {
      const n: unknown = (valueOf as () => unknown).call(v);
      if (typeof n === 'number' && Number.isInteger(n)) return n;
    }
  }
  return undefined;
}

/** floatValueOf returns the float64 of a float value (GoFloat or non-integral number). */
export function floatValueOf(v: unknown): number | undefined {
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'number' && !Number.isInteger(v)) return v;
  return undefined;
}

/** structFields lists the exported (capitalised) data fields of a class instance. */
export function structFields(v: object): string[] {
  return Object.keys(v).filter((k) => {
    const c = k.charCodeAt(0);
    return c >= 65 && c <= 90 && typeof (v as Record<string, unknown>)[k] !== 'function';
  });
}

/** mapEntries lists a Go map's entries in Go's sorted key order. */
export function mapEntries(
  v: Record<string, unknown> | Map<unknown, unknown>,
): [unknown, unknown][] {
  const entries: [unknown, unknown][] =
    v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, v[k]]);
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareGoStrings(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareGoStrings(String(a), String(b));
}

/** isMapValue tells whether a value is a Go map (plain object or Map). */
export function isMapValue(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  return v instanceof Map || isGoMap(v);
}

const UPPER_HEX = '0123456789ABCDEF';
const LOWER_HEX = '0123456789abcdef';

/** Printer formats values into a buffer the way Go's fmt `pp` does. */
class Printer {
  buf = '';
  plus = false;
  minus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  wid = 0;
  widPresent = false;
  prec = 0;
  precPresent = false;
  #erroring = false;

  clearFlags(): void {
    this.plus = this.minus = this.sharp = this.space = this.zero = false;
    this.plusV = this.sharpV = false;
    this.wid = this.prec = 0;
    this.widPresent = this.precPresent = false;
  }

  // --- padding ------------------------------------------------------------------------------

  #padding(n: number): string {
    if (n <= 0) return '';
    return (this.zero ? '0' : ' ').repeat(n);
  }

  #pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (!this.minus) {
      this.buf += this.#padding(width) + s;
    } else {
      // Go never pads with zeros on the right.
      this.buf += s + (width > 0 ? ' '.repeat(width) : '');
    }
  }

  #padSpaces(s: string): void {
    const zero = this.zero;
    this.zero = false;
    this.#pad(s);
    this.zero = zero;
  }

  // --- scalars ------------------------------------------------------------------------------

  #fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.#pad(v ? 'true' : 'false');
    else this.#badVerb(verb, v);
  }

  #fmtInteger(v: number | bigint, verb: string, orig: unknown): void {
    switch (verb) {
      case 'v':
      case 'd':
        return this.#fmtIntBase(v, 10, verb, LOWER_HEX);
      case 'b':
        return this.#fmtIntBase(v, 2, verb, LOWER_HEX);
      case 'o':
      case 'O':
        return this.#fmtIntBase(v, 8, verb, LOWER_HEX);
      case 'x':
        return this.#fmtIntBase(v, 16, verb, LOWER_HEX);
      case 'X':
        return this.#fmtIntBase(v, 16, verb, UPPER_HEX);
      case 'c':
        return this.#pad(runeString(Number(v)));
      case 'q':
        return this.#pad(goQuoteRune(Number(v)));
      case 'U':
        return this.#fmtUnicode(Number(v));
      default:
        return this.#badVerb(verb, orig);
    }
  }

  #fmtIntBase(v: number | bigint, base: number, verb: string, digitsSet: string): void {
    const negative = v < 0;
    let u = typeof v === 'bigint' ? (negative ? -v : v) : BigInt(Math.abs(v));
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && u === 0n) {
        this.#padSpaces('');
        return;
      }
    } else if (this.zero && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let digits = '';
    if (u === 0n) digits = '0';
    const b = BigInt(base);
    while (u > 0n) {
      digits = digitsSet[Number(u % b)] + digits;
      u /= b;
    }
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (this.sharp) {
      if (base === 2) digits = '0b' + digits;
      else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
      else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (negative) digits = '-' + digits;
    else if (this.plus) digits = '+' + digits;
    else if (this.space) digits = ' ' + digits;
    this.#padSpaces(digits);
  }

  #fmtUnicode(r: number): void {
    let hex = r.toString(16).toUpperCase();
    const prec = this.precPresent && this.prec > 4 ? this.prec : 4;
    if (hex.length < prec) hex = '0'.repeat(prec - hex.length) + hex;
    let s = `U+${hex}`;
    if (this.sharp && r >= 0 && r <= 0x10ffff && isPrintRune(r))
      s += ` '${String.fromCodePoint(r)}'`;
    this.#padSpaces(s);
  }

  #fmtFloat(v: number, verb: string, orig: unknown): void {
    let prec: number;
    let fmtVerb = verb;
    switch (verb) {
      case 'v':
        fmtVerb = 'g';
        prec = -1;
        break;
      case 'b':
      case 'g':
      case 'G':
        prec = -1;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        fmtVerb = verb === 'F' ? 'f' : verb;
        prec = 6;
        break;
      default:
        return this.#badVerb(verb, orig);
    }
    if (this.precPresent) prec = this.prec;
    let num = formatFloat(v, fmtVerb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.space && num[0] === '+' && !this.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.#padSpaces(num);
      return;
    }
    if (this.plus || num[0] !== '+') {
      if (this.zero && this.widPresent && this.wid > num.length) {
        this.buf += num[0] + '0'.repeat(this.wid - num.length) + num.slice(1);
        return;
      }
      this.#pad(num);
      return;
    }
    this.#pad(num.slice(1));
  }

  #fmtString(s: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.#pad(goQuote(s));
        else this.#fmtS(s);
        return;
      case 's':
        return this.#fmtS(s);
      case 'x':
        return this.#fmtHexString(s, LOWER_HEX);
      case 'X':
        return this.#fmtHexString(s, UPPER_HEX);
      case 'q':
        return this.#fmtQ(s);
      default:
        return this.#badVerb(verb, s);
    }
  }

  #fmtS(s: string): void {
    if (this.precPresent) s = truncateRunes(s, this.prec);
    this.#pad(s);
  }

  #fmtQ(s: string): void {
    if (this.precPresent) s = truncateRunes(s, this.prec);
    if (this.sharp && canBackquote(s)) {
      this.#pad('`' + s + '`');
      return;
    }
    this.#pad(this.plus ? asciiQuote(s) : goQuote(s));
  }

  #fmtHexString(s: string, digits: string): void {
    const bytes = Buffer.from(s, 'utf8');
    let length = bytes.length;
    if (this.precPresent && this.prec < length) length = this.prec;
    let out = '';
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) out += ' ';
      if (this.sharp && (this.space || i === 0)) out += digits === UPPER_HEX ? '0X' : '0x';
      const b = bytes[i];
      out += digits[b >> 4] + digits[b & 15];
    }
    this.#padSpaces(out);
  }

  // --- errors -------------------------------------------------------------------------------

  #badVerb(verb: string, value: unknown): void {
    this.#erroring = true;
    this.buf += `%!${verb}(`;
    if (value === null || value === undefined) {
      this.buf += '<nil>';
    } else {
      this.buf += `${typeName(value)}=`;
      this.printArg(value, 'v');
    }
    this.buf += ')';
    this.#erroring = false;
  }

  // --- generic values -----------------------------------------------------------------------

  /** printArg prints one top-level argument (Go's `printArg`). */
  printArg(arg: unknown, verb: string): void {
    if (arg === null || arg === undefined) {
      if (verb === 'T' || verb === 'v') this.#padSpaces('<nil>');
      else this.#badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.#fmtS(typeName(arg));
      return;
    }
    this.#printValue(arg, verb, 0);
  }

  #handleMethods(v: unknown, verb: string): boolean {
    if (this.#erroring) return false;
    if (this.sharpV) return false;
    switch (verb) {
      case 'v':
      case 's':
      case 'x':
      case 'X':
      case 'q': {
        const method = errorOf(v) ?? stringerOf(v);
        if (method === undefined) return false;
        const text: unknown = method.call(v);
        this.#fmtString(typeof text === 'string' ? text : String(text), verb);
        return true;
      }
      default:
        return false;
    }
  }

  #printValue(v: unknown, verb: string, depth: number): void {
    if (v === undefined || v === null) {
      // A nil interface inside a container prints <nil> whatever the verb.
      this.#padSpaces('<nil>');
      return;
    }
    switch (typeof v) {
      case 'string':
        return this.#fmtString(v, verb);
      case 'boolean':
        return this.#fmtBool(v, verb);
      case 'number':
        if (Number.isInteger(v)) return this.#fmtInteger(v, verb, v);
        return this.#fmtFloat(v, verb, v);
      case 'bigint':
        return this.#fmtInteger(v, verb, v);
      case 'function':
        if (verb === 'v' || verb === 'p') this.#padSpaces('0x0');
        else this.#badVerb(verb, v);
        return;
      case 'symbol':
      case 'undefined':
        this.#padSpaces('<nil>');
        return;
      case 'object':
        break;
    }
    if (v instanceof GoFloat) return this.#fmtFloat(v.value, verb, v);
    if (this.#handleMethods(v, verb)) return;
    const own = (v as Partial<GoFormattable>)[goFormat];
    if (depth === 0 && verb === 'v' && !this.plusV && !this.sharpV && typeof own === 'function') {
      // Library values that know their own top-level %v text (e.g. *net.SRV prints &{...}).
      this.#pad(own.call(v));
      return;
    }
    const n = intValueOf(v);
    if (n !== undefined) return this.#fmtInteger(n, verb, v);
    if (Array.isArray(v)) {
      if (this.sharpV) {
        this.buf += `${typeName(v)}{`;
        v.forEach((e: unknown, i) => {
          if (i > 0) this.buf += ', ';
          this.#printValue(e, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += '[';
      v.forEach((e: unknown, i) => {
        if (i > 0) this.buf += ' ';
        this.#printValue(e, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (isMapValue(v)) {
      const entries = mapEntries(v);
      this.buf += this.sharpV ? `${typeName(v)}{` : 'map[';
      entries.forEach(([k, e], i) => {
        if (i > 0) this.buf += this.sharpV ? ', ' : ' ';
        this.#printValue(k, verb, depth + 1);
        this.buf += ':';
        this.#printValue(e, verb, depth + 1);
      });
      this.buf += this.sharpV ? '}' : ']';
      return;
    }
    // A struct (class instance): its exported fields in declaration order.
    const fields = structFields(v);
    if (this.sharpV) this.buf += typeName(v);
    this.buf += '{';
    fields.forEach((name, i) => {
      if (i > 0) this.buf += this.sharpV ? ', ' : ' ';
      if (this.plusV || this.sharpV) this.buf += `${name}:`;
      this.#printValue((v as Record<string, unknown>)[name], verb, depth + 1);
    });
    this.buf += '}';
  }
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || !isHighSurrogate(s.charCodeAt(i - 1))) n++;
  }
  return n;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function truncateRunes(s: string, n: number): string {
  let count = 0;
  let i = 0;
  for (const ch of s) {
    if (count === n) break;
    count++;
    i += ch.length;
  }
  return s.slice(0, i);
}

/** canBackquote is strconv.CanBackquote: no backquote, no control characters but tab, no BOM. */
function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x60 || c === 0x7f || c === 0xfeff || (c < 0x20 && c !== 0x09)) return false;
  }
  return true;
}

function runeString(r: number): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(r);
}

function asciiQuote(s: string): string {
  const q = goQuote(s);
  let out = '';
  for (const ch of q) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out;
}

function isStringValue(v: unknown): boolean {
  return typeof v === 'string';
}

/** sprint is Go's fmt.Sprint: operands joined, with spaces between two non-strings. */
export function sprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const isString = isStringValue(arg);
    if (i > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(arg, 'v');
    prevString = isString;
  }
  return p.buf;
}

/** sprintln is Go's fmt.Sprintln: operands joined by spaces, plus a newline. */
export function sprintln(args: readonly unknown[]): string {
  const p = new Printer();
  for (let i = 0; i < args.length; i++) {
    if (i > 0) p.buf += ' ';
    p.printArg(args[i], 'v');
  }
  return p.buf + '\n';
}

/** printString is `fmt.Sprint(v)` for one value, the text `{{v}}` writes (fast for strings). */
export function printString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  const p = new Printer();
  p.printArg(v, 'v');
  return p.buf;
}

function parseNum(s: string, i: number): { num: number; present: boolean; next: number } {
  let num = 0;
  let present = false;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    if (num > 1e6) return { num: 0, present: false, next: s.length };
    num = num * 10 + (s.charCodeAt(i) - 48);
    present = true;
    i++;
  }
  return { num, present, next: i };
}

/** sprintf is Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let reordered = false;
  let goodArgNum: boolean;
  let i = 0;

  /** argNumber parses an explicit `[n]` argument index. */
  const argNumber = (at: number): { at: number; found: boolean } => {
    if (at >= end || format[at] !== '[') return { at, found: false };
    reordered = true;
    const close = format.indexOf(']', at + 1);
    if (close < 0) {
      goodArgNum = false;
      return { at: at + 1, found: false };
    }
    const { num, present, next } = parseNum(format, at + 1);
    if (!present || next !== close) {
      goodArgNum = false;
      return { at: close + 1, found: false };
    }
    if (num >= 1 && num <= args.length) {
      argNum = num - 1;
      return { at: close + 1, found: true };
    }
    goodArgNum = false;
    return { at: close + 1, found: true };
  };

  const intFromArg = (): { num: number; ok: boolean } => {
    let num = 0;
    let ok = false;
    if (argNum < args.length) {
      const a = args[argNum];
      const n = intValueOf(a);
      if (n !== undefined) {
        num = Number(n);
        ok = Math.abs(num) <= 1e6;
        if (!ok) num = 0;
      }
      argNum++;
    }
    return { num, ok };
  };

  while (i < end) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.clearFlags();
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          p.sharp = true;
          break;
        case '0':
          p.zero = !p.minus;
          break;
        case '+':
          p.plus = true;
          break;
        case '-':
          p.minus = true;
          p.zero = false;
          break;
        case ' ':
          p.space = true;
          break;
        default:
          break flags;
      }
    }
    let r = argNumber(i);
    i = r.at;
    let afterIndex = r.found;
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg();
      p.wid = w.num;
      p.widPresent = w.ok;
      if (!w.ok) p.buf += '%!(BADWIDTH)';
      if (p.wid < 0) {
        p.wid = -p.wid;
        p.minus = true;
        p.zero = false;
      }
      afterIndex = false;
    } else {
      const w = parseNum(format, i);
      p.wid = w.num;
      p.widPresent = w.present;
      i = w.next;
      if (afterIndex && p.widPresent) goodArgNum = false;
    }
    if (i + 1 <= end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(i);
      i = r.at;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const pr = intFromArg();
        p.prec = pr.num;
        p.precPresent = pr.ok;
        if (p.prec < 0) {
          p.prec = 0;
          p.precPresent = false;
        }
        if (!pr.ok) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const pr = parseNum(format, i);
        p.prec = pr.num;
        p.precPresent = true;
        i = pr.next;
      }
    }
    if (!afterIndex) i = argNumber(i).at;
    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i) ?? 0;
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === '%') {
      p.buf += '%';
      continue;
    }
    if (!goodArgNum) {
      p.buf += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      p.buf += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v') {
      p.sharpV = p.sharp;
      p.sharp = false;
      p.plusV = p.plus;
      p.plus = false;
    }
    p.printArg(args[argNum], verb);
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    p.clearFlags();
    p.buf += '%!(EXTRA ';
    for (let k = argNum; k < args.length; k++) {
      if (k > argNum) p.buf += ', ';
      const arg = args[k];
      if (arg === null || arg === undefined) {
        p.buf += '<nil>';
      } else {
        p.buf += `${typeName(arg)}=`;
        p.printArg(arg, 'v');
      }
    }
    p.buf += ')';
  }
  return p.buf;
}
