import { DAY_MS, SLOT_MS } from '../ingest/rollups.ts';
import type { Dialect, SqlValue, Storage } from '../storage/types.ts';
import { FINISHED_RUN_SQL as FINISHED_SQL, tenantFilter, type ReportQuery } from './common.ts';
import { sketchPercentile } from './metrics/duration-sketch.ts';
import { percentileCont } from './metrics/percentile.ts';

/**
 * Counts and sums of runs, predictions and metric samples for a period, read from the 15-minute
 * rollups for whole slots and from raw rows for the partial slots at the period's edges, so the
 * answer equals a scan of the raw rows exactly (up to float rounding of latency sums).
 */

export type SlotKind = 'runs' | 'predictions' | 'samples';

/** One aggregate row; `sum1` is duration (runs), probability (predictions) or latency (samples). */
export interface SlotAggregate {
  kind: SlotKind;
  tenant_id: string;
  slot: number;
  n: number;
  failed: number;
  finished: number;
  sum1: number;
  /** Throughput sum for samples; 0 otherwise. */
  sum2: number;
}


/** Splits [from, to) into whole grains [a, b) (grain indexes) and the raw remainder ranges. */
export function splitPeriod(fromMs: number, toMs: number, grainMs: number): { a: number; b: number; raw: [number, number][] } {
  const a = Math.ceil(fromMs / grainMs);
  const b = Math.floor(toMs / grainMs);
  if (a >= b) return { a: 0, b: 0, raw: [[fromMs, toMs]] };
  const raw: [number, number][] = [];
  if (fromMs < a * grainMs) raw.push([fromMs, a * grainMs]);
  if (b * grainMs < toMs) raw.push([b * grainMs, toMs]);
  return { a, b, raw };
}

function rangesSql(column: string, raw: [number, number][], params: SqlValue[]): string {
  if (raw.length === 0) return 'FALSE';
  const ors = raw.map(([lo, hi]) => {
    params.push(lo, hi);
    return `(${column} >= $${params.length - 1} AND ${column} < $${params.length})`;
  });
  return `(${ors.join(' OR ')})`;
}

/**
 * SQL returning SlotAggregate rows (columns kind, tenant_id, slot, n, failed, finished, sum1, sum2)
 * for the kinds asked. With `perTenant`, slots are summed per tenant in SQL and `slot` is 0.
 */
export function slotAggregatesSql(d: Dialect, q: ReportQuery, kinds: readonly SlotKind[], params: SqlValue[], perTenant: boolean): string {
  const { a, b, raw } = splitPeriod(q.fromMs, q.toMs, SLOT_MS);
  const parts: string[] = [];
  const scope = (col: string) => tenantFilter(d, col, q, params);
  const whole = (): string => {
    params.push(a, b);
    return `slot >= $${params.length - 1} AND slot < $${params.length}`;
  };
  const dbl = (e: string) => d.double(e);
  if (kinds.includes('runs')) {
    if (a < b) {
      parts.push(`SELECT 'runs' AS kind, tenant_id, slot, runs AS n, failed, finished, ${dbl('duration_sum_ms')} AS sum1, ${dbl('0')} AS sum2
        FROM rollup_runs WHERE ${whole()} AND ${scope('tenant_id')}`);
    }
    if (raw.length) {
      parts.push(`SELECT 'runs' AS kind, tenant_id, ${d.floorDiv('started_at_ms', SLOT_MS)} AS slot, count(*) AS n,
          count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE ${FINISHED_SQL}) AS finished,
          ${dbl(`coalesce(sum(duration_ms) FILTER (WHERE ${FINISHED_SQL}), 0)`)} AS sum1, ${dbl('0')} AS sum2
        FROM workflow_runs WHERE ${rangesSql('started_at_ms', raw, params)} AND ${scope('tenant_id')}
        GROUP BY 2, 3`);
    }
  }
  if (kinds.includes('predictions')) {
    if (a < b) {
      parts.push(`SELECT 'predictions' AS kind, tenant_id, slot, predictions AS n, 0 AS failed, 0 AS finished, probability_sum AS sum1, ${dbl('0')} AS sum2
        FROM rollup_predictions WHERE ${whole()} AND ${scope('tenant_id')}`);
    }
    if (raw.length) {
      parts.push(`SELECT 'predictions' AS kind, tenant_id, ${d.floorDiv('predicted_at_ms', SLOT_MS)} AS slot, count(*) AS n, 0 AS failed, 0 AS finished, ${dbl('sum(failure_probability)')} AS sum1, ${dbl('0')} AS sum2
        FROM predictions WHERE ${rangesSql('predicted_at_ms', raw, params)} AND ${scope('tenant_id')}
        GROUP BY 2, 3`);
    }
  }
  if (kinds.includes('samples')) {
    if (a < b) {
      parts.push(`SELECT 'samples' AS kind, tenant_id, slot, samples AS n, 0 AS failed, 0 AS finished, latency_sum AS sum1, throughput_sum AS sum2
        FROM rollup_metrics WHERE ${whole()} AND ${scope('tenant_id')}`);
    }
    if (raw.length) {
      parts.push(`SELECT 'samples' AS kind, tenant_id, ${d.floorDiv('ts_ms', SLOT_MS)} AS slot, count(*) AS n, 0 AS failed, 0 AS finished, ${dbl('sum(p95_latency_ms)')} AS sum1, ${dbl('sum(throughput_rps)')} AS sum2
        FROM metric_samples WHERE ${rangesSql('ts_ms', raw, params)} AND ${scope('tenant_id')}
        GROUP BY 2, 3`);
    }
  }
  const union = parts.join('\nUNION ALL\n');
  if (!perTenant) {
    return `SELECT kind, tenant_id, slot, sum(n) AS n, sum(failed) AS failed, sum(finished) AS finished,
        sum(sum1) AS sum1, sum(sum2) AS sum2
      FROM (${union}) u GROUP BY kind, tenant_id, slot`;
  }
  return `SELECT kind, tenant_id, 0 AS slot, sum(n) AS n, sum(failed) AS failed, sum(finished) AS finished,
      sum(sum1) AS sum1, sum(sum2) AS sum2
    FROM (${union}) u GROUP BY kind, tenant_id`;
}

