// Pure aggregation of report rows into what the dashboard shows. One tenant in scope: the
// row's own value, untouched. Several tenants ("All tenants"): sums for counts and money,
// weighted means for rates (the weights are named in the returned note).

import type { CostRow, HealthRow, MttrRow, OverviewRow, PredictionRow, TrendPoint, TrendReport } from './types.ts';

export interface Figure {
  value: number | null;
  /** How the value was obtained when it is not a single row's own number. */
  note?: string;
}

const MICROS = 1_000_000;

/** Sum of USD amounts without float drift (money is exact to 1e-6). */
export function sumUsd(values: number[]): number {
  return values.reduce((acc, v) => acc + Math.round(v * MICROS), 0) / MICROS;
}

export function workflowsFigure(rows: OverviewRow[]): Figure {
  if (rows.length === 0) return { value: null };
  return { value: rows.reduce((acc, r) => acc + r.total_workflows, 0) };
}

/**
 * Failure rate = 100 × failed / (succeeded + failed). Several tenants: Σ failed / Σ finished,
 * with each tenant's finished count recovered from its own rate (failed × 100 / rate). A tenant
 * with a 0 % rate has no failures, so its finished count cannot be recovered; its total run
 * count stands in (exact unless some of its runs are still running or were cancelled).
 */
export function failureRateFigure(rows: OverviewRow[]): Figure {
  if (rows.length === 0) return { value: null };
  if (rows.length === 1) return { value: rows[0].failure_rate_percent };
  let failed = 0;
  let finished = 0;
  for (const r of rows) {
    const rate = r.failure_rate_percent;
    if (rate == null) continue;
    failed += r.failed_workflows;
    finished += rate > 0 ? Math.round((r.failed_workflows * 100) / rate) : r.total_workflows;
  }
  return { value: finished > 0 ? (100 * failed) / finished : null, note: 'all tenants, weighted by finished runs' };
}

/** MTTR median or p95: one tenant's own value, or the resolved-weighted mean of tenants' values. */
export function mttrFigure(rows: MttrRow[], field: 'mttr_median_seconds' | 'mttr_p95_seconds'): Figure {
  if (rows.length === 0) return { value: null };
  if (rows.length === 1) return { value: rows[0][field] };
  let weighted = 0;
  let weight = 0;
  for (const r of rows) {
    const v = r[field];
    if (v == null || r.resolved_count <= 0) continue;
    weighted += v * r.resolved_count;
    weight += r.resolved_count;
  }
  return { value: weight > 0 ? weighted / weight : null, note: 'mean of tenants, weighted by resolved incidents' };
}

export function totalCostFigure(rows: CostRow[]): Figure {
  if (rows.length === 0) return { value: null };
  if (rows.length === 1) return { value: rows[0].total_cost };
  return { value: sumUsd(rows.map((r) => r.total_cost)), note: 'sum over all tenants' };
}

export function openIncidentsFigure(rows: HealthRow[]): Figure {
  return { value: rows.reduce((acc, r) => acc + (r.open_incidents ?? 0), 0) };
}

/** ROC AUC: a single model's own value, or the evaluated-weighted mean over models with an AUC. */
export function aucFigure(rows: PredictionRow[]): Figure {
  const scored = rows.filter((r) => r.roc_auc != null && r.evaluated > 0);
  if (scored.length === 0) return { value: null, note: rows.length ? 'no model with both outcomes yet' : undefined };
  if (scored.length === 1) {
    const r = scored[0];
    const multiTenant = new Set(rows.map((x) => x.tenant_id)).size > 1;
    return { value: r.roc_auc, note: `model ${r.model}${multiTenant ? ` (${r.tenant_id})` : ''}` };
  }
  const weight = scored.reduce((acc, r) => acc + r.evaluated, 0);
  const value = scored.reduce((acc, r) => acc + (r.roc_auc as number) * r.evaluated, 0) / weight;
  return { value, note: `evaluated-weighted mean of ${scored.length} models` };
}

export interface CostBreakdown {
  workflow: number;
  monitoring: number;
  prediction: number;
  total: number;
}

export function costBreakdown(rows: CostRow[]): CostBreakdown {
  return {
    workflow: sumUsd(rows.map((r) => r.workflow_cost)),
    monitoring: sumUsd(rows.map((r) => r.monitoring_cost)),
    prediction: sumUsd(rows.map((r) => r.prediction_cost)),
    total: sumUsd(rows.map((r) => r.total_cost)),
  };
}

export interface Change {
  /** current − previous */
  delta: number;
  /** relative change in percent; null when previous is 0 */
  relative: number | null;
}

export function change(current: number | null, previous: number | null): Change | null {
  if (current == null || previous == null) return null;
  const delta = current - previous;
  return { delta, relative: previous === 0 ? null : (delta / Math.abs(previous)) * 100 };
}

/**
 * Sums several tenants' trends bucket by bucket (same period and tz give the same buckets).
 * Counts are summed; means and rates are left null because they cannot be merged exactly.
 */
export function sumTrends(reports: TrendReport[]): TrendPoint[] {
  const byBucket = new Map<string, TrendPoint>();
  for (const report of reports) {
    for (const p of report.points) {
      const acc = byBucket.get(p.bucket_start);
      if (!acc) {
        byBucket.set(p.bucket_start, {
          bucket_start: p.bucket_start,
          workflows: p.workflows,
          failed_workflows: p.failed_workflows,
          failure_rate_percent: reports.length === 1 ? p.failure_rate_percent : null,
          avg_duration_ms: reports.length === 1 ? p.avg_duration_ms : null,
          incidents_opened: p.incidents_opened,
          predictions: p.predictions,
          avg_p95_latency_ms: reports.length === 1 ? p.avg_p95_latency_ms : null,
        });
      } else {
        acc.workflows += p.workflows;
        acc.failed_workflows += p.failed_workflows;
        acc.incidents_opened += p.incidents_opened;
        acc.predictions += p.predictions;
      }
    }
  }
  // Instants sort correctly across offsets; the fall-back night's two 01:00 buckets stay distinct.
  return [...byBucket.values()].sort((a, b) => Date.parse(a.bucket_start) - Date.parse(b.bucket_start));
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/**
 * Folds hourly buckets into a weekday × hour-of-day grid of run counts. bucket_start carries the
 * offset of the chosen tz, so its written date and hour *are* the local wall clock.
 * Returns grid[weekday 0 = Monday][hour 0..23].
 */
export function foldHourOfWeek(points: TrendPoint[]): number[][] {
  const grid = WEEKDAYS.map(() => new Array<number>(24).fill(0));
  for (const p of points) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/.exec(p.bucket_start);
    if (!m) continue;
    const sundayFirst = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
    const weekday = (sundayFirst + 6) % 7;
    const hour = +m[4];
    if (hour >= 0 && hour < 24) grid[weekday][hour] += p.workflows;
  }
  return grid;
}

/** Tenants' trends are fetched one by one; beyond this many, "All tenants" shows the first ones. */
export const MAX_TREND_TENANTS = 25;
