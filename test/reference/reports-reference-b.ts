/**
 * Naive reference implementations of the trends and predictions reports, over plain arrays of
 * records as they were ingested. Record by record, no pre-aggregation, and no code shared with
 * src/reports (buckets and classification come from metrics-reference.ts), so integration tests
 * can compare the API's answers with them.
 */
import { refBuckets, refClassification, refMean, type RefPrediction } from './metrics-reference.ts';

export interface RefRunRecord {
  tenant_id: string;
  id: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  started_at_ms: number;
  /** The stored duration (explicit, or finished − started); null for running runs. */
  duration_ms: number | null;
}

export interface RefIncidentRecord {
  tenant_id: string;
  opened_at_ms: number;
}

export interface RefSampleRecord {
  tenant_id: string;
  ts_ms: number;
  p95_latency_ms: number;
}

export interface RefPredictionRecord {
  tenant_id: string;
  id: string;
  model: string;
  workflow_run_id: string | null;
  predicted_at_ms: number;
  failure_probability: number;
  outcome: 'failed' | 'succeeded' | null;
}

export interface RefDataset {
  runs: RefRunRecord[];
  incidents: RefIncidentRecord[];
  samples: RefSampleRecord[];
  predictions: RefPredictionRecord[];
}

export interface RefTrendPoint {
  bucket_start: string;
  workflows: number;
  failed_workflows: number;
  failure_rate_percent: number | null;
  avg_duration_ms: number | null;
  incidents_opened: number;
  predictions: number;
  avg_p95_latency_ms: number | null;
}

/** Trend points of one tenant: every record is placed by scanning the buckets one by one. */
export function refTrends(
  data: RefDataset,
  tenantId: string,
  fromMs: number,
  toMs: number,
  tz: string,
  granularity: 'hour' | 'day' | 'week',
): RefTrendPoint[] {
  const buckets = refBuckets(fromMs, toMs, tz, granularity);
  const inBucket = (b: { startMs: number; endMs: number }, t: number) => t >= b.startMs && t < b.endMs;
  return buckets.map((b) => {
    const runs = data.runs.filter((r) => r.tenant_id === tenantId && inBucket(b, r.started_at_ms));
    const finished = runs.filter((r) => r.status === 'succeeded' || r.status === 'failed');
    const failed = runs.filter((r) => r.status === 'failed');
    const samples = data.samples.filter((s) => s.tenant_id === tenantId && inBucket(b, s.ts_ms));
    return {
      bucket_start: b.bucketStart,
      workflows: runs.length,
      failed_workflows: failed.length,
      failure_rate_percent: finished.length === 0 ? null : (failed.length * 100) / finished.length,
      avg_duration_ms: refMean(finished.map((r) => r.duration_ms as number)),
      incidents_opened: data.incidents.filter((i) => i.tenant_id === tenantId && inBucket(b, i.opened_at_ms)).length,
      predictions: data.predictions.filter((p) => p.tenant_id === tenantId && inBucket(b, p.predicted_at_ms)).length,
      avg_p95_latency_ms: refMean(samples.map((s) => s.p95_latency_ms)),
    };
  });
}

/**
 * Outcome of a prediction (contract reading 7): its own outcome, else the status of the run of
 * the same tenant it links to when that run failed or succeeded, else unknown.
 */
export function refOutcome(p: RefPredictionRecord, runs: readonly RefRunRecord[]): 'failed' | 'succeeded' | null {
  if (p.outcome !== null) return p.outcome;
  if (p.workflow_run_id === null) return null;
  const run = runs.find((r) => r.tenant_id === p.tenant_id && r.id === p.workflow_run_id);
  if (run && (run.status === 'failed' || run.status === 'succeeded')) return run.status;
  return null;
}

export interface RefPredictionRow extends ReturnType<typeof refClassification> {
  tenant_id: string;
  model: string;
  predictions: number;
}

/** Prediction report rows of the tenants in `tenantIds`, ordered by tenant then model. */
export function refPredictionRows(
  data: RefDataset,
  tenantIds: readonly string[],
  fromMs: number,
  toMs: number,
  threshold: number,
): RefPredictionRow[] {
  const inPeriod = data.predictions.filter(
    (p) => tenantIds.includes(p.tenant_id) && p.predicted_at_ms >= fromMs && p.predicted_at_ms < toMs,
  );
  const keys = [...new Set(inPeriod.map((p) => JSON.stringify([p.tenant_id, p.model])))]
    .map((k) => JSON.parse(k) as [string, string])
    .sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return keys.map(([tenant_id, model]) => {
    const mine = inPeriod.filter((p) => p.tenant_id === tenant_id && p.model === model);
    const evaluated: RefPrediction[] = [];
    for (const p of mine) {
      const outcome = refOutcome(p, data.runs);
      if (outcome !== null) evaluated.push({ p: p.failure_probability, failed: outcome === 'failed' });
    }
    return { tenant_id, model, predictions: mine.length, ...refClassification(evaluated, threshold) };
  });
}
