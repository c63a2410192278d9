/**
 * A mergeable quantile sketch for run durations (contract: p95_duration_ms may come from a
 * sketch with relative error at most 1%, identical on both backends).
 *
 * Log-linear buckets over whole milliseconds, like HDR histograms: values below 128 ms have a
 * bucket each (exact); above, every power of two is split into 64 equal sub-buckets, so a
 * bucket spans at most 1/64 of its lower bound and its midpoint is within 1/128 (0.78%) of any
 * value in it. The bucket index is integer arithmetic, so JavaScript (at ingest) and SQL (for
 * rebuilds and period edges) compute identical indexes on both engines.
 */

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64
const EXACT_LIMIT = 2 * SUB; // 128

/** Bucket index of a non-negative whole number of milliseconds. */
export function durationBucket(ms: number): number {
  if (ms < EXACT_LIMIT) return ms;
  const e = Math.floor(Math.log2(ms));
  // Correct floating-point log2 at powers of two, so the exponent is exact.
  const exp = 2 ** e > ms ? e - 1 : 2 ** (e + 1) <= ms ? e + 1 : e;
  const mantissa = Math.floor(ms / 2 ** (exp - SUB_BITS)) - SUB; // 0..63
  return EXACT_LIMIT + (exp - (SUB_BITS + 1)) * SUB + mantissa;
}

/** Lower (inclusive) and upper (exclusive) bounds of a bucket, in ms. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket < EXACT_LIMIT) return [bucket, bucket + 1];
  const k = bucket - EXACT_LIMIT;
  const exp = Math.floor(k / SUB) + SUB_BITS + 1;
  const mantissa = k % SUB;
  const width = 2 ** (exp - SUB_BITS);
  const lo = (SUB + mantissa) * width;
  return [lo, lo + width];
}

/** The value a bucket stands for: exact below 128 ms, else the midpoint of its whole-ms range. */
export function bucketValue(bucket: number): number {
  const [lo, hi] = bucketBounds(bucket);
  return hi - lo === 1 ? lo : (lo + hi - 1) / 2;
}

/**
 * SQL for the same bucket index, on an integer expression. `shift(a, b)` is 2^b as BIGINT,
 * written with multiplication-free power so both engines agree exactly.
 */
export function durationBucketSql(expr: string, pow2: (e: string) => string, log2: (e: string) => string): string {
  const e0 = `CAST(floor(${log2(`CAST(${expr} AS DOUBLE PRECISION)`)}) AS BIGINT)`;
  const exp = `(${e0} - CASE WHEN ${pow2(e0)} > ${expr} THEN 1 WHEN ${pow2(`${e0} + 1`)} <= ${expr} THEN -1 ELSE 0 END)`;
  return `CASE WHEN ${expr} < ${EXACT_LIMIT} THEN CAST(${expr} AS BIGINT) ELSE ${EXACT_LIMIT} + (${exp} - ${SUB_BITS + 1}) * ${SUB} + (CAST(floor(${expr} / ${pow2(`${exp} - ${SUB_BITS}`)}) AS BIGINT) - ${SUB}) END`;
}

/**
 * percentile_cont over a merged sketch: the two closest ranks are read from their buckets and
 * interpolated, so the result is within 1% of the exact answer.
 */
export function sketchPercentile(counts: ReadonlyMap<number, number> | readonly (readonly [number, number])[], p: number): number | null {
  const entries = [...(counts instanceof Map ? counts.entries() : counts)].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const h = p * (total - 1);
  return percentileFromBuckets(total, bucketAt(entries, Math.floor(h)), bucketAt(entries, Math.ceil(h)), p);
}

/** The bucket holding the value of 0-based rank `rank` among sorted (bucket, count) entries. */
function bucketAt(entries: readonly (readonly [number, number])[], rank: number): number {
  let seen = 0;
  for (const [bucket, n] of entries) {
    seen += n;
    if (rank < seen) return bucket;
  }
  return entries[entries.length - 1]![0];
}

/**
 * percentile_cont over a sketch of `total` values, given the buckets holding the two closest
 * ranks ⌊p·(total−1)⌋ and ⌈p·(total−1)⌉ (found by the database or by sketchPercentile).
 */
export function percentileFromBuckets(total: number, bucketLo: number, bucketHi: number, p: number): number {
  const h = p * (total - 1);
  const lo = Math.floor(h);
  const vlo = bucketValue(bucketLo);
  return lo === Math.ceil(h) ? vlo : vlo + (bucketValue(bucketHi) - vlo) * (h - lo);
}
