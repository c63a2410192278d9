import { interpolateRanks } from './metrics/percentile.ts';
import { DAY_MS, DAYS_PER_WEEK, SLOT_MS, SLOTS_PER_DAY } from '../ingest/rollups.ts';
import type { Dialect, SqlValue, Storage } from '../storage/types.ts';
import { FINISHED_RUN_SQL as FINISHED_SQL, tenantFilter, type ReportQuery } from './common.ts';
import { percentileFromBuckets } from './metrics/duration-sketch.ts';
import { FX_PARTS, fxSumsSql, fxTotalOf } from './metrics/exact-sum.ts';
import type { TenantRow } from '../tenancy/tenant-service.ts';

/**
 * Counts and sums of runs, predictions and metric samples for a period, read from the 15-minute
 * rollups for whole slots and from raw rows for the partial slots at the period's edges, so the
 * answer equals a scan of the raw rows exactly (up to float rounding of latency sums).
 */

export type SlotKind = 'runs' | 'predictions' | 'samples';

/**
 * Nested split of [from, to) over grains, coarsest first, each dividing the previous one (e.g.
 * UTC day, 15-minute slot): `whole[i]` are the ranges [a, b) of whole grain-i indexes, coarser
 * grains taken first, and `raw` the remainder not covered by any whole grain. Together they
 * partition [from, to) exactly: e.g. whole days in the middle, whole slots of the partial days at
 * each end, raw milliseconds of the partial slots at the very edges.
 */
export function splitNested(fromMs: number, toMs: number, grainsMs: readonly number[]): { whole: [number, number][][]; raw: [number, number][] } {
  const whole = grainsMs.map((): [number, number][] => []);
  const raw: [number, number][] = [];
  const go = (lo: number, hi: number, level: number): void => {
    if (lo >= hi) return;
    if (level === grainsMs.length) {
      raw.push([lo, hi]);
      return;
    }
    const g = grainsMs[level]!;
    const a = Math.ceil(lo / g);
    const b = Math.floor(hi / g);
    if (a >= b) {
      // No whole grain, but a grain edge strictly inside: cut there, so every remainder lies
      // within one grain (a 15-minute period from 10:05 to 10:20 is two partial slots).
      if (a === b && a * g > lo && a * g < hi) {
        go(lo, a * g, level + 1);
        go(a * g, hi, level + 1);
        return;
      }
      return go(lo, hi, level + 1);
    }
    go(lo, a * g, level + 1);
    whole[level]!.push([a, b]);
    go(b * g, hi, level + 1);
  };
  go(fromMs, toMs, 0);
  return { whole, raw };
}

/** A week of the week rollups: 7 UTC days from the epoch (week = day // 7). */
export const WEEK_MS = DAYS_PER_WEEK * DAY_MS;

/** A range [a, b) of whole weeks or whole UTC days; `grain` names both the table suffix and its index column. */
export interface WholeRange {
  grain: 'week' | 'day';
  a: number;
  b: number;
}

/**
 * [from, to) as whole weeks, whole UTC days outside them and raw millisecond ranges of the partial
 * days at the edges, for the tables kept per day and per week (`<table>_week.week`, `<table>_day.day`).
 */
export function splitWeeksDays(fromMs: number, toMs: number): { whole: WholeRange[]; raw: [number, number][] } {
  const { whole, raw } = splitNested(fromMs, toMs, [WEEK_MS, DAY_MS]);
  return {
    whole: [...whole[0]!.map(([a, b]) => ({ grain: 'week' as const, a, b })), ...whole[1]!.map(([a, b]) => ({ grain: 'day' as const, a, b }))],
    raw,
  };
}

function rangesSql(column: string, raw: [number, number][], params: SqlValue[]): string {
  if (raw.length === 0) return 'FALSE';
  const ors = raw.map(([lo, hi]) => {
    params.push(lo, hi);
    return `(${column} >= $${params.length - 1} AND ${column} < $${params.length})`;
  });
  return `(${ors.join(' OR ')})`;
}

/** Kinds a slot union can hold: the rolled-up ones, and incidents (always from raw rows, they are few). */
export type UnionKind = SlotKind | 'incidents';

