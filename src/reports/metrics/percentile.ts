/**
 * Percentiles and means: the one definition behind every average and percentile in the reports.
 */

/**
 * Continuous percentile of ascending-sorted values, exactly as PostgreSQL `percentile_cont` and
 * DuckDB `quantile_cont`: pos = p·(n−1), lo = ⌊pos⌋, hi = ⌈pos⌉,
 * result = v[lo] + (v[hi] − v[lo])·(pos − lo). The arithmetic is written in the same order as
 * those engines so results agree to the last bit. Null for an empty list (contract: no 0s for
 * empty sets).
 * @param sortedAsc values sorted ascending (not checked, for speed)
 * @param p fraction in [0, 1], e.g. 0.5 for the median, 0.95 for p95
 */
export function percentileCont(sortedAsc: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within [0, 1], got ${p}`);
  const n = sortedAsc.length;
  if (n === 0) return null;
  const pos = p * (n - 1);
  return interpolateRanks(n, p, sortedAsc[Math.floor(pos)], sortedAsc[Math.ceil(pos)]);
}

/**
 * `percentileCont` of n sorted values from only the two it reads: `low` at rank ⌊p·(n−1)⌋ and
 * `high` at rank ⌈p·(n−1)⌉ (0-based), for callers whose engine returns just those two.
 */
export function interpolateRanks(n: number, p: number, low: number, high: number): number {
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  // Avoid (hi − lo)·0 work and keep exact values when the position is a whole rank.
  if (lo === Math.ceil(pos)) return low;
  return low + (high - low) * (pos - lo);
}

/** `percentileCont` over values in any order (sorts a copy numerically). */
export function percentileOf(values: readonly number[], p: number): number | null {
  return percentileCont(sortAscending(values), p);
}

/** A numerically sorted copy (Array#sort alone compares as strings). */
export function sortAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Arithmetic mean, or null for an empty list. */
export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
