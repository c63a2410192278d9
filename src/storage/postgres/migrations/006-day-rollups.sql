-- Day-level rollups: the same value columns as rollup_runs / rollup_metrics / rollup_predictions,
-- per tenant and UTC day (day = floor(ms / 86400000); a day is 96 slots). Reports over long
-- periods read whole UTC days here, whole 15-minute slots of the partial days at the edges from
-- the slot rollups, and raw rows for partial slots (src/reports/rollup-source.ts). Maintained at
-- ingest in the same transaction as the records (src/ingest/rollups.ts), upserted like the others.
CREATE TABLE rollup_runs_day (
  tenant_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  runs BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  finished BIGINT NOT NULL,
  duration_sum_ms BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, day)
);

CREATE TABLE rollup_metrics_day (
  tenant_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_sum DOUBLE PRECISION NOT NULL,
  throughput_sum DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, day)
);

CREATE TABLE rollup_predictions_day (
  tenant_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_sum DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, day)
);

-- An existing database: fill from the slot rollups, in this same transaction (the migration
-- runner takes the migration lock first), so the day rows are consistent with the slot rows.
-- Slots are never negative, so integer division is floor division.
INSERT INTO rollup_runs_day (tenant_id, day, runs, failed, finished, duration_sum_ms)
SELECT tenant_id, slot / 96, sum(runs), sum(failed), sum(finished), sum(duration_sum_ms)
FROM rollup_runs GROUP BY 1, 2;

INSERT INTO rollup_metrics_day (tenant_id, day, samples, latency_sum, throughput_sum)
SELECT tenant_id, slot / 96, sum(samples), sum(latency_sum), sum(throughput_sum)
FROM rollup_metrics GROUP BY 1, 2;

INSERT INTO rollup_predictions_day (tenant_id, day, predictions, probability_sum)
SELECT tenant_id, slot / 96, sum(predictions), sum(probability_sum)
FROM rollup_predictions GROUP BY 1, 2;

ANALYZE rollup_runs_day, rollup_metrics_day, rollup_predictions_day;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') THEN
    EXECUTE 'GRANT SELECT ON rollup_runs_day, rollup_metrics_day, rollup_predictions_day TO atom_app';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot grant atom_app on day rollups';
END
$$;

-- Row-level security in the form of 005 (scope read once per statement).
ALTER TABLE rollup_runs_day ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_metrics_day ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_predictions_day ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON rollup_runs_day TO atom_app USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
CREATE POLICY tenant_scope ON rollup_metrics_day TO atom_app USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
CREATE POLICY tenant_scope ON rollup_predictions_day TO atom_app USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
