-- Exact sums for the means of client-sent doubles (src/reports/metrics/exact-sum.ts): the
-- rollups kept DOUBLE sums of latencies, throughputs and probabilities, which differ in the last
-- bits between engines (summation order) and drift under upserts (an update subtracts the old
-- value: 1e15 + 0.5 - 1e15 is not 0.5). Each value is now summed as four integers, its integer
-- part and three 32-bit blocks of its fraction, v = i + a/2^32 + b/2^64 + c/2^96, which add
-- exactly in any order. The parts are computed exactly as fxPartsSql does; the tables are
-- refilled from the raw rows (the old double sums cannot be converted exactly).

ALTER TABLE rollup_metrics
  DROP COLUMN latency_sum, DROP COLUMN throughput_sum,
  ADD COLUMN latency_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN latency_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN latency_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN latency_c BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN throughput_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_c BIGINT NOT NULL DEFAULT 0;
DELETE FROM rollup_metrics;

INSERT INTO rollup_metrics (tenant_id, slot, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, ts_ms / 900000, count(*),
       sum(CAST(floor(p95_latency_ms) AS BIGINT)),
       sum(CAST(floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(throughput_rps) AS BIGINT)),
       sum(CAST(floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT))
FROM metric_samples GROUP BY 1, 2;

ALTER TABLE rollup_metrics_day
  DROP COLUMN latency_sum, DROP COLUMN throughput_sum,
  ADD COLUMN latency_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN latency_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN latency_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN latency_c BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN throughput_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN throughput_c BIGINT NOT NULL DEFAULT 0;
DELETE FROM rollup_metrics_day;

INSERT INTO rollup_metrics_day (tenant_id, day, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, ts_ms / 86400000, count(*),
       sum(CAST(floor(p95_latency_ms) AS BIGINT)),
       sum(CAST(floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(throughput_rps) AS BIGINT)),
       sum(CAST(floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT))
FROM metric_samples GROUP BY 1, 2;

ALTER TABLE rollup_predictions
  DROP COLUMN probability_sum,
  ADD COLUMN probability_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN probability_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN probability_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN probability_c BIGINT NOT NULL DEFAULT 0;
DELETE FROM rollup_predictions;

INSERT INTO rollup_predictions (tenant_id, slot, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, predicted_at_ms / 900000, count(*),
       sum(CAST(floor(failure_probability) AS BIGINT)),
       sum(CAST(floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT))
FROM predictions GROUP BY 1, 2;

ALTER TABLE rollup_predictions_day
  DROP COLUMN probability_sum,
  ADD COLUMN probability_i NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN probability_a BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN probability_b BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN probability_c BIGINT NOT NULL DEFAULT 0;
DELETE FROM rollup_predictions_day;

INSERT INTO rollup_predictions_day (tenant_id, day, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, predicted_at_ms / 86400000, count(*),
       sum(CAST(floor(failure_probability) AS BIGINT)),
       sum(CAST(floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT)),
       sum(CAST(floor(((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION) - floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION))) * CAST(4294967296 AS DOUBLE PRECISION)) AS BIGINT))
FROM predictions GROUP BY 1, 2;

ANALYZE rollup_metrics, rollup_metrics_day, rollup_predictions, rollup_predictions_day;
