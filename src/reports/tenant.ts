import { TenantNotFoundError } from '../domain/errors.ts';
import { toTenantJson } from '../tenancy/tenant-service.ts';
import { periodJson, type ReportPeriod, type ReportQuery } from './common.ts';
import { costsRowsFrom, type CostsRow } from './costs.ts';
import { getHealth, type HealthRow } from './health.ts';
import type { Granularity } from './metrics/buckets.ts';
import { DEFAULT_THRESHOLD } from './metrics/classification.ts';
import { getMttr, type MttrRow } from './mttr.ts';
import { overviewRowsFrom, type OverviewRow } from './overview.ts';
import { getPredictionReport, type PredictionRow } from './predictions.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
import { loadTotalsWithP95 } from './rollup-source.ts';
import { getTrends, pathTenantOf, type TrendPoint } from './trends.ts';

/**
 * GET /reports/tenant/{tenant_id}: everything about one tenant for one period and zone.
 *
 * ```
 * {
 *   "period":      {"from", "to"},
 *   "tenant":      {"id", "name", "created_at"},
 *   "overview":    <overview row>,               // as in /reports/overview
 *   "mttr":        <mttr row, ungrouped>,        // as in /reports/mttr
 *   "costs":       <costs row, with its prices>, // as in /reports/costs (rows[0])
 *   "health":      [<health row>, …],            // one per service, as in /reports/health
 *   "predictions": [<prediction row>, …],        // one per model, threshold 0.5
 *   "trends":      {"granularity": "day", "tz", "points": [<trend point>, …]}
 * }
 * ```
 * Overview, mttr and costs always have a row for a tenant in scope (contract reading 2); `null`
 * would only appear if one were missing.
 */
export interface TenantReport {
  period: ReportPeriod;
  tenant: { id: string; name: string; created_at: string };
  overview: OverviewRow | null;
  mttr: MttrRow | null;
  costs: CostsRow | null;
  health: HealthRow[];
  predictions: PredictionRow[];
  trends: { granularity: Granularity; tz: string; points: TrendPoint[] };
}

/**
 * The one-tenant report (shape above); `q` must be scoped to exactly that tenant. The sections
 * share their inputs: one statement reads the tenant row with its period totals (overview and
 * costs, and the tenant itself), its duration sketch runs beside it (loadTotalsWithP95); MTTR,
 * health, predictions and trends run beside them.
 */
export async function getTenantReport(env: ReportEnv, q: ReportQuery): Promise<TenantReport> {
  const tenantId = pathTenantOf(q);
  const totalsAndP95 = (async () => {
    const loaded = await loadTotalsWithP95(env.storage, q);
    if (!loaded.totals.some((t) => t.tenant.tenant_id === tenantId)) throw new TenantNotFoundError();
    return loaded;
  })();
  const [{ totals, p95 }, mttr, health, predictions, trends] = await Promise.all([
    totalsAndP95,
    getMttr(env, q, { groupBy: null }),
    getHealth(env, q),
    getPredictionReport(env, q, DEFAULT_THRESHOLD),
    getTrends(env, q, 'day'),
  ]);
  const overview = overviewRowsFrom(totals, p95);
  const costs = costsRowsFrom(env, q, totals);
  const { id, name, created_at } = toTenantJson(totals.find((t) => t.tenant.tenant_id === tenantId)!.tenant);
  return {
    period: periodJson(q),
    tenant: { id, name, created_at },
    overview: overview[0] ?? null,
    mttr: mttr[0] ?? null,
    costs: costs[0] ?? null,
    health,
    predictions,
    trends: { granularity: trends.granularity, tz: trends.tz, points: trends.points },
  };
}

export const tenantReport: ReportDefinition = {
  name: 'tenant',
  path: '/reports/tenant/:tenant_id',
  summary: 'One tenant: overview, MTTR, costs, health, prediction quality and daily trends for the period',
  tenantInPath: true,
  run: (env, q) => getTenantReport(env, q),
};