export interface SlotUnionOptions {
  /**
   * Read whole UTC days from the day rollups (their rows carry `slot` = the day's first slot, and
   * stand for the whole day). Only for callers that sum whole days into one group: per-tenant
   * totals, or buckets whose edges are all on UTC midnights.
   */
  days?: boolean;
  /**
   * With every tenant in scope, read the short edge ranges (slots and raw rows at the period's
   * ends) tenant by tenant through the tenants table: PostgreSQL then walks its (tenant_id, …)
   * indexes instead of scanning whole tables (~3 ms instead of ~25 ms per table at 1M runs).
   * DuckDB scans either way and the join only costs, so it leaves this off.
   */
  edgesPerTenant?: boolean;
}

/** The finished-run rule on the alias `r`. */
const FINISHED_R = FINISHED_SQL.replace(/\bstatus\b/g, 'r.status');

/** Exact-sum columns of the union (metrics/exact-sum.ts): `x` and `y` as their four integer parts. */
const fxColumns = (alias: string, parts: readonly string[] | null): string =>
  FX_PARTS.map((p, k) => `${parts ? parts[k] : '0'} AS ${alias}_${p}`).join(', ');
const storedFx = (column: string): string[] => FX_PARTS.map((p) => `r.${column}_${p}`);

/**
 * Rollup tables, value columns and raw source of each kind. Union columns: n, failed, finished,
 * sum1 (run durations, exact integers in a double), and the exact sums x (latency, probability)
 * and y (throughput) as `x_i` … `x_c`, `y_i` … `y_c`.
 */
const KIND_SOURCES: Record<SlotKind, { slotTable: string; dayTable: string; values: (d: Dialect) => string; time: string; rawValues: (d: Dialect) => string; rawTable: string }> = {
  runs: {
    slotTable: 'rollup_runs',
    dayTable: 'rollup_runs_day',
    values: (d) => `r.runs AS n, r.failed AS failed, r.finished AS finished, ${d.double('r.duration_sum_ms')} AS sum1, ${fxColumns('x', null)}, ${fxColumns('y', null)}`,
    rawTable: 'workflow_runs',
    time: 'started_at_ms',
    rawValues: (d) => `count(*) AS n, count(*) FILTER (WHERE r.status = 'failed') AS failed, count(*) FILTER (WHERE ${FINISHED_R}) AS finished,
          ${d.double(`coalesce(sum(r.duration_ms) FILTER (WHERE ${FINISHED_R}), 0)`)} AS sum1, ${fxColumns('x', null)}, ${fxColumns('y', null)}`,
  },
  predictions: {
    slotTable: 'rollup_predictions',
    dayTable: 'rollup_predictions_day',
    values: (d) => `r.predictions AS n, 0 AS failed, 0 AS finished, ${d.double('0')} AS sum1, ${fxColumns('x', storedFx('probability'))}, ${fxColumns('y', null)}`,
    rawTable: 'predictions',
    time: 'predicted_at_ms',
    rawValues: (d) => `count(*) AS n, 0 AS failed, 0 AS finished, ${d.double('0')} AS sum1, ${fxColumns('x', fxSumsSql(d, 'r.failure_probability'))}, ${fxColumns('y', null)}`,
  },
  samples: {
    slotTable: 'rollup_metrics',
    dayTable: 'rollup_metrics_day',
    values: (d) => `r.samples AS n, 0 AS failed, 0 AS finished, ${d.double('0')} AS sum1, ${fxColumns('x', storedFx('latency'))}, ${fxColumns('y', storedFx('throughput'))}`,
    rawTable: 'metric_samples',
    time: 'ts_ms',
    rawValues: (d) =>
      `count(*) AS n, 0 AS failed, 0 AS finished, ${d.double('0')} AS sum1, ${fxColumns('x', fxSumsSql(d, 'r.p95_latency_ms'))}, ${fxColumns('y', fxSumsSql(d, 'r.throughput_rps'))}`,
  },
};

