/**
 * Formatting of bench figures: rates with thousands separators, ratios, percentiles and target
 * verdicts.
 */
import type { Figure } from './types.js';

/** formatCount renders a number with thousands separators and no decimals (`12,345`). */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** verdict is `OK` or `MISSED`. */
export function verdict(ok: boolean): string {
  return ok ? 'OK' : 'MISSED';
}

/**
 * ratioFigure compares our rate with etcd's:
 * `reads 64c: ours 12,345/s etcd 2,700/s ratio 4.57x (target >= 3x) OK`.
 */
export function ratioFigure(label: string, ours: number, etcd: number, target: number): Figure {
  const ratio = etcd > 0 ? ours / etcd : Number.POSITIVE_INFINITY;
  const ok = ours > 0 && ratio >= target;
  return {
    ok,
    line:
      `${label}: ours ${formatCount(ours)}/s etcd ${formatCount(etcd)}/s ` +
      `ratio ${ratio.toFixed(2)}x (target >= ${target}x) ${verdict(ok)}`,
  };
}

/**
 * namedRatioFigure compares two named rates, the first over the second, against a lower bound on
 * the ratio: `forwarding reads 64c: via client 20,000/s direct 38,000/s ratio 0.53x (target >=
 * 0.5x) OK`.
 */
export function namedRatioFigure(
  label: string,
  first: readonly [name: string, rate: number],
  second: readonly [name: string, rate: number],
  target: number,
): Figure {
  const [aName, a] = first;
  const [bName, b] = second;
  const ratio = b > 0 ? a / b : Number.POSITIVE_INFINITY;
  const ok = a > 0 && ratio >= target;
  return {
    ok,
    line:
      `${label}: ${aName} ${formatCount(a)}/s ${bName} ${formatCount(b)}/s ` +
      `ratio ${ratio.toFixed(2)}x (target >= ${target}x) ${verdict(ok)}`,
  };
}

/** limitFigure reports a measured value against an upper bound: `... 182 ms (target <= 250 ms) OK`. */
export function limitFigure(label: string, value: number, limit: number, unit: string): Figure {
  const ok = Number.isFinite(value) && value <= limit;
  const shown = Number.isFinite(value) ? formatCount(value) : 'n/a';
  return {
    ok,
    line: `${label}: ${shown} ${unit} (target <= ${formatCount(limit)} ${unit}) ${verdict(ok)}`,
  };
}

/** failedFigure reports a bench step that could not produce a figure (always MISSED). */
export function failedFigure(label: string, why: string): Figure {
  return { ok: false, line: `${label}: no figure (${why}) MISSED` };
}

/** infoFigure is a line without a target. */
export function infoFigure(line: string): Figure {
  return { line };
}

/**
 * percentile is the nearest-rank `p`th percentile (0 < p <= 100) of ascending `sorted`; NaN when
 * it is empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
