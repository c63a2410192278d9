/**
 * Naive baselines: each report's numbers as plain aggregate SQL over the raw rows (the "original
 * design" the reports are measured against), run directly on storage without HTTP, cache or JSON.
 * The tenant filter is pushed into every scan, as a hand-written query would do.
 *
 * Simplifications (documented in the output): day buckets use the zone's offset at `from`
 * (naive, not DST-aware; exact for UTC and Asia/Kathmandu); health's uptime sums critical
 * outage lengths instead of their union.
 */
import type { SqlValue, Storage } from '../src/storage/types.ts';
import { offsetAt } from '../src/reports/metrics/tz.ts';

export interface BaselineQuery {
  fromMs: number;
  toMs: number;
  tz: string;
  /** null = all tenants (admin without tenant_id). */
  tenantId: string | null;
}

export type Baseline = (storage: Storage, q: BaselineQuery) => Promise<unknown>;

const FINISHED = "status IN ('succeeded', 'failed')";

/** `AND tenant_id = $n` (pushing the parameter), or nothing for all tenants. */
function scope(q: BaselineQuery, params: SqlValue[], column = 'tenant_id'): string {
  if (q.tenantId === null) return '';
  params.push(q.tenantId);
  return ` AND ${column} = $${params.length}`;
}

async function overview(storage: Storage, q: BaselineQuery) {
  const d = storage.dialect;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const s = scope(q, params);
  const st = q.tenantId === null ? '' : ` WHERE t.tenant_id = $${params.length}`;
  return storage.query(
    `WITH runs AS (
       SELECT tenant_id, count(*) AS total,
              count(*) FILTER (WHERE status = 'failed') AS failed,
              count(*) FILTER (WHERE ${FINISHED}) AS finished,
              avg(duration_ms) FILTER (WHERE ${FINISHED}) AS avg_duration_ms,
              ${d.percentileCont('duration_ms', 0.95)} FILTER (WHERE ${FINISHED}) AS p95_duration_ms
       FROM workflow_runs WHERE started_at_ms >= $1 AND started_at_ms < $2${s} GROUP BY tenant_id
     ), samples AS (
       SELECT tenant_id, avg(p95_latency_ms) AS avg_p95_latency_ms, avg(throughput_rps) AS avg_throughput_rps
       FROM metric_samples WHERE ts_ms >= $1 AND ts_ms < $2${s} GROUP BY tenant_id
     ), preds AS (
       SELECT tenant_id, count(*) AS total_predictions, avg(failure_probability) AS avg_failure_probability
       FROM predictions WHERE predicted_at_ms >= $1 AND predicted_at_ms < $2${s} GROUP BY tenant_id
     )
     SELECT t.tenant_id, t.name, runs.total, runs.failed, runs.finished, runs.avg_duration_ms, runs.p95_duration_ms,
            samples.avg_p95_latency_ms, samples.avg_throughput_rps, preds.total_predictions, preds.avg_failure_probability
     FROM tenants t
     LEFT JOIN runs ON runs.tenant_id = t.tenant_id
     LEFT JOIN samples ON samples.tenant_id = t.tenant_id
     LEFT JOIN preds ON preds.tenant_id = t.tenant_id${st}
     ORDER BY t.tenant_id`,
    params,
  );
}

async function mttr(storage: Storage, q: BaselineQuery) {
  const d = storage.dialect;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const s = scope(q, params);
  const repair = d.double('resolved_at_ms - opened_at_ms');
  const ack = d.double('acknowledged_at_ms - opened_at_ms');
  return storage.query(
    `SELECT tenant_id, count(*) AS incident_count,
            count(resolved_at_ms) AS resolved_count,
            avg(${repair}) / 1000 AS mttr_avg_seconds,
            ${d.percentileCont(repair, 0.5)} / 1000 AS mttr_median_seconds,
            ${d.percentileCont(repair, 0.95)} / 1000 AS mttr_p95_seconds,
            avg(${ack}) / 1000 AS mtta_avg_seconds,
            ${d.percentileCont(ack, 0.5)} / 1000 AS mtta_median_seconds
     FROM incidents WHERE opened_at_ms >= $1 AND opened_at_ms < $2${s}
     GROUP BY tenant_id ORDER BY tenant_id`,
    params,
  );
}

