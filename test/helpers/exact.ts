/**
 * Exact arithmetic on doubles for tests, written independently of src/reports/metrics/exact-sum.ts:
 * a double's exact value from its bits, and a correctly rounded mean found by comparing the exact
 * rational with the neighbours of a candidate double.
 */

/** The exact value of a finite double as m · 2^e (m a bigint). */
export function exactParts(v: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (exp === 0x7ff) throw new RangeError('not finite');
  return exp === 0 ? { m: sign * frac, e: -1074 } : { m: sign * (frac | (1n << 52n)), e: exp - 1075 };
}

/** ⌊v · 2^96⌋ for v ≥ 0. */
export function scaled96(v: number): bigint {
  const { m, e } = exactParts(v);
  const shift = e + 96;
  return shift >= 0 ? m << BigInt(shift) : m >> BigInt(-shift);
}

/** Σv · 2^1074 exactly (every double is an integer multiple of 2^-1074). */
function exactTotal(values: readonly number[]): bigint {
  let t = 0n;
  for (const v of values) {
    const { m, e } = exactParts(v);
    t += m << BigInt(e + 1074);
  }
  return t;
}

function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (x >= 0 ? 1n : -1n));
  return view.getFloat64(0);
}

function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Compares the double d with num / den (den > 0): sign of d − num/den. */
function compare(d: number, num: bigint, den: bigint): number {
  const { m, e } = exactParts(d);
  const lhs = m * den << BigInt(e + 1074);
  const rhs = num;
  return lhs === rhs ? 0 : lhs > rhs ? 1 : -1;
}

/** The mean of non-negative doubles rounded once to the nearest double (ties to even). */
export function correctlyRoundedMean(values: readonly number[]): number {
  const num = exactTotal(values); // mean = num / (n · 2^1074)
  const den = BigInt(values.length);
  // A candidate within an ulp or two, then walk to the nearest.
  let c = values.reduce((s, v) => s + v, 0) / values.length;
  for (let k = 0; k < 64 && compare(c, num, den) > 0; k++) c = nextDown(c);
  for (let k = 0; k < 64 && compare(nextUp(c), num, den) <= 0; k++) c = nextUp(c);
  // Now c ≤ mean < nextUp(c): pick the nearer, ties to the even significand.
  const hi = nextUp(c);
  const { m: mc, e: ec } = exactParts(c);
  const { m: mh, e: eh } = exactParts(hi);
  // 2·mean vs c + hi, all scaled by 2^1074.
  const twice = 2n * num;
  const sum = ((mc << BigInt(ec + 1074)) + (mh << BigInt(eh + 1074))) * den;
  if (twice < sum) return c;
  if (twice > sum) return hi;
  return (mc & 1n) === 0n ? c : hi;
}
