import { HOUR_MS } from './metrics/tz.ts';
import { loadTenantTotals, type TenantTotals } from './rollup-source.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
import { compareText, periodJson, type ReportPeriod, type ReportQuery } from './common.ts';

/** Unit prices in USD, as the API shows them. */
export interface PriceSet {
  workflow_run: number;
  metric_sample: number;
  prediction: number;
}

export interface CostsRow {
  tenant_id: string;
  workflow_runs: number;
  metric_samples: number;
  predictions: number;
  workflow_cost: number;
  monitoring_cost: number;
  prediction_cost: number;
  total_cost: number;
  cost_per_hour: number;
  /** The prices this row used: the tenant's override, else the default. */
  prices: PriceSet;
}

export interface CostsBody {
  period: ReportPeriod;
  /** The configured default prices. */
  price_book: PriceSet;
  rows: CostsRow[];
}

/** CSV header (contract reading 1): `prices` flattened as `prices_<unit>`. */
export const COSTS_COLUMNS = [
  'tenant_id',
  'workflow_runs',
  'metric_samples',
  'predictions',
  'workflow_cost',
  'monitoring_cost',
  'prediction_cost',
  'total_cost',
  'cost_per_hour',
  'prices_workflow_run',
  'prices_metric_sample',
  'prices_prediction',
] as const;


/**
 * Integer micro-dollars to a USD number. Exact amounts stay integers until here; for totals below
 * 2^53 micros (≈ 9 billion USD) the division yields the double nearest the exact decimal amount.
 */
function usd(micros: bigint): number {
  return Number(micros) / 1e6;
}

/** The default price book (config, integer micros) in USD. */
export function defaultPriceBook(env: ReportEnv): PriceSet {
  const p = env.config.prices;
  return {
    workflow_run: p.workflowRunMicros / 1e6,
    metric_sample: p.metricSampleMicros / 1e6,
    prediction: p.predictionMicros / 1e6,
  };
}

/**
 * GET /reports/costs (contract "Reports › costs", readings 2, 5 and 15): one row per tenant in
 * scope, also without data (counts and costs 0). Records are counted in the period by
 * started_at (runs), ts (samples) and predicted_at (predictions), whatever their status.
 * Prices are read from the tenants table on every call, so a price change shows in the next
 * answer. Money is integer micro-dollars (count × unit micros, BigInt so no product can lose a
 * digit) until the final conversion to USD. `cost_per_hour` divides by real elapsed hours, so
 * a DST day counts 23 or 25 hours.
 */
export async function getCosts(env: ReportEnv, q: ReportQuery): Promise<CostsRow[]> {
  return costsRowsFrom(env, q, await loadTenantTotals(env.storage, q));
}

/** Costs rows, ordered by tenant, from the period totals (one statement, shared with the overview). */
export function costsRowsFrom(env: ReportEnv, q: ReportQuery, totals: readonly TenantTotals[]): CostsRow[] {
  const hours = (q.toMs - q.fromMs) / HOUR_MS;
  const defaults = env.config.prices;
  return totals
    .map((t): CostsRow => {
      const runMicros = BigInt(t.tenant.price_workflow_run_micros ?? defaults.workflowRunMicros);
      const sampleMicros = BigInt(t.tenant.price_metric_sample_micros ?? defaults.metricSampleMicros);
      const predictionMicros = BigInt(t.tenant.price_prediction_micros ?? defaults.predictionMicros);
      const runs = t.runs;
      const samples = t.samples;
      const predictions = t.predictions;
      const workflowMicros = BigInt(runs) * runMicros;
      const monitoringMicros = BigInt(samples) * sampleMicros;
      const predictionCostMicros = BigInt(predictions) * predictionMicros;
      const totalCost = usd(workflowMicros + monitoringMicros + predictionCostMicros);
      return {
        tenant_id: t.tenant.tenant_id,
        workflow_runs: runs,
        metric_samples: samples,
        predictions,
        workflow_cost: usd(workflowMicros),
        monitoring_cost: usd(monitoringMicros),
        prediction_cost: usd(predictionCostMicros),
        total_cost: totalCost,
        cost_per_hour: totalCost / hours,
        prices: { workflow_run: usd(runMicros), metric_sample: usd(sampleMicros), prediction: usd(predictionMicros) },
      };
    })
    .sort((a, b) => compareText(a.tenant_id, b.tenant_id));
}

/** A costs row as one flat CSV record (contract reading 1). */
export function toCostsCsvRow(row: CostsRow): Record<string, unknown> {
  const { prices, ...rest } = row;
  return {
    ...rest,
    prices_workflow_run: prices.workflow_run,
    prices_metric_sample: prices.metric_sample,
    prices_prediction: prices.prediction,
  };
}

export const costsReport: ReportDefinition = {
  name: 'costs',
  path: '/reports/costs',
  summary: 'Usage counts and costs per tenant, with the default price book and the prices each row used',
  run: async (env, q): Promise<CostsBody> => ({
    period: periodJson(q),
    price_book: defaultPriceBook(env),
    rows: await getCosts(env, q),
  }),
  csv: (body) => ({ columns: [...COSTS_COLUMNS], rows: (body as CostsBody).rows.map(toCostsCsvRow) }),
};