/**
 * UNION ALL of per-slot rows (columns kind, tenant_id, slot, n, failed, finished, sum1 and the
 * exact sums x_i … y_c, see KIND_SOURCES) for
 * the kinds asked: whole UTC days from the day rollups (with `days`), whole slots from the slot
 * rollups, partial edge slots from raw rows. Rows of one (kind, tenant, slot) may repeat (rollup
 * delta rows, edge rows): callers sum them.
 */
export function slotUnionSql(d: Dialect, q: ReportQuery, kinds: readonly UnionKind[], params: SqlValue[], opts: SlotUnionOptions = {}): string {
  const { whole, raw } = splitNested(q.fromMs, q.toMs, opts.days ? [DAY_MS, SLOT_MS] : [SLOT_MS]);
  const dayRanges = opts.days ? whole[0]! : [];
  const slotRanges = whole[whole.length - 1]!;
  const parts: string[] = [];
  /** Rows of `table` (alias r) of the tenants in scope; `edge`: a short range (see edgesPerTenant). */
  const from = (table: string, edge: boolean): string => {
    if (q.tenantIds !== null) return `${table} r WHERE ${tenantFilter(d, 'r.tenant_id', q, params)}`;
    return edge && opts.edgesPerTenant ? `tenants s JOIN ${table} r ON r.tenant_id = s.tenant_id WHERE TRUE` : `${table} r WHERE TRUE`;
  };
  const range = (column: string, [a, b]: [number, number]): string => {
    params.push(a, b);
    return `r.${column} >= $${params.length - 1} AND r.${column} < $${params.length}`;
  };
  for (const kind of ['runs', 'predictions', 'samples'] as const) {
    if (!kinds.includes(kind)) continue;
    const src = KIND_SOURCES[kind];
    for (const days of dayRanges) {
      parts.push(`SELECT '${kind}' AS kind, r.tenant_id AS tenant_id, r.day * ${SLOTS_PER_DAY} AS slot, ${src.values(d)}
        FROM ${from(src.dayTable, false)} AND ${range('day', days)}`);
    }
    for (const slots of slotRanges) {
      parts.push(`SELECT '${kind}' AS kind, r.tenant_id AS tenant_id, r.slot AS slot, ${src.values(d)}
        FROM ${from(src.slotTable, dayRanges.length > 0)} AND ${range('slot', slots)}`);
    }
    // One branch per raw range: an OR of ranges defeats DuckDB's zone maps (a scan of the whole
    // table at 10M rows instead of the edge's few row groups).
    for (const edge of raw) {
      parts.push(`SELECT '${kind}' AS kind, r.tenant_id AS tenant_id, ${d.floorDiv(`r.${src.time}`, SLOT_MS)} AS slot, ${src.rawValues(d)}
        FROM ${from(src.rawTable, true)} AND ${rangesSql(`r.${src.time}`, [edge], params)}
        GROUP BY 2, 3`);
    }
  }
  if (kinds.includes('incidents')) {
    params.push(q.fromMs, q.toMs);
    const fromTo = `r.opened_at_ms >= $${params.length - 1} AND r.opened_at_ms < $${params.length}`;
    parts.push(`SELECT 'incidents' AS kind, r.tenant_id AS tenant_id, ${d.floorDiv('r.opened_at_ms', SLOT_MS)} AS slot, count(*) AS n, 0 AS failed, 0 AS finished, ${d.double('0')} AS sum1, ${fxColumns('x', null)}, ${fxColumns('y', null)}
        FROM ${from('incidents', false)} AND ${fromTo}
        GROUP BY 2, 3`);
  }
  return parts.join('\nUNION ALL\n');
}

/** A tenant in scope with its stored row and its record counts and sums over the period. */
export interface TenantTotals {
  /** The tenants row as stored (name, created_at_ms, price overrides). */
  tenant: TenantRow;
  runs: number;
  failed: number;
  finished: number;
  durationSum: number;
  samples: number;
  /** Exact sums in units of 2^-96 (metrics/exact-sum.ts). */
  latencySum: bigint;
  throughputSum: bigint;
  predictions: number;
  probabilitySum: bigint;
}

