import type { Storage, SqlValue } from '../storage/types.ts';
import type { ReportDefinition } from './registry.ts';
import { compareText, num, numOrNull, periodJson, ratio, tenantFilter, type ReportQuery } from './common.ts';
import { loadP95Durations, loadSlotAggregates } from './rollup-source.ts';

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
 */
export async function getOverview(storage: Storage, q: ReportQuery): Promise<OverviewRow[]> {
  const params: SqlValue[] = [];
  const tenants = await storage.query<{ tenant_id: string; name: string }>(
    `SELECT tenant_id, name FROM tenants WHERE ${tenantFilter(storage.dialect, 'tenant_id', q, params)}`,
    params,
  );
  const aggregates = await loadSlotAggregates(storage, q, ['runs', 'samples', 'predictions'], true);
  const byTenant = new Map<string, Record<string, unknown>>();
  for (const t of tenants) byTenant.set(t.tenant_id, { tenant_id: t.tenant_id, tenant_name: t.name });
  for (const a of aggregates) {
    const row = byTenant.get(a.tenant_id);
    if (!row) continue;
    if (a.kind === 'runs') Object.assign(row, { total: a.n, failed: a.failed, finished: a.finished, duration_sum: a.sum1 });
    if (a.kind === 'samples') Object.assign(row, { samples: a.n, latency_sum: a.sum1, throughput_sum: a.sum2 });
    if (a.kind === 'predictions') Object.assign(row, { predictions: a.n, probability_sum: a.sum1 });
  }
  const finished = new Map([...byTenant].map(([t, r]) => [t, num(r.finished)]));
  const p95 = await loadP95Durations(storage, q, finished);
  for (const [t, v] of p95) byTenant.get(t)!.p95 = v;
  return [...byTenant.values()].map(toOverviewRow).sort((a, b) => compareText(a.tenant_id, b.tenant_id));
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
