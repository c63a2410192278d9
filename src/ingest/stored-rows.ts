/** Finding the stored rows that share keys with incoming records (ingest upserts). */
import type { RecordKeyLocator, SqlValue, Transaction } from '../storage/types.ts';
import type { KindSpec } from './kinds.ts';

type Rec = Record<string, unknown>;

/** Unbounded time range (a lookup that must see every row). */
export const ANYWHERE: readonly [number, number] = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
/** At most this many time ranges per lookup (one UNION ALL branch each); more are merged. */
const MAX_RANGES = 8;

/**
 * The stored rows sharing a key with `recs` (one tenant). Exact whatever the path:
 * - with a key index that can answer (DuckDB): only keys it may hold are looked up, each only
 *   within the days where a row with that key was stored;
 * - DuckDB before its index is ready: first within the batch's time range (re-sends whose time
 *   did not change), then the keys not found there over the whole table (new records, and
 *   re-sends that moved in time);
 * - PostgreSQL: through the primary key (metrics, keyed by time, within the batch's range).
 */
export async function findStored(
  tx: Transaction,
  spec: KindSpec,
  tenantId: string,
  recs: readonly Rec[],
  rows: readonly (readonly SqlValue[])[],
  keyIndex: RecordKeyLocator | undefined,
): Promise<Rec[]> {
  const keys = recs.map((r) => spec.keyOf(r));
  const located = keyIndex ? keyIndex.locate(spec.table, spec.columns, rows) : null;
  if (located) return lookupLocated(tx, spec, tenantId, keys, located);
  if (spec.timeInKey || keyIndex) {
    const found = await lookup(tx, spec, tenantId, keys, [timeBounds(recs, spec.timeColumn)]);
    if (spec.timeInKey) return found;
    const seen = new Set(found.map((row) => spec.keyOf(row)));
    const rest = keys.filter((k) => !seen.has(k));
    if (rest.length === 0) return found;
    const elsewhere = await lookup(tx, spec, tenantId, rest, [ANYWHERE]);
    return found.concat(elsewhere);
  }
  return lookup(tx, spec, tenantId, keys, [ANYWHERE]);
}

/**
 * Rows of `tenantId` with one of `keys` where a key index placed them (`located[i]` for
 * `keys[i]`: null when certainly not stored, else time ranges that hold it).
 */
export function lookupLocated(
  tx: Transaction,
  spec: KindSpec,
  tenantId: string,
  keys: readonly string[],
  located: readonly (readonly (readonly [number, number])[] | null)[],
): Promise<Rec[]> {
  const found: string[] = [];
  const ranges: (readonly [number, number])[] = [];
  located.forEach((where, i) => {
    if (!where) return;
    found.push(keys[i]!);
    for (const r of where) ranges.push(r);
  });
  return found.length ? lookup(tx, spec, tenantId, found, mergeRanges(ranges)) : Promise.resolve([]);
}

/** The smallest and largest value of a time column (epoch ms) over `rows`. */
export function timeBounds(rows: readonly Rec[], column: string): [number, number] {
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    const t = Number(r[column]);
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return [from, to];
}

/** Sorts, joins overlapping or adjacent ranges, then merges the closest ones down to MAX_RANGES. */
function mergeRanges(ranges: (readonly [number, number])[]): (readonly [number, number])[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  while (out.length > MAX_RANGES) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) if (out[i + 1]![0] - out[i]![1] < out[best + 1]![0] - out[best]![1]) best = i;
    out[best]![1] = out[best + 1]![1];
    out.splice(best + 1, 1);
  }
  return out;
}

/**
 * Rows of `tenantId` with one of `keys` whose time lies in one of `ranges` (one UNION ALL branch
 * per range, so DuckDB's zone maps prune each; an OR would not).
 */
export async function lookup(
  tx: Transaction,
  spec: KindSpec,
  tenantId: string,
  keys: readonly string[],
  ranges: readonly (readonly [number, number])[],
): Promise<Rec[]> {
  const params: SqlValue[] = [tenantId, keys];
  const branches = ranges.map((r) => {
    let where = '';
    if (r[0] !== ANYWHERE[0] || r[1] !== ANYWHERE[1]) {
      params.push(r[0], r[1]);
      where = ` AND ${spec.timeColumn} BETWEEN CAST($${params.length - 1} AS BIGINT) AND CAST($${params.length} AS BIGINT)`;
    }
    return `SELECT ${spec.columns.join(', ')} FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)}${where}`;
  });
  return tx.query<Rec>(branches.join(' UNION ALL '), params);
}

export function inArraySql(tx: Transaction, keySql: string): string {
  return tx.dialect.inArray(`(${keySql})`, '$2');
}