/**
 * Every tenant in scope (with or without data) with its period totals of runs, samples and
 * predictions, in one statement: the tenants row joined with the rollup sums (raw edge slots
 * included). Overview and costs both read this; the tenant report reads it once for both.
 */
export async function loadTenantTotals(storage: Storage, q: ReportQuery): Promise<TenantTotals[]> {
  const d = storage.dialect;
  const params: SqlValue[] = [];
  // Whole UTC days from the day rollups: ~90 rows per tenant and kind over 90 days instead of 8,640.
  const union = slotUnionSql(d, q, ['runs', 'samples', 'predictions'], params, { days: true, edgesPerTenant: storage.engine === 'postgres' });
  const scope = tenantFilter(d, 't.tenant_id', q, params);
  // One row per (tenant, kind): grouping by kind costs DuckDB half of what one row per tenant
  // with FILTER aggregates did. Exact sums leave the engine as text: PostgreSQL's NUMERIC would
  // otherwise become a double.
  const fx = (col: 'x' | 'y') => FX_PARTS.map((p) => `CAST(sum(${col}_${p}) AS TEXT) AS ${col}_${p}`).join(', ');
  // A period is never empty (from < to), so the union always has a branch.
  const totals = `LEFT JOIN (
       SELECT tenant_id, kind, sum(n) AS n, sum(failed) AS failed, sum(finished) AS finished, sum(sum1) AS sum1, ${fx('x')}, ${fx('y')}
       FROM (${union}) u GROUP BY tenant_id, kind
     ) a ON a.tenant_id = t.tenant_id`;
  const rows = await storage.query<Record<string, unknown>>(
    `SELECT t.tenant_id, t.name, t.created_at_ms, t.price_workflow_run_micros, t.price_metric_sample_micros, t.price_prediction_micros,
            a.kind, a.n, a.failed, a.finished, a.sum1, ${['x', 'y'].flatMap((c) => FX_PARTS.map((p) => `a.${c}_${p}`)).join(', ')}
     FROM tenants t ${totals}
     WHERE ${scope}`,
    params,
  );
  const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  const nn = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const byTenant = new Map<string, TenantTotals>();
  for (const r of rows) {
    const id = String(r.tenant_id);
    let t = byTenant.get(id);
    if (!t) {
      t = {
        tenant: {
          tenant_id: id,
          name: String(r.name),
          created_at_ms: Number(r.created_at_ms),
          price_workflow_run_micros: nn(r.price_workflow_run_micros),
          price_metric_sample_micros: nn(r.price_metric_sample_micros),
          price_prediction_micros: nn(r.price_prediction_micros),
        },
        runs: 0,
        failed: 0,
        finished: 0,
        durationSum: 0,
        samples: 0,
        latencySum: 0n,
        throughputSum: 0n,
        predictions: 0,
        probabilitySum: 0n,
      };
      byTenant.set(id, t);
    }
    if (r.kind === 'runs') {
      t.runs = n(r.n);
      t.failed = n(r.failed);
      t.finished = n(r.finished);
      t.durationSum = n(r.sum1);
    } else if (r.kind === 'samples') {
      t.samples = n(r.n);
      t.latencySum = fxTotalOf(r, 'x');
      t.throughputSum = fxTotalOf(r, 'y');
    } else if (r.kind === 'predictions') {
      t.predictions = n(r.n);
      t.probabilitySum = fxTotalOf(r, 'x');
    }
  }
  return [...byTenant.values()];
}

/**
 * Below this many finished runs a tenant's p95 duration is computed exactly from raw rows;
 * above it, from the duration sketch (≤ 1% relative error, contract: Conventions).
 */
export const EXACT_P95_LIMIT = 10_000;

/** The p95 fraction of `p95_duration_ms`, and the two ranks percentile_cont interpolates between. */
const P95 = 0.95;

/**
 * p95 of finished run durations per tenant: exact for small tenants, sketch for large ones, in one
 * statement. The exact part never ships the durations: SQL sorts each small tenant's durations and
 * returns only the two values at ranks ⌊0.95·(n−1)⌋ and ⌈0.95·(n−1)⌉, which are interpolated here
 * exactly as `percentileCont` does (the engines' own percentile functions round differently).
 */
