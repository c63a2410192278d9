import { ValidationError } from '../domain/errors.ts';
import type { Dialect, SqlValue } from '../storage/types.ts';
import { GRANULARITIES, bucketIndexFor, generateBuckets, type Bucket, type Granularity } from './metrics/buckets.ts';
import { MINUTE_MS } from './metrics/tz.ts';
import { DAY_MS, SLOT_MS } from '../ingest/rollups.ts';
import { FINISHED_RUN_SQL, num, numOrNull, ratio, type ReportQuery } from './common.ts';
import { FX_PARTS, fxMean, fxSumsSql, fxTotalOf } from './metrics/exact-sum.ts';
import { slotUnionSql } from './rollup-source.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';

/** One trend bucket (contract "GET /reports/trends/{tenant_id}", precise readings 5 and 10). */
export interface TrendPoint {
  /** The bucket's first instant, ISO 8601 with the offset of `tz` in force then. */
  bucket_start: string;
  /** Runs of any status, by started_at. */
  workflows: number;
  failed_workflows: number;
  /** 100 × failed / (succeeded + failed); null when no run finished. */
  failure_rate_percent: number | null;
  /** Mean duration over succeeded + failed runs. */
  avg_duration_ms: number | null;
  incidents_opened: number;
  predictions: number;
  /** Mean p95 latency over the metric samples of the bucket. */
  avg_p95_latency_ms: number | null;
}

export interface TrendsBody {
  tenant_id: string;
  granularity: Granularity;
  tz: string;
  points: TrendPoint[];
}

export const TREND_POINT_COLUMNS = [
  'bucket_start',
  'workflows',
  'failed_workflows',
  'failure_rate_percent',
  'avg_duration_ms',
  'incidents_opened',
  'predictions',
  'avg_p95_latency_ms',
] as const satisfies readonly (keyof TrendPoint)[];

/** Trends CSV: `tenant_id` first, then the point fields (contract reading 1). */
export const TRENDS_CSV_COLUMNS = ['tenant_id', ...TREND_POINT_COLUMNS] as const;

export const DEFAULT_GRANULARITY: Granularity = 'day';

/** Reads `granularity` (default day); anything but hour, day or week is a 400. */
export function parseGranularity(raw: unknown): Granularity {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_GRANULARITY;
  if (typeof raw === 'string' && (GRANULARITIES as readonly string[]).includes(raw)) return raw as Granularity;
  const message = `granularity must be one of ${GRANULARITIES.join(', ')}; got ${JSON.stringify(raw)}`;
  throw new ValidationError(message, [{ field: 'granularity', message }]);
}

/**
 * Pre-aggregation slot sizes, coarsest first. Every current zone has offsets that are multiples of
 * 15 minutes, so local hour/day/week starts fall on 15-minute UTC slots and SQL can aggregate per
 * slot. Historical local-mean-time offsets (e.g. +00:19:32) do not; for such periods a finer slot
 * that divides every boundary keeps the answer exact instead of misplacing a few records.
 */
const SLOT_SIZES_MS = [15 * MINUTE_MS, MINUTE_MS, 1000, 1] as const;

function slotSizeFor(buckets: readonly Bucket[]): number {
  // The first bucket starts at `from`, which may lie inside a slot: rows are ≥ from anyway.
  for (const size of SLOT_SIZES_MS) {
    if (buckets.every((b, i) => i === 0 || b.startMs % size === 0)) return size;
  }
  return 1;
}

/** The one tenant a path-scoped report is about (the route resolved and checked it). */
export function pathTenantOf(q: ReportQuery): string {
  if (q.tenantIds === null || q.tenantIds.length !== 1) {
    throw new ValidationError('This report is about exactly one tenant', [{ field: 'tenant_id', message: 'name exactly one tenant' }]);
  }
  return q.tenantIds[0];
}

interface SlotRow {
  kind: 'runs' | 'incidents' | 'predictions' | 'samples';
  slot: number;
  n: number;
  failed: number;
  finished: number;
  /** Run durations (runs). */
  value_sum: number | null;
  /** Exact latency total in units of 2^-96 (samples; metrics/exact-sum.ts). */
  latency: bigint;
}

interface Accumulator {
  workflows: number;
  failed: number;
  finished: number;
  durationSum: number;
  incidents: number;
  predictions: number;
  samples: number;
  latencySum: bigint;
}

/**
 * GET /reports/trends/{tenant_id}: one point per local-clock bucket of the period, empty ones
 * included. SQL returns counts and sums per UTC slot (never averages); slots are folded into
 * buckets here with `bucketIndexFor`, so both engines share one bucket definition.
 */
