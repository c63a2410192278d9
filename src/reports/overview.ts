import type { Storage } from '../storage/types.ts';
import type { ReportDefinition } from './registry.ts';
import { compareText, periodJson, ratio, type ReportQuery } from './common.ts';
import { fxMean } from './metrics/exact-sum.ts';
import { loadTotalsWithP95, type TenantTotals } from './rollup-source.ts';

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


/**
 * GET /reports/overview: one row per tenant in scope, including tenants without data
 * (counts 0, averages null — contract reading 2). Counts and sums come from the 15-minute
 * rollups plus raw edge slots; p95 is exact for small tenants and from the sketch for large ones.
 * The tenants with their totals and the duration sketch are read side by side; the exact p95 of
 * small tenants follows (rollup-source.ts, loadTotalsWithP95).
 */
export async function getOverview(storage: Storage, q: ReportQuery): Promise<OverviewRow[]> {
  const { totals, p95 } = await loadTotalsWithP95(storage, q);
  return overviewRowsFrom(totals, p95);
}

/** Overview rows, ordered by tenant, from the period totals and p95 durations. */
export function overviewRowsFrom(totals: readonly TenantTotals[], p95: ReadonlyMap<string, number>): OverviewRow[] {
  return totals.map((t) => toOverviewRow(t, p95.get(t.tenant.tenant_id) ?? null)).sort((a, b) => compareText(a.tenant_id, b.tenant_id));
}

function toOverviewRow(t: TenantTotals, p95: number | null): OverviewRow {
  return {
    tenant_id: t.tenant.tenant_id,
    tenant_name: t.tenant.name,
    total_workflows: t.runs,
    failed_workflows: t.failed,
    failure_rate_percent: t.finished === 0 ? null : (100 * t.failed) / t.finished,
    avg_duration_ms: ratio(t.durationSum, t.finished),
    p95_duration_ms: t.finished === 0 ? null : p95,
    avg_p95_latency_ms: fxMean(t.latencySum, t.samples),
    avg_throughput_rps: fxMean(t.throughputSum, t.samples),
    total_predictions: t.predictions,
    avg_failure_probability: fxMean(t.probabilitySum, t.predictions),
  };
}

export const overviewReport: ReportDefinition = {
  name: 'overview',
  path: '/reports/overview',
  summary: 'Workflow, metric and prediction overview per tenant',
  run: async (env, q) => ({ period: periodJson(q), rows: await getOverview(env.storage, q) }),
  csv: (body) => ({ columns: [...OVERVIEW_COLUMNS], rows: (body as { rows: OverviewRow[] }).rows as unknown as Record<string, unknown>[] }),
};