export async function loadP95Durations(
  storage: Storage,
  q: ReportQuery,
  finishedByTenant: ReadonlyMap<string, number>,
  exactLimit = EXACT_P95_LIMIT,
): Promise<Map<string, number>> {
  const small = [...finishedByTenant].filter(([, n]) => n > 0 && n <= exactLimit).map(([t]) => t);
  const large = [...finishedByTenant].filter(([, n]) => n > exactLimit).map(([t]) => t);
  const params: SqlValue[] = [];
  const parts: string[] = [];
  if (small.length) parts.push(exactP95Sql(storage, q, small, params));
  if (large.length) parts.push(sketchP95Sql(storage.dialect, q, large, params));
  return parts.length ? p95Rows(storage, parts, params) : new Map();
}

/**
 * Period totals of every tenant in scope (loadTenantTotals) with their p95 durations. The totals
 * and the duration sketch of the tenants in scope are read side by side (two statements at once:
 * which tenants need the sketch is only known from the totals, but most do); the exact p95 of the
 * small ones follows, when there are any. Same answers as loadTenantTotals + loadP95Durations.
 */
export async function loadTotalsWithP95(storage: Storage, q: ReportQuery, exactLimit = EXACT_P95_LIMIT): Promise<{ totals: TenantTotals[]; p95: Map<string, number> }> {
  if (q.tenantIds === null && storage.engine === 'postgres') {
    // Every tenant on PostgreSQL: one after the other. A sketch of every tenant's partial days
    // cannot use its (tenant_id, started_at_ms) index without the tenant list (a scan of every
    // run: 2.8 s at 10M runs in Asia/Kathmandu, against 0.3–0.6 s with the list from the totals).
    // DuckDB scans by time either way (zone maps), so it reads both at once.
    const totals = await loadTenantTotals(storage, q);
    return { totals, p95: await loadP95Durations(storage, q, new Map(totals.map((t) => [t.tenant.tenant_id, t.finished])), exactLimit) };
  }
  const sketchParams: SqlValue[] = [];
  const sketchSql = sketchP95Sql(storage.dialect, q, q.tenantIds, sketchParams);
  const [totals, sketch] = await Promise.all([loadTenantTotals(storage, q), p95Rows(storage, [sketchSql], sketchParams)]);
  const p95 = new Map<string, number>();
  const small: string[] = [];
  for (const t of totals) {
    const id = t.tenant.tenant_id;
    if (t.finished > exactLimit && sketch.has(id)) p95.set(id, sketch.get(id)!);
    else if (t.finished > 0 && t.finished <= exactLimit) small.push(id);
  }
  if (small.length) {
    const params: SqlValue[] = [];
    for (const [id, v] of await p95Rows(storage, [exactP95Sql(storage, q, small, params)], params)) p95.set(id, v);
  }
  return { totals, p95 };
}

