import { getTenantRow, toTenantJson } from '../tenancy/tenant-service.ts';
import { periodJson, type ReportPeriod, type ReportQuery } from './common.ts';
import { getCosts, type CostsRow } from './costs.ts';
import { getHealth, type HealthRow } from './health.ts';
import type { Granularity } from './metrics/buckets.ts';
import { DEFAULT_THRESHOLD } from './metrics/classification.ts';
import { getMttr, type MttrRow } from './mttr.ts';
import { getOverview, type OverviewRow } from './overview.ts';
import { getPredictionReport, type PredictionRow } from './predictions.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
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

/** The one-tenant report (shape above); `q` must be scoped to exactly that tenant. */
export async function getTenantReport(env: ReportEnv, q: ReportQuery): Promise<TenantReport> {
  const tenantId = pathTenantOf(q);
  const [tenantRow, overview, mttr, costs, health, predictions, trends] = await Promise.all([
    getTenantRow(env.storage, tenantId),
    getOverview(env.storage, q),
    getMttr(env, q, { groupBy: null }),
    getCosts(env, q),
    getHealth(env, q),
    getPredictionReport(env, q, DEFAULT_THRESHOLD),
    getTrends(env, q, 'day'),
  ]);
  const { id, name, created_at } = toTenantJson(tenantRow);
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
