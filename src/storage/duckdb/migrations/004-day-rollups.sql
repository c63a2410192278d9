-- Day-level rollups: the same value columns as rollup_runs / rollup_metrics / rollup_predictions,
-- per tenant and UTC day (day = floor(ms / 86400000); a day is 96 slots). Reports over long
-- periods read whole UTC days here, whole 15-minute slots of the partial days at the edges from
-- the slot rollups, and raw rows for partial slots (src/reports/rollup-source.ts). Maintained at
-- ingest in the same transaction as the records (src/ingest/rollups.ts); like the slot rollups
-- they hold appended delta rows, summed by readers and compacted by the writer.
CREATE TABLE rollup_runs_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  runs BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  finished BIGINT NOT NULL,
  duration_sum_ms BIGINT NOT NULL
);

CREATE TABLE rollup_metrics_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_sum DOUBLE NOT NULL,
  throughput_sum DOUBLE NOT NULL
);

CREATE TABLE rollup_predictions_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_sum DOUBLE NOT NULL
);

-- An existing database: fill from the slot rollups (consistent with them by construction), one
-- row per key, in key order so a tenant's rows are contiguous.
INSERT INTO rollup_runs_day (tenant_id, day, runs, failed, finished, duration_sum_ms)
SELECT tenant_id, slot // 96, sum(runs), sum(failed), sum(finished), sum(duration_sum_ms)
FROM rollup_runs GROUP BY 1, 2 ORDER BY 1, 2;

INSERT INTO rollup_metrics_day (tenant_id, day, samples, latency_sum, throughput_sum)
SELECT tenant_id, slot // 96, sum(samples), sum(latency_sum), sum(throughput_sum)
FROM rollup_metrics GROUP BY 1, 2 ORDER BY 1, 2;

INSERT INTO rollup_predictions_day (tenant_id, day, predictions, probability_sum)
SELECT tenant_id, slot // 96, sum(predictions), sum(probability_sum)
FROM rollup_predictions GROUP BY 1, 2 ORDER BY 1, 2;
