-- DuckDB: no primary keys here. Each ingest appends delta rows (an ART-indexed upsert costs
-- 20-50 ms per batch); readers always sum per key, and the writer compacts the deltas in the
-- background of the write lock once enough have accumulated (src/storage/duckdb/index.ts).
-- Pre-aggregated rollups maintained at ingest in the same transaction as the records (and
-- rebuilt from raw rows by `atom-analytics rollups rebuild`). Counts and integer sums are exact
-- under upserts: an update subtracts the old version's contribution and adds the new one.
-- Slots are 15 minutes (every IANA offset is a multiple of 15 minutes, so a slot never
-- straddles a local bucket edge); period edges that cut a slot are read from raw rows.
CREATE TABLE rollup_runs (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  runs BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  finished BIGINT NOT NULL,
  duration_sum_ms BIGINT NOT NULL
);

-- Duration sketch (src/reports/metrics/duration-sketch.ts) of finished runs, per UTC day.
CREATE TABLE rollup_durations_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  n BIGINT NOT NULL
);

CREATE TABLE rollup_metrics (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  latency_sum DOUBLE NOT NULL,
  throughput_sum DOUBLE NOT NULL
);

CREATE TABLE rollup_predictions (
  tenant_id VARCHAR NOT NULL,
  slot BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  probability_sum DOUBLE NOT NULL
);

-- Every (tenant, service) named by a stored record, with how many records name it (an update
-- that renames a service moves one count), for the health report.
CREATE TABLE tenant_services (
  tenant_id VARCHAR NOT NULL,
  service VARCHAR NOT NULL,
  records BIGINT NOT NULL
);
