/**
 * Small pure helpers for the benchmark: percentiles (nearest rank), a latency summary, rates,
 * and number formatting for the results table.
 */

/**
 * The p-th percentile (0 < p ≤ 100) of the values by the nearest-rank method: the ⌈p/100·n⌉-th
 * smallest value, an actual sample. NaN for no values.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)]!;
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** count, min, p50, p90, p99, max and mean of the values (NaN fields when empty). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { count: 0, min: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return { count: n, min: sorted[0]!, p50: at(50), p90: at(90), p99: at(99), max: sorted[n - 1]!, mean: sum / n };
}

/** items per second over a duration in milliseconds (0 when the duration is not positive). */
export function ratePerSecond(items: number, ms: number): number {
  return ms > 0 ? (items * 1000) / ms : 0;
}

/** 1234567 → "1,234,567"; fractions rounded to `digits`. */
export function formatNumber(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A figure with its unit for the table: rates and counts grouped, ms and s with sensible precision. */
export function formatValue(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '–';
  if (unit === 'ms') return `${formatNumber(n, Number.isInteger(n) || n >= 100 ? 0 : n < 10 ? 2 : 1)} ms`;
  if (unit === 's') return `${formatNumber(n, Number.isInteger(n) ? 0 : n < 10 ? 2 : 1)} s`;
  if (unit === 'MiB') return `${formatNumber(n, 0)} MiB`;
  return `${formatNumber(n, 0)} ${unit}`;
}

/**
 * The first moment at which each item became visible, from a series of observations of a
 * monotone visible count: items are ranked 1..n in the order they were made visible (by the
 * caller), observation (t, c) shows items 1..c. Returns, per rank, the time of the first
 * observation with count ≥ rank, or NaN if never seen.
 */
export function firstSeen(observations: { t: number; count: number }[], n: number): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  let next = 0;
  for (const o of observations) {
    const upto = Math.min(n, o.count);
    while (next < upto) out[next++] = o.t;
  }
  return out;
}
