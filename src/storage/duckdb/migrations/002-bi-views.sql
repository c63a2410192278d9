-- BI views, all-time per tenant (usage_trends per UTC day), so a BI tool pointed at the
-- database sees the same definitions as the API (README "Metric definitions"). Prices here
-- are the built-in defaults unless a tenant override is set; the API uses the configured ones.
CREATE VIEW analytics_overview AS
SELECT t.tenant_id, t.name AS tenant_name,
       coalesce(r.total, 0) AS total_workflows,
       coalesce(r.failed, 0) AS failed_workflows,
       CASE WHEN r.finished > 0 THEN 100.0 * r.failed / r.finished END AS failure_rate_percent,
       r.avg_duration_ms, r.p95_duration_ms,
       s.avg_p95_latency_ms, s.avg_throughput_rps,
       coalesce(p.n, 0) AS total_predictions, p.avg_failure_probability
FROM tenants t
LEFT JOIN (
  SELECT tenant_id, count(*) AS total,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status IN ('succeeded', 'failed')) AS finished,
         avg(duration_ms) FILTER (WHERE status IN ('succeeded', 'failed')) AS avg_duration_ms,
         quantile_cont(duration_ms, 0.95) FILTER (WHERE status IN ('succeeded', 'failed')) AS p95_duration_ms
  FROM workflow_runs GROUP BY tenant_id
) r ON r.tenant_id = t.tenant_id
LEFT JOIN (
  SELECT tenant_id, avg(p95_latency_ms) AS avg_p95_latency_ms, avg(throughput_rps) AS avg_throughput_rps
  FROM metric_samples GROUP BY tenant_id
) s ON s.tenant_id = t.tenant_id
LEFT JOIN (
  SELECT tenant_id, count(*) AS n, avg(failure_probability) AS avg_failure_probability
  FROM predictions GROUP BY tenant_id
) p ON p.tenant_id = t.tenant_id;

CREATE VIEW mttr_analysis AS
SELECT t.tenant_id,
       coalesce(i.incident_count, 0) AS incident_count,
       coalesce(i.resolved_count, 0) AS resolved_count,
       coalesce(i.incident_count, 0) - coalesce(i.resolved_count, 0) AS open_count,
       i.mttr_avg_seconds, i.mttr_median_seconds, i.mttr_p95_seconds,
       i.mtta_avg_seconds, i.mtta_median_seconds
FROM tenants t
LEFT JOIN (
  SELECT tenant_id, count(*) AS incident_count,
         count(resolved_at_ms) AS resolved_count,
         avg((resolved_at_ms - opened_at_ms) / 1000.0) AS mttr_avg_seconds,
         quantile_cont((resolved_at_ms - opened_at_ms) / 1000.0, 0.5) AS mttr_median_seconds,
         quantile_cont((resolved_at_ms - opened_at_ms) / 1000.0, 0.95) AS mttr_p95_seconds,
         avg((acknowledged_at_ms - opened_at_ms) / 1000.0) AS mtta_avg_seconds,
         quantile_cont((acknowledged_at_ms - opened_at_ms) / 1000.0, 0.5) AS mtta_median_seconds
  FROM incidents GROUP BY tenant_id
) i ON i.tenant_id = t.tenant_id;

CREATE VIEW cost_analysis AS
SELECT t.tenant_id,
       coalesce(r.n, 0) AS workflow_runs,
       coalesce(s.n, 0) AS metric_samples,
       coalesce(p.n, 0) AS predictions,
       coalesce(r.n, 0) * coalesce(t.price_workflow_run_micros, 10000) / 1000000.0 AS workflow_cost,
       coalesce(s.n, 0) * coalesce(t.price_metric_sample_micros, 5000) / 1000000.0 AS monitoring_cost,
       coalesce(p.n, 0) * coalesce(t.price_prediction_micros, 20000) / 1000000.0 AS prediction_cost,
       (coalesce(r.n, 0) * coalesce(t.price_workflow_run_micros, 10000)
        + coalesce(s.n, 0) * coalesce(t.price_metric_sample_micros, 5000)
        + coalesce(p.n, 0) * coalesce(t.price_prediction_micros, 20000)) / 1000000.0 AS total_cost
FROM tenants t
LEFT JOIN (SELECT tenant_id, count(*) AS n FROM workflow_runs GROUP BY tenant_id) r ON r.tenant_id = t.tenant_id
LEFT JOIN (SELECT tenant_id, count(*) AS n FROM metric_samples GROUP BY tenant_id) s ON s.tenant_id = t.tenant_id
LEFT JOIN (SELECT tenant_id, count(*) AS n FROM predictions GROUP BY tenant_id) p ON p.tenant_id = t.tenant_id;

