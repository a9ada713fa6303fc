/**
 * Go string and number conversions the function library needs with Go's exact behaviour and
 * error texts: `strconv.ParseBool`, `strconv.Atoi`, `strings.Replace`,
 * `strings.ToUpper`/`ToLower` (per rune, no special casing), and `base64.StdEncoding`.
 */
import { goQuote } from '../go/strconv.js';

/** parseBool is Go's `strconv.ParseBool`; other text throws Go's error. */
export function parseBool(s: string): boolean {
  switch (s) {
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
      throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** toGoInt narrows a bigint to a JS number when it is exact, else keeps the bigint. */
export function toGoInt(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

/** wrapInt64 wraps a bigint to Go's 64-bit int range, as Go integer arithmetic does. */
export function wrapInt64(n: bigint): number | bigint {
  return toGoInt(BigInt.asIntN(64, n));
}

/** atoi is Go's `strconv.Atoi` (base 10, optional sign); throws Go's error text. */
export function atoi(s: string): number | bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  }
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) {
    throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  }
  return toGoInt(n);
}

/** replace is Go's `strings.Replace(s, old, new, n)`; n < 0 replaces every occurrence. */
export function replace(s: string, old: string, repl: string, n: number): string {
  if (old === repl || n === 0) return s;
  if (old === '') {
    // Go inserts `repl` before each rune and at the end, up to n times.
    const runes = Array.from(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= runes.length; i += 1) {
      if (n < 0 || done < n) {
        out += repl;
        done += 1;
      }
      if (i < runes.length) out += runes[i];
    }
    return out;
  }
  let out = '';
  let start = 0;
  let done = 0;
  while (n < 0 || done < n) {
    const at = s.indexOf(old, start);
    if (at < 0) break;
    out += s.slice(start, at) + repl;
    start = at + old.length;
    done += 1;
  }
  return out + s.slice(start);
}

/** mapRunes is Go's strings.ToUpper/ToLower: per rune, keeping runes with no 1:1 mapping. */
export function mapRunes(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    // U+0130 (İ) lowers to "i" plus a combining dot in JavaScript; Go's simple mapping gives "i".
    if (!upper && ch === '\u0130') {
      out += 'i';
      continue;
    }
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += Array.from(mapped).length === 1 ? mapped : ch;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** base64Decode is Go's `base64.StdEncoding.DecodeString` (padding required, CR/LF skipped). */
export function base64Decode(data: string): Buffer {
  const src = Buffer.from(data, 'utf8');
  const out: number[] = [];
  let si = 0;
  const corrupt = (at: number) => new Error(`illegal base64 data at input byte ${at}`);
  const isNewline = (c: number | undefined) => c === 0x0a || c === 0x0d;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    while (j < 4) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const c = src[si];
      si += 1;
      if (isNewline(c)) continue;
      const v = c < 0x80 ? B64.indexOf(String.fromCharCode(c)) : -1;
      if (v >= 0) {
        quantum[j] = v;
        j += 1;
        continue;
      }
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: only valid as the 3rd/4th character of a quantum, and only at the end.
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si += 1;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si += 1;
      }
      while (si < src.length && isNewline(src[si])) si += 1;
      if (si < src.length) throw corrupt(si);
      dlen = j;
      break;
    }
    const word = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
    out.push((word >> 16) & 0xff);
    if (dlen >= 3) out.push((word >> 8) & 0xff);
    if (dlen === 4) out.push(word & 0xff);
    if (dlen < 4) return Buffer.from(out);
  }
}
