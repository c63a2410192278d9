/**
 * Exact sums of client-sent doubles (metric latencies and throughputs, prediction probabilities),
 * so that their means are the same on both engines, do not drift as rollups take −old/+new
 * deltas on every upsert, and are correctly rounded.
 *
 * A double sum depends on the order of its terms: DuckDB's parallel aggregation and PostgreSQL's
 * physical row order made the two engines disagree in the last one or two bits, and a rollup
 * cell that took `+0.1 +0.2 −0.1` no longer held 0.2. Instead each value v ≥ 0 is cut into four
 * integers (`fxParts`): its integer part ⌊v⌋ and the next three 32-bit blocks of its fraction,
 * v = i + a·2⁻³² + b·2⁻⁶⁴ + c·2⁻⁹⁶, which is exact for every double ≥ 2⁻⁴⁴ (and 0); smaller
 * values lose what lies below 2⁻⁹⁶. Integer sums are exact in any order, in SQL
 * (BIGINT/HUGEINT/NUMERIC) and in JS, and the mean is rounded once from the exact total
 * (`fxMean`), so it is the correctly rounded mean. The parts are computed with the same IEEE
 * operations in JS and in SQL (`fxPartsSql`): floor, subtraction and multiplication by 2³², all
 * exact here.
 */

import type { Dialect } from '../../storage/types.ts';

/** 2³², the width of each fraction block. */
export const TWO32 = 4_294_967_296;

/** Names of the parts, as column suffixes: `<name>_i`, `<name>_a`, `<name>_b`, `<name>_c`. */
export const FX_PARTS = ['i', 'a', 'b', 'c'] as const;

/** Sum of all parts is Σv in units of 2⁻⁹⁶. */
const SCALE_BITS = 96n;

/** [⌊v⌋, a, b, c] with v = ⌊v⌋ + a·2⁻³² + b·2⁻⁶⁴ + c·2⁻⁹⁶ (exact for v ≥ 2⁻⁴⁴); a, b, c < 2³². */
export function fxParts(v: number): [number, number, number, number] {
  const i = Math.floor(v);
  const f1 = (v - i) * TWO32;
  const a = Math.floor(f1);
  const f2 = (f1 - a) * TWO32;
  const b = Math.floor(f2);
  return [i, a, b, Math.floor((f2 - b) * TWO32)];
}

/** The same four parts as SQL over a DOUBLE expression (BIGINT each). */
export function fxPartsSql(d: Dialect, expr: string): [string, string, string, string] {
  const two32 = d.double(String(TWO32));
  const f1 = `((${expr}) - floor(${expr})) * ${two32}`;
  const f2 = `(${f1} - floor(${f1})) * ${two32}`;
  const f3 = `(${f2} - floor(${f2})) * ${two32}`;
  return [`CAST(floor(${expr}) AS BIGINT)`, `CAST(floor(${f1}) AS BIGINT)`, `CAST(floor(${f2}) AS BIGINT)`, `CAST(floor(${f3}) AS BIGINT)`];
}

/** Reads an exact integer the database returned (BIGINT/HUGEINT as bigint or number, NUMERIC as text). */
export function toBigInt(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an exact integer: ${v}`);
    return BigInt(v);
  }
  return BigInt(String(v).replace(/\.0*$/, ''));
}

/** Σv in units of 2⁻⁹⁶ from the sums of the four parts. */
export function fxTotal(i: unknown, a: unknown, b: unknown, c: unknown): bigint {
  return (toBigInt(i) << 96n) + (toBigInt(a) << 64n) + (toBigInt(b) << 32n) + toBigInt(c);
}

/** The total from columns `<alias>_i` … `<alias>_c` of a row. */
export function fxTotalOf(row: Record<string, unknown>, alias: string): bigint {
  return fxTotal(row[`${alias}_i`], row[`${alias}_a`], row[`${alias}_b`], row[`${alias}_c`]);
}

/** The mean of n values whose exact total (units of 2⁻⁹⁶) is `total`; null for n = 0. */
export function fxMean(total: bigint, n: number): number | null {
  if (n === 0) return null;
  return ratioToDouble(total, BigInt(n) << SCALE_BITS);
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * num / den rounded once to the nearest double (ties to even), for den > 0. The quotient is
 * taken with at least 66 significant bits plus a sticky bit for any remainder, so converting it
 * with Number() (itself correctly rounded) cannot round twice.
 */
export function ratioToDouble(num: bigint, den: bigint): number {
  if (den <= 0n) throw new RangeError('denominator must be positive');
  if (num === 0n) return 0;
  const negative = num < 0n;
  const n = negative ? -num : num;
  const shift = Math.max(0, bitLength(den) - bitLength(n) + 66);
  const scaled = n << BigInt(shift);
  const q = scaled / den;
  const sticky = scaled % den === 0n ? 0n : 1n;
  const value = Number((q << 1n) | sticky) * 2 ** -(shift + 1);
  return negative ? -value : value;
}

/** `sum(i)`, `sum(a)`, `sum(b)`, `sum(c)` of a DOUBLE expression's parts, as SQL. */
export function fxSumsSql(d: Dialect, expr: string): string[] {
  return fxPartsSql(d, expr).map((p) => `sum(${p})`);
}