export async function getTrends(env: ReportEnv, q: ReportQuery, granularity: Granularity): Promise<TrendsBody> {
  const tenantId = pathTenantOf(q);
  const buckets = generateBuckets(q.fromMs, q.toMs, q.tz, granularity);
  const slotMs = slotSizeFor(buckets);

  const acc: Accumulator[] = buckets.map(() => ({
    workflows: 0,
    failed: 0,
    finished: 0,
    durationSum: 0,
    incidents: 0,
    predictions: 0,
    samples: 0,
    latencySum: 0n,
  }));
  const add = (a: Accumulator, s: SlotRow) => {
    switch (s.kind) {
      case 'runs':
        a.workflows += s.n;
        a.failed += s.failed;
        a.finished += s.finished;
        a.durationSum += s.value_sum ?? 0;
        break;
      case 'incidents':
        a.incidents += s.n;
        break;
      case 'predictions':
        a.predictions += s.n;
        break;
      case 'samples':
        a.samples += s.n;
        a.latencySum += s.latency;
        break;
    }
  };
  if (slotMs === SLOT_MS) {
    // Bucket starts lie on 15-minute slots: SQL sums the rollups straight into buckets, so only
    // one row per (kind, bucket) leaves the engine.
    for (const r of await loadRolledUpBuckets(env, q, tenantId, buckets)) {
      const a = acc[r.slot];
      if (a) add(a, r);
    }
  } else {
    const slots = await loadRawSlots(env, q, tenantId, slotMs);
    for (const s of slots) {
      const i = bucketIndexFor(buckets, Math.max(s.slot * slotMs, q.fromMs));
      if (i >= 0) add(acc[i], s); // i < 0 is unreachable: SQL selected [from, to) only
    }
  }

  const points = buckets.map((b, i) => toTrendPoint(b, acc[i]));
  return { tenant_id: tenantId, granularity, tz: q.tz, points };
}

/**
 * SQL for the bucket index of a 15-minute `slot` column. Buckets are cut into runs of equal width
 * (in slots); within a run the index is affine in the slot, so a short CASE over the runs (one for
 * a fixed-offset zone, a few more around DST transitions and partial edge buckets) maps every slot
 * exactly as `bucketIndexFor` would. Bucket 0 starts at the slot holding `from`.
 * The runs' slots and first indexes are parameters (appended to `params`), so the statement's
 * text depends only on the number of runs and their widths: the same report over another period
 * reuses the prepared statement (DuckDB keeps them per connection).
 */
export function bucketIndexSql(d: Dialect, slot: string, buckets: readonly Bucket[], fromMs: number, toMs: number, params: SqlValue[]): string {
  const starts = buckets.map((b, i) => (i === 0 ? Math.floor(fromMs / SLOT_MS) : b.startMs / SLOT_MS));
  const end = Math.ceil(toMs / SLOT_MS);
  const runs: { start: number; width: number; first: number }[] = [];
  for (let i = 0; i < starts.length; i++) {
    const width = (i + 1 < starts.length ? starts[i + 1]! : end) - starts[i]!;
    const last = runs[runs.length - 1];
    if (last && last.width === width && starts[i] === last.start + (i - last.first) * last.width) continue;
    runs.push({ start: starts[i]!, width, first: i });
  }
  const param = (v: number) => {
    params.push(v);
    return `CAST($${params.length} AS BIGINT)`;
  };
  const expr = (r: (typeof runs)[number]) => `(${param(r.first)} + ${d.floorDiv(`${slot} - ${param(r.start)}`, r.width)})`;
  if (runs.length === 1) return expr(runs[0]!);
  const whens = runs.slice(0, -1).map((r, k) => `WHEN ${slot} < ${param(runs[k + 1]!.start)} THEN ${expr(r)}`);
  return `CASE ${whens.join(' ')} ELSE ${expr(runs[runs.length - 1]!)} END`;
}

/**
 * Sums per (kind, bucket): runs, predictions and samples from the 15-minute rollups (raw rows
 * only for partial edge slots), incidents from raw rows (they are few), in one statement.
 * `slot` of the returned rows is the bucket index.
 */
async function loadRolledUpBuckets(env: ReportEnv, q: ReportQuery, tenantId: string, buckets: readonly Bucket[]): Promise<SlotRow[]> {
  const d = env.storage.dialect;
  const params: SqlValue[] = [];
  // Buckets whose edges all lie on UTC midnights (day or week buckets in UTC) hold whole UTC days:
  // those are read from the day rollups; any other bucketing keeps to slots.
  const days = buckets.every((b, i) => i === 0 || b.startMs % DAY_MS === 0);
  const union = slotUnionSql(d, { ...q, tenantIds: [tenantId] }, ['runs', 'predictions', 'samples', 'incidents'], params, { days });
  const rows = await env.storage.query<Record<string, unknown>>(
    `SELECT kind, ${bucketIndexSql(d, 'slot', buckets, q.fromMs, q.toMs, params)} AS b, sum(n) AS n, sum(failed) AS failed,
            sum(finished) AS finished, sum(sum1) AS value_sum,
            ${FX_PARTS.map((p) => `CAST(sum(x_${p}) AS TEXT) AS x_${p}`).join(', ')}
     FROM (${union}) u GROUP BY 1, 2`,
    params,
  );
  return rows.map((r) => toSlotRow(r, r.b));
}

