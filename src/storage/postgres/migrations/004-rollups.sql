-- Pre-aggregated rollups maintained at ingest in the same transaction as the records (and
-- rebuilt from raw rows by `atom-analytics rollups rebuild`). Counts and integer sums are exact
-- under upserts: an update subtracts the old version's contribution and adds the new one.
-- Slots are 15 minutes (every IANA offset is a multiple of 15 minutes, so a slot never
-- straddles a local bucket edge); period edges that cut a slot are read from raw rows.
CREATE TABLE rollup_runs (
  tenant_id TEXT NOT NULL,
  slot BIGINT NOT NULL,
  runs BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  finished BIGINT NOT NULL,
  duration_sum_ms BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, slot)
);

-- Duration sketch (src/reports/metrics/duration-sketch.ts) of finished runs, per UTC day.
CREATE TABLE rollup_durations_day (
  tenant_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, day, bucket)
);

CREATE TABLE rollup_metrics (
  tenant_id TEXT NOT NULL,
  slot BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_sum DOUBLE PRECISION NOT NULL,
  throughput_sum DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, slot)
);

CREATE TABLE rollup_predictions (
  tenant_id TEXT NOT NULL,
  slot BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_sum DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, slot)
);

-- Every (tenant, service) named by a stored record, with how many records name it (an update
-- that renames a service moves one count), for the health report.
CREATE TABLE tenant_services (
  tenant_id TEXT NOT NULL,
  service TEXT NOT NULL,
  records BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, service)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') THEN
    EXECUTE 'GRANT SELECT ON rollup_runs, rollup_durations_day, rollup_metrics, rollup_predictions, tenant_services TO atom_app';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot grant atom_app on rollups';
END
$$;

ALTER TABLE rollup_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_durations_day ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_predictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_services ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON rollup_runs TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON rollup_durations_day TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON rollup_metrics TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON rollup_predictions TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON tenant_services TO atom_app USING (atom_tenant_in_scope(tenant_id));
