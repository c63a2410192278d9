/**
 * Naive reference implementations of the mttr, costs and health reports for one tenant, over
 * plain arrays of the records a test ingested. Written from the contract text, sharing no code
 * with src/reports, so integration property tests can compare the API against them.
 */
import { refMean, refPercentile, refUptime } from './metrics-reference.ts';

export interface RefIncidentRecord {
  service: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  openedMs: number;
  acknowledgedMs: number | null;
  resolvedMs: number | null;
}

export interface RefSample {
  service: string;
  tsMs: number;
  p95LatencyMs: number;
  throughputRps: number;
  errorRate: number;
}

export interface RefRun {
  service: string;
  startedMs: number;
}

export interface RefMttrRow {
  group: string | null;
  incident_count: number;
  resolved_count: number;
  open_count: number;
  mttr_avg_seconds: number | null;
  mttr_median_seconds: number | null;
  mttr_p95_seconds: number | null;
  mtta_avg_seconds: number | null;
  mtta_median_seconds: number | null;
}

function mttrOf(incidents: readonly RefIncidentRecord[], group: string | null): RefMttrRow {
  const repair = incidents.filter((i) => i.resolvedMs !== null).map((i) => (i.resolvedMs! - i.openedMs) / 1000);
  const ack = incidents.filter((i) => i.acknowledgedMs !== null).map((i) => (i.acknowledgedMs! - i.openedMs) / 1000);
  return {
    group,
    incident_count: incidents.length,
    resolved_count: repair.length,
    open_count: incidents.length - repair.length,
    mttr_avg_seconds: refMean(repair),
    mttr_median_seconds: refPercentile(repair, 0.5),
    mttr_p95_seconds: refPercentile(repair, 0.95),
    mtta_avg_seconds: refMean(ack),
    mtta_median_seconds: refPercentile(ack, 0.5),
  };
}

/**
 * MTTR rows of one tenant: incidents opened in [from, to); one row without grouping (even with
 * no incidents), else one row per group value present, in code-unit order.
 */
export function refMttr(
  incidents: readonly RefIncidentRecord[],
  fromMs: number,
  toMs: number,
  groupBy: 'service' | 'severity' | null,
): RefMttrRow[] {
  const inPeriod = incidents.filter((i) => i.openedMs >= fromMs && i.openedMs < toMs);
  if (groupBy === null) return [mttrOf(inPeriod, null)];
  const values = [...new Set(inPeriod.map((i) => i[groupBy]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return values.map((v) => mttrOf(inPeriod.filter((i) => i[groupBy] === v), v));
}

/** A USD amount given in integer micro-dollars, as the double nearest its exact decimal value. */
export function refUsd(micros: bigint): number {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  return Number.parseFloat(`${sign}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`);
}

export interface RefPricesMicros {
  workflowRun: number;
  metricSample: number;
  prediction: number;
}

export interface RefCostsRow {
  workflow_runs: number;
  metric_samples: number;
  predictions: number;
  workflow_cost: number;
  monitoring_cost: number;
  prediction_cost: number;
  total_cost: number;
  cost_per_hour: number;
  prices: { workflow_run: number; metric_sample: number; prediction: number };
}

/** Costs of one tenant: records counted in [from, to), each at its unit price, exact in micros. */
export function refCosts(
  records: { runStartsMs: readonly number[]; sampleTsMs: readonly number[]; predictedMs: readonly number[] },
  prices: RefPricesMicros,
  fromMs: number,
  toMs: number,
): RefCostsRow {
  const count = (list: readonly number[]) => list.filter((t) => t >= fromMs && t < toMs).length;
  const runs = count(records.runStartsMs);
  const samples = count(records.sampleTsMs);
  const predictions = count(records.predictedMs);
  const workflow = BigInt(runs) * BigInt(prices.workflowRun);
  const monitoring = BigInt(samples) * BigInt(prices.metricSample);
  const prediction = BigInt(predictions) * BigInt(prices.prediction);
  const total = refUsd(workflow + monitoring + prediction);
  const hours = (toMs - fromMs) / 3_600_000;
  return {
    workflow_runs: runs,
    metric_samples: samples,
    predictions,
    workflow_cost: refUsd(workflow),
    monitoring_cost: refUsd(monitoring),
    prediction_cost: refUsd(prediction),
    total_cost: total,
    cost_per_hour: total / hours,
    prices: {
      workflow_run: refUsd(BigInt(prices.workflowRun)),
      metric_sample: refUsd(BigInt(prices.metricSample)),
      prediction: refUsd(BigInt(prices.prediction)),
    },
  };
}

export interface RefHealthThresholds {
  downErrorRate: number;
  degradedErrorRate: number;
  degradedP95LatencyMs: number;
}

export interface RefHealthRow {
  service: string;
  latest_ts: string | null;
  latest_p95_latency_ms: number | null;
  latest_error_rate: number | null;
  latest_throughput_rps: number | null;
  open_incidents: number;
  uptime_percent: number | null;
  status: 'healthy' | 'degraded' | 'down';
}

/** Health rows of one tenant: one per service named by any record, in code-unit order. */
export function refHealth(
  records: { runs: readonly RefRun[]; incidents: readonly RefIncidentRecord[]; samples: readonly RefSample[] },
  fromMs: number,
  toMs: number,
  thresholds: RefHealthThresholds,
): RefHealthRow[] {
  const services = new Set<string>();
  for (const r of records.runs) services.add(r.service);
  for (const i of records.incidents) services.add(i.service);
  for (const s of records.samples) services.add(s.service);
  return [...services]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((service) => {
      let latest: RefSample | null = null;
      for (const s of records.samples) {
        if (s.service === service && s.tsMs < toMs && (latest === null || s.tsMs > latest.tsMs)) latest = s;
      }
      const mine = records.incidents.filter((i) => i.service === service);
      const open = mine.filter((i) => i.openedMs < toMs && (i.resolvedMs === null || i.resolvedMs >= toMs));
      const critical = mine.filter((i) => i.severity === 'critical');
      const errorRate = latest?.errorRate ?? null;
      const latency = latest?.p95LatencyMs ?? null;
      let status: RefHealthRow['status'] = 'healthy';
      if (open.some((i) => i.severity === 'critical') || (errorRate !== null && errorRate >= thresholds.downErrorRate)) {
        status = 'down';
      } else if (
        open.length > 0 ||
        (errorRate !== null && errorRate >= thresholds.degradedErrorRate) ||
        (latency !== null && latency > thresholds.degradedP95LatencyMs)
      ) {
        status = 'degraded';
      }
      return {
        service,
        latest_ts: latest === null ? null : new Date(latest.tsMs).toISOString(),
        latest_p95_latency_ms: latency,
        latest_error_rate: errorRate,
        latest_throughput_rps: latest?.throughputRps ?? null,
        open_incidents: open.length,
        uptime_percent: refUptime(
          critical.map((i) => ({ openedMs: i.openedMs, resolvedMs: i.resolvedMs })),
          fromMs,
          toMs,
        ),
        status,
      };
    });
}