/** Every kind from raw rows, for zones whose bucket edges are not on 15-minute marks. */
async function loadRawSlots(env: ReportEnv, q: ReportQuery, tenantId: string, slotMs: number): Promise<SlotRow[]> {
  const d = env.storage.dialect;
  const slot = (column: string) => d.floorDiv(column, slotMs);
  const params: SqlValue[] = [q.fromMs, q.toMs, tenantId];
  const noSum = d.double('NULL');
  const noFx = FX_PARTS.map((p) => `'0' AS x_${p}`).join(', ');
  const latencyFx = fxSumsSql(d, 'p95_latency_ms')
    .map((e, k) => `CAST(${e} AS TEXT) AS x_${FX_PARTS[k]}`)
    .join(', ');
  const sql = `
    SELECT 'runs' AS kind, ${slot('started_at_ms')} AS slot,
           count(*) AS n,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE ${FINISHED_RUN_SQL}) AS finished,
           sum(duration_ms) FILTER (WHERE ${FINISHED_RUN_SQL}) AS value_sum, ${noFx}
    FROM workflow_runs
    WHERE tenant_id = $3 AND started_at_ms >= $1 AND started_at_ms < $2
    GROUP BY ${slot('started_at_ms')}
    UNION ALL
    SELECT 'incidents', ${slot('opened_at_ms')}, count(*), 0, 0, ${noSum}, ${noFx}
    FROM incidents
    WHERE tenant_id = $3 AND opened_at_ms >= $1 AND opened_at_ms < $2
    GROUP BY ${slot('opened_at_ms')}
    UNION ALL
    SELECT 'predictions', ${slot('predicted_at_ms')}, count(*), 0, 0, ${noSum}, ${noFx}
    FROM predictions
    WHERE tenant_id = $3 AND predicted_at_ms >= $1 AND predicted_at_ms < $2
    GROUP BY ${slot('predicted_at_ms')}
    UNION ALL
    SELECT 'samples', ${slot('ts_ms')}, count(*), 0, 0, ${noSum}, ${latencyFx}
    FROM metric_samples
    WHERE tenant_id = $3 AND ts_ms >= $1 AND ts_ms < $2
    GROUP BY ${slot('ts_ms')}`;
  const rows = await env.storage.query<Record<string, unknown>>(sql, params);
  return rows.map((r) => toSlotRow(r, r.slot));
}

/** A row of either query (columns kind, n, failed, finished, value_sum, x_i … x_c) with its slot or bucket index. */
function toSlotRow(r: Record<string, unknown>, slot: unknown): SlotRow {
  return {
    kind: String(r.kind) as SlotRow['kind'],
    slot: num(slot),
    n: num(r.n),
    failed: num(r.failed),
    finished: num(r.finished),
    value_sum: numOrNull(r.value_sum),
    latency: r.kind === 'samples' ? fxTotalOf(r, 'x') : 0n,
  };
}

function toTrendPoint(b: Bucket, a: Accumulator): TrendPoint {
  return {
    bucket_start: b.bucketStart,
    workflows: a.workflows,
    failed_workflows: a.failed,
    failure_rate_percent: a.finished === 0 ? null : (100 * a.failed) / a.finished,
    avg_duration_ms: ratio(a.durationSum, a.finished),
    incidents_opened: a.incidents,
    predictions: a.predictions,
    avg_p95_latency_ms: fxMean(a.latencySum, a.samples),
  };
}

/** Trends CSV rows: one per point, each led by the tenant id (contract reading 1). */
export function trendsCsvRows(body: TrendsBody): Record<string, unknown>[] {
  return body.points.map((p) => ({ tenant_id: body.tenant_id, ...p }));
}

export const trendsReport: ReportDefinition = {
  name: 'trends',
  path: '/reports/trends/:tenant_id',
  summary: 'One tenant’s workflow, incident, prediction and latency trend per local-clock bucket',
  tenantInPath: true,
  extraQuery: {
    granularity: { type: 'string', description: 'hour, day (default) or week; weeks start Monday, buckets follow the local clock of tz' },
  },
  run: (env, q, params) => getTrends(env, q, parseGranularity(params.granularity)),
  csv: (body) => ({ columns: [...TRENDS_CSV_COLUMNS], rows: trendsCsvRows(body as TrendsBody) }),
};
