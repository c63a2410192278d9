-- Core tables. Every table leads with tenant_id in its primary key and indexes so it can be
-- distributed by tenant (see docs/scaling.md). Timestamps are epoch milliseconds (BIGINT).
CREATE TABLE tenants (
  tenant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  price_workflow_run_micros BIGINT,
  price_metric_sample_micros BIGINT,
  price_prediction_micros BIGINT
);

CREATE TABLE api_keys (
  tenant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  name TEXT,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_key_id ON api_keys (key_id);

CREATE TABLE admin_keys (
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT
);

CREATE TABLE workflow_runs (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  workflow_name TEXT,
  service TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at_ms BIGINT NOT NULL,
  finished_at_ms BIGINT,
  duration_ms DOUBLE PRECISION,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX workflow_runs_tenant_started ON workflow_runs (tenant_id, started_at_ms);

CREATE TABLE incidents (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  service TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT,
  opened_at_ms BIGINT NOT NULL,
  acknowledged_at_ms BIGINT,
  resolved_at_ms BIGINT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX incidents_tenant_opened ON incidents (tenant_id, opened_at_ms);

CREATE TABLE metric_samples (
  tenant_id TEXT NOT NULL,
  service TEXT NOT NULL,
  ts_ms BIGINT NOT NULL,
  p95_latency_ms DOUBLE PRECISION NOT NULL,
  throughput_rps DOUBLE PRECISION NOT NULL,
  error_rate DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tenant_id, service, ts_ms)
);
CREATE INDEX metric_samples_tenant_ts ON metric_samples (tenant_id, ts_ms);

CREATE TABLE predictions (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT,
  workflow_run_id TEXT,
  predicted_at_ms BIGINT NOT NULL,
  failure_probability DOUBLE PRECISION NOT NULL,
  outcome TEXT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX predictions_tenant_predicted ON predictions (tenant_id, predicted_at_ms);
