/**
 * Go `time.ParseDuration` and `Duration.String`, in nanoseconds: the durations Consul accepts and
 * prints (session TTLs, lock-delays, check intervals, `?wait=`) and confd's duration flags.
 * Callers convert units (`ns / 1e6` for milliseconds).
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** parseGoDuration parses a Go duration ("1h30m", "10s", "1.5s") to nanoseconds; undefined if invalid. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ''] ?? Number.NaN);
    rest = rest.slice(m[0].length);
  }
  // Go reports an overflowing duration as invalid.
  if (!Number.isFinite(total)) return undefined;
  return sign * total;
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
