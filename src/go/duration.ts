/**
 * Go `time.ParseDuration` and `Duration.String`, in nanoseconds: the durations Consul accepts and
 * prints (session TTLs, lock-delays, check intervals, `?wait=`) and confd's duration flags; and
 * {@link parseJsonDuration}, a duration in a JSON request body, which Consul also takes as a
 * number of nanoseconds. Callers convert units (`ns / 1e6` for milliseconds).
 */

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** 1 << 63: one past the largest Duration, and the magnitude of the smallest. */
const TWO_63 = 1n << 63n;
const MAX_DURATION = TWO_63 - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** The outcome of scanning a duration: nanoseconds, or the text of Go's error. */
type Scan = { ns: bigint } | { error: string };

/**
 * scanGoDuration is time.ParseDuration: the nanoseconds, or Go's error message (`time: invalid
 * duration "x"`, `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`).
 */
function scanGoDuration(text: string): Scan {
  const invalid = (): Scan => ({ error: `time: invalid duration ${goQuote(text)}` });
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0n };
  if (s === '') return invalid();
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '.' && !isDigit(s[i])) return invalid();
    // The integer part; an overflowing one is an error, as in Go's leadingInt.
    const intStart = i;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return invalid();
    }
    const pre = i > intStart;
    // The fraction: digits past what fits are read but ignored, as in Go's leadingFraction.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      let overflow = false;
      for (; isDigit(s[i]); i++) {
        if (overflow) continue;
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i > fracStart;
    }
    if (!pre && !post) return invalid();
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    if (i === unitStart) return { error: `time: missing unit in duration ${goQuote(text)}` };
    const name = s.slice(unitStart, i);
    const unit = UNIT_NS[name];
    if (unit === undefined) {
      return { error: `time: unknown unit ${goQuote(name)} in duration ${goQuote(text)}` };
    }
    if (v > TWO_63 / unit) return invalid();
    v *= unit;
    if (f > 0n) {
      // Go adds the fraction in float64 (nanosecond-exact up to hours), truncated.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return invalid();
    }
    total += v;
    if (total > TWO_63) return invalid();
  }
  if (neg) return { ns: -total };
  if (total > MAX_DURATION) return invalid();
  return { ns: total };
}

const utf8 = new TextEncoder();

/**
 * goQuote quotes as Go's time package does in its errors: a double quote or backslash gets a
 * backslash, every UTF-8 byte of a non-ASCII or control character is written `\xNN`.
 */
function goQuote(text: string): string {
  let out = '"';
  for (const c of text) {
    const cp = c.codePointAt(0) ?? 0;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of utf8.encode(c)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}

/**
 * parseGoDuration parses a Go duration ("1h30m", "10s", "1.5s") to nanoseconds; undefined where
 * time.ParseDuration fails, including a value outside Go's int64 range (about ±2562047h).
 * Beyond 2^53 ns (about 104 days) the number is the nearest double; {@link parseGoDurationNs}
 * is exact.
 */
export function parseGoDuration(text: string): number | undefined {
  const ns = parseGoDurationNs(text);
  return ns === undefined ? undefined : Number(ns);
}

/** parseGoDurationNs is {@link parseGoDuration} with exact (bigint) nanoseconds. */
export function parseGoDurationNs(text: string): bigint | undefined {
  const r = scanGoDuration(text);
  return 'ns' in r ? r.ns : undefined;
}

/** goDurationError is the error time.ParseDuration returns for text; undefined when it parses. */
export function goDurationError(text: string): string | undefined {
  const r = scanGoDuration(text);
  return 'error' in r ? r.error : undefined;
}

/**
 * durationFromFloat is Go's `time.Duration(v)` for a float64 `v` (a JSON number decoded into an
 * `interface{}`): truncated toward zero, so `1.9` is 1ns and `-1.9` is -1ns. A value outside the
 * int64 range gives the minimum Duration, as the conversion does on amd64.
 */
export function durationFromFloat(v: number): bigint {
  if (!(Math.abs(v) < 2 ** 63)) return -TWO_63;
  return BigInt(Math.trunc(v));
}

/**
 * parseJsonDuration reads a duration from a decoded JSON value the way Consul's request decoders
 * do (`CheckType`, `CheckDefinition`, `HealthCheckDefinition`, `Session.LockDelay`): a string is a
 * Go duration, a finite number is nanoseconds converted as {@link durationFromFloat}. Undefined
 * for a string time.ParseDuration refuses (see {@link goDurationError}) and for every other
 * value, which those decoders ignore. Callers that must refuse numbers (config files, `?wait=`)
 * use {@link parseGoDurationNs} instead.
 */
export function parseJsonDuration(value: unknown): bigint | undefined {
  if (typeof value === 'string') return parseGoDurationNs(value);
  if (typeof value === 'number' && Number.isFinite(value)) return durationFromFloat(value);
  return undefined;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/**
 * formatGoDuration prints a duration in nanoseconds as Go's Duration.String does ("24h0m0s",
 * "10s", "1.5s", "1.5µs"), exactly (bigint arithmetic); a fractional `number` is truncated to
 * whole nanoseconds, as a Go Duration holds them.
 */
export function formatGoDuration(duration: number | bigint): string {
  const ns = typeof duration === 'bigint' ? duration : BigInt(Math.trunc(duration));
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  if (u < NS_PER_S) {
    // Sub-second: the largest unit that keeps a leading non-zero digit.
    if (u < 1000n) return `${sign}${u}ns`;
    if (u < NS_PER_MS) return `${sign}${fraction(u, 1000n)}µs`;
    return `${sign}${fraction(u, NS_PER_MS)}ms`;
  }
  const hours = u / 3_600_000_000_000n;
  const rest = u % 3_600_000_000_000n;
  const minutes = rest / 60_000_000_000n;
  const secs = fraction(rest % 60_000_000_000n, NS_PER_S);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}s`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}s`;
  return `${sign}${secs}s`;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const frac = value % unit;
  if (frac === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}