export async function loadSlotAggregates(storage: Storage, q: ReportQuery, kinds: readonly SlotKind[], perTenant: boolean): Promise<SlotAggregate[]> {
  const params: SqlValue[] = [];
  const sql = slotAggregatesSql(storage.dialect, q, kinds, params, perTenant);
  if (!sql) return [];
  const rows = await storage.query<Record<string, unknown>>(sql, params);
  return rows.map((r) => ({
    kind: String(r.kind) as SlotKind,
    tenant_id: String(r.tenant_id),
    slot: Number(r.slot),
    n: Number(r.n ?? 0),
    failed: Number(r.failed ?? 0),
    finished: Number(r.finished ?? 0),
    sum1: Number(r.sum1 ?? 0),
    sum2: Number(r.sum2 ?? 0),
  }));
}

/**
 * Below this many finished runs a tenant's p95 duration is computed exactly from raw rows;
 * above it, from the duration sketch (≤ 1% relative error, contract: Conventions).
 */
export const EXACT_P95_LIMIT = 10_000;

/** p95 of finished run durations per tenant: exact for small tenants, sketch for large ones. */
export async function loadP95Durations(
  storage: Storage,
  q: ReportQuery,
  finishedByTenant: ReadonlyMap<string, number>,
  exactLimit = EXACT_P95_LIMIT,
): Promise<Map<string, number>> {
  const d = storage.dialect;
  const out = new Map<string, number>();
  const small = [...finishedByTenant].filter(([, n]) => n > 0 && n <= exactLimit).map(([t]) => t);
  const large = [...finishedByTenant].filter(([, n]) => n > exactLimit).map(([t]) => t);
  if (small.length) {
    // The durations themselves, interpolated by our one percentile definition: DuckDB's
    // quantile_cont and PostgreSQL's percentile_cont round the interpolation differently.
    const rows = await storage.query<{ tenant_id: string; v: number }>(
      `SELECT tenant_id, duration_ms AS v FROM workflow_runs
       WHERE started_at_ms >= $1 AND started_at_ms < $2 AND ${FINISHED_SQL} AND ${d.inArray('tenant_id', '$3')}`,
      [q.fromMs, q.toMs, small],
    );
    const values = new Map<string, number[]>();
    for (const r of rows) {
      let list = values.get(r.tenant_id);
      if (!list) values.set(r.tenant_id, (list = []));
      list.push(Number(r.v));
    }
    for (const [t, list] of values) out.set(t, percentileCont(list.sort((x, y) => x - y), 0.95)!);
  }
  if (large.length) {
    const counts = await loadDurationSketch(storage, q, large);
    for (const [t, c] of counts) {
      const p = sketchPercentile(c, 0.95);
      if (p !== null) out.set(t, p);
    }
  }
  return out;
}

/** Merged duration sketch per tenant: whole UTC days from the rollup, the partial days raw. */
async function loadDurationSketch(storage: Storage, q: ReportQuery, tenantIds: string[]): Promise<Map<string, Map<number, number>>> {
  const d = storage.dialect;
  const params: SqlValue[] = [tenantIds];
  const inScope = d.inArray('tenant_id', '$1');
  const days = splitPeriod(q.fromMs, q.toMs, DAY_MS);
  const parts: string[] = [];
  if (days.a < days.b) {
    params.push(days.a, days.b);
    parts.push(`SELECT tenant_id, bucket, n FROM rollup_durations_day WHERE ${inScope} AND day >= $${params.length - 1} AND day < $${params.length}`);
  }
  if (days.raw.length) {
    parts.push(`SELECT tenant_id, ${d.durationBucket('round(duration_ms)')} AS bucket, 1 AS n FROM workflow_runs
      WHERE ${inScope} AND ${FINISHED_SQL} AND ${rangesSql('started_at_ms', days.raw, params)}`);
  }
  const rows = await storage.query<{ tenant_id: string; bucket: number; n: number }>(
    `SELECT tenant_id, bucket, sum(n) AS n FROM (${parts.join('\nUNION ALL\n')}) u GROUP BY tenant_id, bucket`,
    params,
  );
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    let m = out.get(r.tenant_id);
    if (!m) out.set(r.tenant_id, (m = new Map()));
    m.set(Number(r.bucket), Number(r.n));
  }
  return out;
}