async function costs(storage: Storage, q: BaselineQuery) {
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const s = scope(q, params);
  return storage.query(
    `SELECT 'runs' AS kind, tenant_id, count(*) AS n FROM workflow_runs WHERE started_at_ms >= $1 AND started_at_ms < $2${s} GROUP BY tenant_id
     UNION ALL
     SELECT 'samples', tenant_id, count(*) FROM metric_samples WHERE ts_ms >= $1 AND ts_ms < $2${s} GROUP BY tenant_id
     UNION ALL
     SELECT 'predictions', tenant_id, count(*) FROM predictions WHERE predicted_at_ms >= $1 AND predicted_at_ms < $2${s} GROUP BY tenant_id`,
    params,
  );
}

async function trends(storage: Storage, q: BaselineQuery) {
  const d = storage.dialect;
  const tenant = q.tenantId;
  if (tenant === null) return null;
  const offset = offsetAt(q.tz, q.fromMs);
  const day = (col: string) => d.floorDiv(`${col} + ${offset}`, 86_400_000);
  const params: SqlValue[] = [q.fromMs, q.toMs, tenant];
  return storage.query(
    `SELECT 'runs' AS kind, ${day('started_at_ms')} AS day, count(*) AS n,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE ${FINISHED}) AS finished,
            avg(duration_ms) FILTER (WHERE ${FINISHED}) AS avg_value
     FROM workflow_runs WHERE tenant_id = $3 AND started_at_ms >= $1 AND started_at_ms < $2 GROUP BY 2
     UNION ALL
     SELECT 'incidents', ${day('opened_at_ms')}, count(*), 0, 0, NULL
     FROM incidents WHERE tenant_id = $3 AND opened_at_ms >= $1 AND opened_at_ms < $2 GROUP BY 2
     UNION ALL
     SELECT 'predictions', ${day('predicted_at_ms')}, count(*), 0, 0, NULL
     FROM predictions WHERE tenant_id = $3 AND predicted_at_ms >= $1 AND predicted_at_ms < $2 GROUP BY 2
     UNION ALL
     SELECT 'samples', ${day('ts_ms')}, count(*), 0, 0, avg(p95_latency_ms)
     FROM metric_samples WHERE tenant_id = $3 AND ts_ms >= $1 AND ts_ms < $2 GROUP BY 2
     ORDER BY 2, 1`,
    params,
  );
}

async function health(storage: Storage, q: BaselineQuery) {
  const d = storage.dialect;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const s = scope(q, params);
  const where = (first: string) => (s ? ` WHERE ${first}${s}` : '');
  return storage.query(
    `WITH services AS (
       SELECT DISTINCT tenant_id, service FROM workflow_runs${where('TRUE')}
       UNION SELECT DISTINCT tenant_id, service FROM incidents${where('TRUE')}
       UNION SELECT DISTINCT tenant_id, service FROM metric_samples${where('TRUE')}
     ), latest AS (
       SELECT tenant_id, service, max(ts_ms) AS latest_ts_ms,
              ${d.argMax('p95_latency_ms', 'ts_ms')} AS latest_p95_latency_ms,
              ${d.argMax('error_rate', 'ts_ms')} AS latest_error_rate,
              ${d.argMax('throughput_rps', 'ts_ms')} AS latest_throughput_rps
       FROM metric_samples WHERE ts_ms < $2${s} GROUP BY tenant_id, service
     ), open_incidents AS (
       SELECT tenant_id, service, count(*) AS open_incidents, count(*) FILTER (WHERE severity = 'critical') AS open_critical
       FROM incidents WHERE opened_at_ms < $2 AND (resolved_at_ms IS NULL OR resolved_at_ms >= $2)${s}
       GROUP BY tenant_id, service
     ), outages AS (
       SELECT tenant_id, service, sum(LEAST(COALESCE(resolved_at_ms, $2), $2) - GREATEST(opened_at_ms, $1)) AS down_ms
       FROM incidents WHERE severity = 'critical' AND opened_at_ms < $2 AND (resolved_at_ms IS NULL OR resolved_at_ms > $1)${s}
       GROUP BY tenant_id, service
     )
     SELECT s.tenant_id, s.service, l.latest_ts_ms, l.latest_p95_latency_ms, l.latest_error_rate, l.latest_throughput_rps,
            o.open_incidents, o.open_critical, 100 * (1 - ${d.double('COALESCE(x.down_ms, 0)')} / ($2 - $1)) AS uptime_percent
     FROM services s
     LEFT JOIN latest l ON l.tenant_id = s.tenant_id AND l.service = s.service
     LEFT JOIN open_incidents o ON o.tenant_id = s.tenant_id AND o.service = s.service
     LEFT JOIN outages x ON x.tenant_id = s.tenant_id AND x.service = s.service
     ORDER BY 1, 2`,
    params,
  );
}