/** Runs the UNION ALL of p95 statements (rows: tenant_id, kind, n, v_lo, v_hi) and interpolates. */
async function p95Rows(storage: Storage, parts: readonly string[], params: SqlValue[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const rows = await storage.query<{ tenant_id: string; kind: string; n: number; v_lo: number; v_hi: number | null }>(parts.join('\nUNION ALL\n'), params);
  for (const r of rows) {
    const n = Number(r.n);
    if (r.kind === 'exact') out.set(r.tenant_id, interpolateRanks(n, P95, Number(r.v_lo), Number(r.v_hi)));
    else if (n > 0) out.set(r.tenant_id, percentileFromBuckets(n, Number(r.v_lo), Number(r.v_hi), P95));
  }
  return out;
}

/** Exact p95 rows of the given tenants: their sorted finished durations, two ranks each. */
function exactP95Sql(storage: Storage, q: ReportQuery, tenantIds: readonly string[], params: SqlValue[]): string {
  const d = storage.dialect;
  params.push(q.fromMs, q.toMs);
  const range = `started_at_ms >= $${params.length - 1} AND started_at_ms < $${params.length}`;
  const inScope = tenantListFilter(d, 'tenant_id', tenantIds, params);
  // 1-based positions of the two closest ranks; IEEE double arithmetic as in JS.
  const pos = `${d.double(String(P95))} * (n - 1)`;
  const at = (fn: string) =>
    storage.engine === 'postgres' ? `sorted[CAST(${fn}(${pos}) AS INTEGER) + 1]` : `sorted[CAST(${fn}(${pos}) AS BIGINT) + 1]`;
  const sortedAgg = storage.engine === 'postgres' ? 'array_agg(duration_ms ORDER BY duration_ms)' : 'list_sort(list(duration_ms))';
  return `SELECT tenant_id, 'exact' AS kind, n, ${d.double(at('floor'))} AS v_lo, ${d.double(at('ceil'))} AS v_hi
      FROM (SELECT tenant_id, count(*) AS n, ${sortedAgg} AS sorted FROM workflow_runs
            WHERE ${range} AND ${FINISHED_SQL} AND ${inScope} GROUP BY tenant_id) e`;
}

/**
 * Sketch p95 rows of the given tenants (null: every tenant). The merged sketch stays in the
 * database: a running count per bucket finds the buckets of ranks ⌊0.95·(n−1)⌋ and ⌈0.95·(n−1)⌉
 * (IEEE doubles as in JS), one row per tenant comes back.
 */
function sketchP95Sql(d: Dialect, q: ReportQuery, tenantIds: readonly string[] | null, params: SqlValue[]): string {
  const rank = (fn: string) => `${fn}(${d.double(String(P95))} * ${d.double('total - 1')})`;
  return `SELECT tenant_id, 'sketch' AS kind, total AS n,
        ${d.double(`min(bucket) FILTER (WHERE cum > ${rank('floor')})`)} AS v_lo, ${d.double(`min(bucket) FILTER (WHERE cum > ${rank('ceil')})`)} AS v_hi
      FROM (
        SELECT tenant_id, bucket,
               sum(n) OVER (PARTITION BY tenant_id ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
               sum(n) OVER (PARTITION BY tenant_id) AS total
        FROM (SELECT tenant_id, bucket, sum(n) AS n FROM (${durationSketchSql(d, q, tenantIds, params)}) s GROUP BY tenant_id, bucket HAVING sum(n) > 0) g
      ) c GROUP BY tenant_id, total`;
}

/**
 * `column` is one of `tenantIds`: an equality for one tenant (zone maps and indexes apply), else a
 * list; null: every tenant.
 */
function tenantListFilter(d: Dialect, column: string, tenantIds: readonly string[] | null, params: SqlValue[]): string {
  if (tenantIds === null) return 'TRUE';
  params.push(tenantIds.length === 1 ? tenantIds[0]! : [...tenantIds]);
  return tenantIds.length === 1 ? `${column} = $${params.length}` : d.inArray(column, `$${params.length}`);
}

/**
 * Rows (tenant_id, bucket, n) of the duration sketch: whole weeks and whole UTC days from the
 * rollups (a 90-day period reads ≈ 13 week rows per bucket instead of 90 day rows), partial days raw.
 */
function durationSketchSql(d: Dialect, q: ReportQuery, tenantIds: readonly string[] | null, params: SqlValue[]): string {
  const split = splitWeeksDays(q.fromMs, q.toMs);
  const parts: string[] = [];
  for (const { grain, a, b } of split.whole) {
    const inScope = tenantListFilter(d, 'tenant_id', tenantIds, params);
    params.push(a, b);
    parts.push(`SELECT tenant_id, bucket, n FROM rollup_durations_${grain} WHERE ${inScope} AND ${grain} >= $${params.length - 1} AND ${grain} < $${params.length}`);
  }
  // One branch per partial day: an OR of ranges defeats DuckDB's zone maps.
  for (const edge of split.raw) {
    const inScope = tenantListFilter(d, 'tenant_id', tenantIds, params);
    parts.push(`SELECT tenant_id, ${d.durationBucket('round(duration_ms)')} AS bucket, 1 AS n FROM workflow_runs
      WHERE ${inScope} AND ${FINISHED_SQL} AND ${rangesSql('started_at_ms', [edge], params)}`);
  }
  return parts.join('\nUNION ALL\n');
}
