/**
 * Go string and number conversions the function library needs with Go's exact behaviour and
 * error texts: `strconv.ParseBool`, `strconv.Atoi`, `strings.Replace`,
 * `strings.ToUpper`/`ToLower` (per rune, no special casing), and `base64.StdEncoding`.
 */
import { goQuote, parseGoBool } from '../go/strconv.js';

/** parseBool is Go's `strconv.ParseBool`; other text throws Go's error. */
export function parseBool(s: string): boolean {
  const parsed = parseGoBool(s);
  if (parsed === undefined) {
    throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
  }
  return parsed;
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

/** base64Decode is Go's `base64.StdEncoding.DecodeString`; see `src/go/base64.ts`. */
export { decodeBase64Std as base64Decode } from '../go/base64.js';
