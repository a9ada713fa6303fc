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

/** formatGoDuration prints nanoseconds as Go's Duration.String does ("24h0m0s", "10s", "1.5s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e9) {
    if (n < 1e3) out = `${n}ns`;
    else if (n < 1e6) out = `${n / 1e3}µs`;
    else out = `${n / 1e6}ms`;
  } else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    const s = `${Number((n / 1e9).toFixed(9))}s`;
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}
