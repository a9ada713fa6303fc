/**
 * Go `time.ParseDuration` and `Duration.String`, in nanoseconds: the durations Consul accepts and
 * prints (session TTLs, lock-delays, check intervals, `?wait=`) and confd's duration flags.
 * Callers convert units (`ns / 1e6` for milliseconds).
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

/**
 * parseGoDuration parses a Go duration ("1h30m", "10s", "1.5s") to nanoseconds; undefined where
 * time.ParseDuration fails, including a value outside Go's int64 range (about ±2562047h).
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '.' && !isDigit(s[i])) return undefined;
    // The integer part; an overflowing one is an error, as in Go's leadingInt.
    const intStart = i;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return undefined;
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
    if (!pre && !post) return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unit = UNIT_NS[s.slice(unitStart, i)];
    if (unit === undefined) return undefined;
    if (v > TWO_63 / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      // Go adds the fraction in float64 (nanosecond-exact up to hours), truncated.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined;
    }
    total += v;
    if (total > TWO_63) return undefined;
  }
  if (neg) return total === 0n ? 0 : -Number(total);
  if (total > MAX_DURATION) return undefined;
  return Number(total);
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
