-- Exact sums for the means of client-sent doubles (src/reports/metrics/exact-sum.ts): the
-- rollups kept DOUBLE sums of latencies, throughputs and probabilities, which differ in the last
-- bits between engines (summation order) and drift under upserts (an update subtracts the old
-- value: 1e15 + 0.5 - 1e15 is not 0.5). Each value is now summed as four integers, its integer
-- part and three 32-bit blocks of its fraction, v = i + a/2^32 + b/2^64 + c/2^96, which add
-- exactly in any order. The parts are computed exactly as fxPartsSql does; the tables are
-- refilled from the raw rows (the old double sums cannot be converted exactly).

DROP TABLE rollup_metrics;
CREATE TABLE rollup_metrics (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_i HUGEINT NOT NULL,
  latency_a BIGINT NOT NULL,
  latency_b BIGINT NOT NULL,
  latency_c BIGINT NOT NULL,
  throughput_i HUGEINT NOT NULL,
  throughput_a BIGINT NOT NULL,
  throughput_b BIGINT NOT NULL,
  throughput_c BIGINT NOT NULL
);

INSERT INTO rollup_metrics (tenant_id, slot, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, ts_ms // 900000, count(*),
       sum(CAST(floor(p95_latency_ms) AS BIGINT)),
       sum(CAST(floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(throughput_rps) AS BIGINT)),
       sum(CAST(floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT))
FROM metric_samples GROUP BY 1, 2 ORDER BY 1, 2;

DROP TABLE rollup_metrics_day;
CREATE TABLE rollup_metrics_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_i HUGEINT NOT NULL,
  latency_a BIGINT NOT NULL,
  latency_b BIGINT NOT NULL,
  latency_c BIGINT NOT NULL,
  throughput_i HUGEINT NOT NULL,
  throughput_a BIGINT NOT NULL,
  throughput_b BIGINT NOT NULL,
  throughput_c BIGINT NOT NULL
);

INSERT INTO rollup_metrics_day (tenant_id, day, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, ts_ms // 86400000, count(*),
       sum(CAST(floor(p95_latency_ms) AS BIGINT)),
       sum(CAST(floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE) - floor(((p95_latency_ms) - floor(p95_latency_ms)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(throughput_rps) AS BIGINT)),
       sum(CAST(floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE) - floor(((throughput_rps) - floor(throughput_rps)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT))
FROM metric_samples GROUP BY 1, 2 ORDER BY 1, 2;

DROP TABLE rollup_predictions;
CREATE TABLE rollup_predictions (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_i HUGEINT NOT NULL,
  probability_a BIGINT NOT NULL,
  probability_b BIGINT NOT NULL,
  probability_c BIGINT NOT NULL
);

INSERT INTO rollup_predictions (tenant_id, slot, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, predicted_at_ms // 900000, count(*),
       sum(CAST(floor(failure_probability) AS BIGINT)),
       sum(CAST(floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT))
FROM predictions GROUP BY 1, 2 ORDER BY 1, 2;

DROP TABLE rollup_predictions_day;
CREATE TABLE rollup_predictions_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_i HUGEINT NOT NULL,
  probability_a BIGINT NOT NULL,
  probability_b BIGINT NOT NULL,
  probability_c BIGINT NOT NULL
);

INSERT INTO rollup_predictions_day (tenant_id, day, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, predicted_at_ms // 86400000, count(*),
       sum(CAST(floor(failure_probability) AS BIGINT)),
       sum(CAST(floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT)),
       sum(CAST(floor(((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE) - floor((((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE) - floor(((failure_probability) - floor(failure_probability)) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE))) * CAST(4294967296 AS DOUBLE)) AS BIGINT))
FROM predictions GROUP BY 1, 2 ORDER BY 1, 2;
