-- The integer parts of the exact sums (`*_i`, HUGEINT) are stored uncompressed. DuckDB
-- bit-packs HUGEINT columns by default, and reading a bit-packed HUGEINT column is ~30x slower
-- than any other column (at 10M runs, 30 ms per column for the 15-minute slots of one partial
-- day across all tenants, against 1 ms uncompressed): the partial days at the edges of periods
-- in offset zones read them. Uncompressed they take 16 bytes per row (~20 MB at 10M runs).
-- Each table is copied with its delta rows merged (one row per key, in key order, as compaction
-- leaves it), then swapped in.

CREATE TABLE rollup_metrics_v7 (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  latency_a BIGINT NOT NULL,
  latency_b BIGINT NOT NULL,
  latency_c BIGINT NOT NULL,
  throughput_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  throughput_a BIGINT NOT NULL,
  throughput_b BIGINT NOT NULL,
  throughput_c BIGINT NOT NULL
);

INSERT INTO rollup_metrics_v7 (tenant_id, slot, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, slot, sum(samples), sum(latency_i), sum(latency_a), sum(latency_b), sum(latency_c), sum(throughput_i), sum(throughput_a), sum(throughput_b), sum(throughput_c)
FROM rollup_metrics GROUP BY tenant_id, slot ORDER BY tenant_id, slot;

DROP TABLE rollup_metrics;
ALTER TABLE rollup_metrics_v7 RENAME TO rollup_metrics;

CREATE TABLE rollup_metrics_day_v7 (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  latency_a BIGINT NOT NULL,
  latency_b BIGINT NOT NULL,
  latency_c BIGINT NOT NULL,
  throughput_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  throughput_a BIGINT NOT NULL,
  throughput_b BIGINT NOT NULL,
  throughput_c BIGINT NOT NULL
);

INSERT INTO rollup_metrics_day_v7 (tenant_id, day, samples, latency_i, latency_a, latency_b, latency_c, throughput_i, throughput_a, throughput_b, throughput_c)
SELECT tenant_id, day, sum(samples), sum(latency_i), sum(latency_a), sum(latency_b), sum(latency_c), sum(throughput_i), sum(throughput_a), sum(throughput_b), sum(throughput_c)
FROM rollup_metrics_day GROUP BY tenant_id, day ORDER BY tenant_id, day;

DROP TABLE rollup_metrics_day;
ALTER TABLE rollup_metrics_day_v7 RENAME TO rollup_metrics_day;

CREATE TABLE rollup_predictions_v7 (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  probability_a BIGINT NOT NULL,
  probability_b BIGINT NOT NULL,
  probability_c BIGINT NOT NULL
);

INSERT INTO rollup_predictions_v7 (tenant_id, slot, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, slot, sum(predictions), sum(probability_i), sum(probability_a), sum(probability_b), sum(probability_c)
FROM rollup_predictions GROUP BY tenant_id, slot ORDER BY tenant_id, slot;

DROP TABLE rollup_predictions;
ALTER TABLE rollup_predictions_v7 RENAME TO rollup_predictions;

CREATE TABLE rollup_predictions_day_v7 (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_i HUGEINT NOT NULL USING COMPRESSION uncompressed,
  probability_a BIGINT NOT NULL,
  probability_b BIGINT NOT NULL,
  probability_c BIGINT NOT NULL
);

INSERT INTO rollup_predictions_day_v7 (tenant_id, day, predictions, probability_i, probability_a, probability_b, probability_c)
SELECT tenant_id, day, sum(predictions), sum(probability_i), sum(probability_a), sum(probability_b), sum(probability_c)
FROM rollup_predictions_day GROUP BY tenant_id, day ORDER BY tenant_id, day;

DROP TABLE rollup_predictions_day;
ALTER TABLE rollup_predictions_day_v7 RENAME TO rollup_predictions_day;