async function predictions(storage: Storage, q: BaselineQuery) {
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const s = scope(q, params, 'p.tenant_id');
  const judged = `
    SELECT p.tenant_id, p.model, p.failure_probability AS prob,
           COALESCE(p.outcome, CASE WHEN r.status IN ('failed', 'succeeded') THEN r.status END) AS outcome
    FROM predictions p
    LEFT JOIN workflow_runs r ON r.tenant_id = p.tenant_id AND r.id = p.workflow_run_id
    WHERE p.predicted_at_ms >= $1 AND p.predicted_at_ms < $2${s}`;
  // Confusion matrix, Brier score and calibration bins in one pass; ROC AUC from average ranks.
  const [bins, auc] = await Promise.all([
    storage.query(
      `WITH judged AS (${judged})
       SELECT tenant_id, model, LEAST(CAST(floor(prob * 10) AS INTEGER), 9) AS bin,
              count(*) AS n,
              count(outcome) AS evaluated,
              count(*) FILTER (WHERE outcome = 'failed' AND prob >= 0.5) AS tp,
              count(*) FILTER (WHERE outcome = 'succeeded' AND prob >= 0.5) AS fp,
              count(*) FILTER (WHERE outcome = 'succeeded' AND prob < 0.5) AS tn,
              count(*) FILTER (WHERE outcome = 'failed' AND prob < 0.5) AS fn,
              sum((prob - CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) * (prob - CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END))
                FILTER (WHERE outcome IS NOT NULL) AS brier_sum,
              avg(prob) FILTER (WHERE outcome IS NOT NULL) AS mean_predicted
       FROM judged GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      params,
    ),
    storage.query(
      `WITH judged AS (${judged}), ranked AS (
         SELECT tenant_id, model, outcome,
                rank() OVER (PARTITION BY tenant_id, model ORDER BY prob)
                  + (count(*) OVER (PARTITION BY tenant_id, model, prob) - 1) / 2.0 AS r
         FROM judged WHERE outcome IS NOT NULL
       )
       SELECT tenant_id, model,
              sum(r) FILTER (WHERE outcome = 'failed') AS positive_rank_sum,
              count(*) FILTER (WHERE outcome = 'failed') AS positives,
              count(*) FILTER (WHERE outcome = 'succeeded') AS negatives
       FROM ranked GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    ),
  ]);
  return { bins, auc };
}

async function tenant(storage: Storage, q: BaselineQuery) {
  if (q.tenantId === null) return null;
  return Promise.all([overview(storage, q), mttr(storage, q), costs(storage, q), health(storage, q), predictions(storage, q), trends(storage, q)]);
}

/** Baselines by report name; a report without one is listed without a speed-up. */
export const BASELINES: Record<string, Baseline> = { overview, mttr, costs, trends, health, predictions, tenant };