CREATE VIEW usage_trends AS
WITH r AS (
  SELECT tenant_id, CAST(floor(started_at_ms / 86400000.0) AS BIGINT) AS d,
         count(*) AS workflows,
         count(*) FILTER (WHERE status = 'failed') AS failed_workflows,
         count(*) FILTER (WHERE status IN ('succeeded', 'failed')) AS finished,
         avg(duration_ms) FILTER (WHERE status IN ('succeeded', 'failed')) AS avg_duration_ms
  FROM workflow_runs GROUP BY 1, 2
), i AS (
  SELECT tenant_id, CAST(floor(opened_at_ms / 86400000.0) AS BIGINT) AS d, count(*) AS incidents_opened
  FROM incidents GROUP BY 1, 2
), p AS (
  SELECT tenant_id, CAST(floor(predicted_at_ms / 86400000.0) AS BIGINT) AS d, count(*) AS predictions
  FROM predictions GROUP BY 1, 2
), m AS (
  SELECT tenant_id, CAST(floor(ts_ms / 86400000.0) AS BIGINT) AS d, avg(p95_latency_ms) AS avg_p95_latency_ms
  FROM metric_samples GROUP BY 1, 2
), days AS (
  SELECT tenant_id, d FROM r UNION SELECT tenant_id, d FROM i UNION SELECT tenant_id, d FROM p UNION SELECT tenant_id, d FROM m
)
SELECT days.tenant_id, CAST(epoch_ms(days.d * 86400000) AS DATE) AS day,
       coalesce(r.workflows, 0) AS workflows,
       coalesce(r.failed_workflows, 0) AS failed_workflows,
       CASE WHEN r.finished > 0 THEN 100.0 * r.failed_workflows / r.finished END AS failure_rate_percent,
       r.avg_duration_ms,
       coalesce(i.incidents_opened, 0) AS incidents_opened,
       coalesce(p.predictions, 0) AS predictions,
       m.avg_p95_latency_ms
FROM days
LEFT JOIN r ON r.tenant_id = days.tenant_id AND r.d = days.d
LEFT JOIN i ON i.tenant_id = days.tenant_id AND i.d = days.d
LEFT JOIN p ON p.tenant_id = days.tenant_id AND p.d = days.d
LEFT JOIN m ON m.tenant_id = days.tenant_id AND m.d = days.d;

CREATE VIEW service_health_dashboard AS
WITH services AS (
  SELECT tenant_id, service FROM workflow_runs
  UNION SELECT tenant_id, service FROM incidents
  UNION SELECT tenant_id, service FROM metric_samples
), latest AS (
  SELECT tenant_id, service, max(ts_ms) AS ts_ms FROM metric_samples GROUP BY tenant_id, service
), open_i AS (
  SELECT tenant_id, service, count(*) AS open_incidents,
         count(*) FILTER (WHERE severity = 'critical') AS open_critical
  FROM incidents WHERE resolved_at_ms IS NULL GROUP BY tenant_id, service
)
SELECT s.tenant_id, s.service,
       epoch_ms(l.ts_ms) AS latest_ts,
       m.p95_latency_ms AS latest_p95_latency_ms,
       m.error_rate AS latest_error_rate,
       m.throughput_rps AS latest_throughput_rps,
       coalesce(o.open_incidents, 0) AS open_incidents,
       CASE
         WHEN coalesce(o.open_critical, 0) > 0 OR m.error_rate >= 0.5 THEN 'down'
         WHEN coalesce(o.open_incidents, 0) > 0 OR m.error_rate >= 0.05 OR m.p95_latency_ms > 1000 THEN 'degraded'
         ELSE 'healthy'
       END AS status
FROM services s
LEFT JOIN latest l ON l.tenant_id = s.tenant_id AND l.service = s.service
LEFT JOIN metric_samples m ON m.tenant_id = l.tenant_id AND m.service = l.service AND m.ts_ms = l.ts_ms
LEFT JOIN open_i o ON o.tenant_id = s.tenant_id AND o.service = s.service;

CREATE VIEW prediction_accuracy AS
WITH ev AS (
  SELECT p.tenant_id, p.model, p.failure_probability AS prob,
         CASE
           WHEN p.outcome IS NOT NULL THEN CASE WHEN p.outcome = 'failed' THEN 1 ELSE 0 END
           WHEN r.status = 'failed' THEN 1
           WHEN r.status = 'succeeded' THEN 0
         END AS y
  FROM predictions p
  LEFT JOIN workflow_runs r ON r.tenant_id = p.tenant_id AND r.id = p.workflow_run_id
)
SELECT tenant_id, model,
       count(*) AS predictions,
       count(y) AS evaluated,
       avg(CASE WHEN (prob >= 0.5) = (y = 1) THEN 1.0 ELSE 0.0 END) FILTER (WHERE y IS NOT NULL) AS accuracy,
       CAST(count(*) FILTER (WHERE y = 1 AND prob >= 0.5) AS DOUBLE PRECISION) / NULLIF(count(*) FILTER (WHERE y IS NOT NULL AND prob >= 0.5), 0) AS precision,
       CAST(count(*) FILTER (WHERE y = 1 AND prob >= 0.5) AS DOUBLE PRECISION) / NULLIF(count(*) FILTER (WHERE y = 1), 0) AS recall,
       avg((prob - y) * (prob - y)) AS brier_score
FROM ev GROUP BY tenant_id, model;
