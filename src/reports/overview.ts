import type { Storage, SqlValue } from '../storage/types.ts';
import type { ReportDefinition } from './registry.ts';
import { compareText, num, numOrNull, periodJson, ratio, tenantFilter, type ReportQuery } from './common.ts';

export interface OverviewRow {
  tenant_id: string;
  tenant_name: string;
  total_workflows: number;
  failed_workflows: number;
  failure_rate_percent: number | null;
  avg_duration_ms: number | null;
  p95_duration_ms: number | null;
  avg_p95_latency_ms: number | null;
  avg_throughput_rps: number | null;
  total_predictions: number;
  avg_failure_probability: number | null;
}

export const OVERVIEW_COLUMNS = [
  'tenant_id',
  'tenant_name',
  'total_workflows',
  'failed_workflows',
  'failure_rate_percent',
  'avg_duration_ms',
  'p95_duration_ms',
  'avg_p95_latency_ms',
  'avg_throughput_rps',
  'total_predictions',
  'avg_failure_probability',
] as const satisfies readonly (keyof OverviewRow)[];

/** Runs that count for rates and durations: finished ones (contract: over succeeded + failed). */
export const FINISHED_RUN = "status IN ('succeeded', 'failed')";

/**
 * GET /reports/overview: one row per tenant in scope, including tenants without data
 * (counts 0, averages null — contract reading 2).
 */
export async function getOverview(storage: Storage, q: ReportQuery): Promise<OverviewRow[]> {
  const d = storage.dialect;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const scopeT = tenantFilter(d, 't.tenant_id', q, params);
  const sql = `
    WITH runs AS (
      SELECT tenant_id,
             count(*) AS total,
             count(*) FILTER (WHERE status = 'failed') AS failed,
             count(*) FILTER (WHERE ${FINISHED_RUN}) AS finished,
             sum(duration_ms) FILTER (WHERE ${FINISHED_RUN}) AS duration_sum,
             ${d.percentileCont('duration_ms', 0.95)} FILTER (WHERE ${FINISHED_RUN}) AS p95
      FROM workflow_runs
      WHERE started_at_ms >= $1 AND started_at_ms < $2
      GROUP BY tenant_id
    ), samples AS (
      SELECT tenant_id, count(*) AS n, sum(p95_latency_ms) AS latency_sum, sum(throughput_rps) AS throughput_sum
      FROM metric_samples
      WHERE ts_ms >= $1 AND ts_ms < $2
      GROUP BY tenant_id
    ), preds AS (
      SELECT tenant_id, count(*) AS n, sum(failure_probability) AS probability_sum
      FROM predictions
      WHERE predicted_at_ms >= $1 AND predicted_at_ms < $2
      GROUP BY tenant_id
    )
    SELECT t.tenant_id, t.name AS tenant_name,
           runs.total, runs.failed, runs.finished, runs.duration_sum, runs.p95,
           samples.n AS samples, samples.latency_sum, samples.throughput_sum,
           preds.n AS predictions, preds.probability_sum
    FROM tenants t
    LEFT JOIN runs ON runs.tenant_id = t.tenant_id
    LEFT JOIN samples ON samples.tenant_id = t.tenant_id
    LEFT JOIN preds ON preds.tenant_id = t.tenant_id
    WHERE ${scopeT}`;
  const rows = await storage.query<Record<string, unknown>>(sql, params);
  return rows.map(toOverviewRow).sort((a, b) => compareText(a.tenant_id, b.tenant_id));
}

function toOverviewRow(r: Record<string, unknown>): OverviewRow {
  const failed = num(r.failed);
  const finished = num(r.finished);
  const samples = num(r.samples);
  const predictions = num(r.predictions);
  return {
    tenant_id: String(r.tenant_id),
    tenant_name: String(r.tenant_name),
    total_workflows: num(r.total),
    failed_workflows: failed,
    failure_rate_percent: finished === 0 ? null : (100 * failed) / finished,
    avg_duration_ms: ratio(numOrNull(r.duration_sum), finished),
    p95_duration_ms: finished === 0 ? null : numOrNull(r.p95),
    avg_p95_latency_ms: ratio(numOrNull(r.latency_sum), samples),
    avg_throughput_rps: ratio(numOrNull(r.throughput_sum), samples),
    total_predictions: predictions,
    avg_failure_probability: ratio(numOrNull(r.probability_sum), predictions),
  };
}

export const overviewReport: ReportDefinition = {
  name: 'overview',
  path: '/reports/overview',
  summary: 'Workflow, metric and prediction overview per tenant',
  run: async (env, q) => ({ period: periodJson(q), rows: await getOverview(env.storage, q) }),
  csv: (body) => ({ columns: [...OVERVIEW_COLUMNS], rows: (body as { rows: OverviewRow[] }).rows as unknown as Record<string, unknown>[] }),
};
