-- Core tables. The large record tables deliberately have no PRIMARY KEY: DuckDB's ART index
-- made ingest 5-10x slower and the file 2.6x larger (shared/ENGINE-NOTES.md). Uniqueness of
-- (tenant_id, id) is kept by the single writer (src/ingest/ingest-service.ts) instead.
CREATE TABLE tenants (
  tenant_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  created_at_ms BIGINT NOT NULL,
  price_workflow_run_micros BIGINT,
  price_metric_sample_micros BIGINT,
  price_prediction_micros BIGINT
);

CREATE TABLE api_keys (
  tenant_id VARCHAR NOT NULL,
  key_id VARCHAR NOT NULL,
  key_hash VARCHAR NOT NULL,
  name VARCHAR,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  PRIMARY KEY (tenant_id, key_id)
);

CREATE TABLE admin_keys (
  key_id VARCHAR PRIMARY KEY,
  key_hash VARCHAR NOT NULL,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT
);

CREATE TABLE workflow_runs (
  tenant_id VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  workflow_id VARCHAR NOT NULL,
  workflow_name VARCHAR,
  service VARCHAR NOT NULL,
  status VARCHAR NOT NULL,
  started_at_ms BIGINT NOT NULL,
  finished_at_ms BIGINT,
  duration_ms DOUBLE
);

CREATE TABLE incidents (
  tenant_id VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  service VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  title VARCHAR,
  opened_at_ms BIGINT NOT NULL,
  acknowledged_at_ms BIGINT,
  resolved_at_ms BIGINT
);

CREATE TABLE metric_samples (
  tenant_id VARCHAR NOT NULL,
  service VARCHAR NOT NULL,
  ts_ms BIGINT NOT NULL,
  p95_latency_ms DOUBLE NOT NULL,
  throughput_rps DOUBLE NOT NULL,
  error_rate DOUBLE NOT NULL
);

CREATE TABLE predictions (
  tenant_id VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  model VARCHAR NOT NULL,
  model_version VARCHAR,
  workflow_run_id VARCHAR,
  predicted_at_ms BIGINT NOT NULL,
  failure_probability DOUBLE NOT NULL,
  outcome VARCHAR
);
