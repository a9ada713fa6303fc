/**
 * Go's `strconv`, shared by every area: `strconv.Quote` (`%q` of a string, byte-correct: invalid
 * UTF-8 bytes print as `\xNN`), `strconv.QuoteRune`, `strconv.IsPrint`, `%#U` and
 * `strconv.ParseBool`.
 */

const HEX = '0123456789abcdef';
/**
 * The printable classes, created on first use: building a Unicode-property regular expression takes
 * about half a millisecond, paid by every `confd` start if done at import.
 */
let printable: RegExp | undefined;

function hex(n: number, width: number): string {
  let out = '';
  for (let i = width - 1; i >= 0; i--) out += HEX[(n >> (4 * i)) & 0xf];
  return out;
}

/** isPrintRune is Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrintRune(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
  return printable.test(String.fromCodePoint(cp));
}

/** formatRuneU is Go's `%#U`: `U+0023 '#'` (the quoted rune only when printable). */
export function formatRuneU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const digits = cp.toString(16).toUpperCase().padStart(4, '0');
  return isPrintRune(cp) ? `U+${digits} '${ch}'` : `U+${digits}`;
}

/** Decodes one rune at `i` like Go's utf8.DecodeRune: returns [rune, width], rune -1 if invalid. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const cont = (j: number, lo = 0x80, hi = 0xbf): number => {
    const v = b[i + j];
    return v !== undefined && v >= lo && v <= hi ? v & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [-1, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? [-1, 1] : [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0 ? [-1, 1] : [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [-1, 1];
}

/** escapeRune is Go's appendEscapedRune for a double-quoted string. */
function escapeRune(r: number): string {
  if (r === 0x22) return '\\"';
  if (r === 0x5c) return '\\\\';
  if (isPrintRune(r)) return String.fromCodePoint(r);
  switch (r) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${hex(r, 2)}`;
  if (r < 0x10000) return `\\u${hex(r, 4)}`;
  return `\\U${hex(r, 8)}`;
}

/**
 * goQuote is Go's `strconv.Quote` (`fmt.Sprintf("%q", s)`): a double-quoted string with Go
 * escapes. Bytes that are not valid UTF-8 print as `\xNN`; a lone UTF-16 surrogate in a JS string
 * (which no Go string can hold) prints as `\ufffd`.
 */
export function goQuote(input: string | Uint8Array): string {
  let out = '"';
  if (typeof input === 'string') {
    for (const ch of input) {
      const cp = ch.codePointAt(0) ?? 0;
      out += cp >= 0xd800 && cp <= 0xdfff ? '\\ufffd' : escapeRune(cp);
    }
    return `${out}"`;
  }
  for (let i = 0; i < input.length;) {
    const [r, width] = decodeRune(input, i);
    out += r < 0 ? `\\x${hex(input[i] ?? 0, 2)}` : escapeRune(r);
    i += width;
  }
  return `${out}"`;
}

/** parseGoBool is Go's strconv.ParseBool; undefined for any other text. */
export function parseGoBool(text: string): boolean | undefined {
  switch (text) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/** goQuoteRune is Go's strconv.QuoteRune (`%q` of an integer): `'a'`, `'\n'`, `'\x00'`. */
export function goQuoteRune(cp: number): string {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  return `'${goQuote(ch).slice(1, -1)}'`;
}

/** GoIntResult is the outcome of {@link parseGoInt}: the value, or the kind of Go's NumError. */
export type GoIntResult =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly error: 'invalid syntax' | 'value out of range' };

/** underscoreOK is Go's strconv.underscoreOK: `_` only between digits or after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  let hexDigits = false;
  const p = (s[1] ?? '').toLowerCase();
  if (s.length >= 2 && s[0] === '0' && (p === 'b' || p === 'o' || p === 'x')) {
    i = 2;
    saw = '0';
    hexDigits = p === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hexDigits && /[a-fA-F]/.test(c))) {
      saw = '0';
    } else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/**
 * parseGoInt is Go's strconv.ParseInt (`signed`) / strconv.ParseUint with `base` 0 or 10. Base 0
 * takes `0x`/`0o`/`0b` prefixes, a bare leading `0` for octal and `_` separators as in Go integer
 * literals (`1_000`, `0x_ff`); base 10 takes plain decimal digits only. ParseInt allows a sign.
 */
export function parseGoInt(
  text: string,
  bitSize: number,
  signed: boolean,
  base: 0 | 10 = 0,
): GoIntResult {
  const syntax = { ok: false, error: 'invalid syntax' } as const;
  let s = text;
  let negative = false;
  if (signed && (s[0] === '+' || s[0] === '-')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return syntax;
  let radix = 10;
  if (base === 0 && s[0] === '0') {
    const p = (s[1] ?? '').toLowerCase();
    if (s.length >= 3 && (p === 'b' || p === 'o' || p === 'x')) {
      radix = p === 'b' ? 2 : p === 'o' ? 8 : 16;
      s = s.slice(2);
    } else {
      radix = 8;
      s = s.slice(1);
    }
  }
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === '_' && base === 0) {
      underscores = true;
      continue;
    }
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= radix) return syntax;
    n = n * BigInt(radix) + BigInt(d);
  }
  if (underscores && !underscoreOK(text)) return syntax;
  const max = signed ? 1n << BigInt(bitSize - 1) : (1n << BigInt(bitSize)) - 1n;
  if (signed ? (negative ? n > max : n >= max) : n > max) {
    return { ok: false, error: 'value out of range' };
  }
  return { ok: true, value: negative ? -n : n };
}
