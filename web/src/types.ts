// Shapes of the public API (see shared CONTRACT.md, "Reports"). Only the fields the dashboard reads.

export interface Tenant {
  id: string;
  name: string;
}

export interface ReportPeriod {
  from: string;
  to: string;
}

export interface Report<Row> {
  period: ReportPeriod;
  rows: Row[];
}

export interface OverviewRow {
  tenant_id: string;
  tenant_name: string;
  total_workflows: number;
  failed_workflows: number;
  failure_rate_percent: number | null;
  avg_duration_ms: number | null;
  p95_duration_ms: number | null;
  avg_p95_latency_ms: number | null;
  avg_throughput_rps: number | null;
  total_predictions: number;
  avg_failure_probability: number | null;
}

export interface MttrRow {
  tenant_id: string;
  service?: string;
  severity?: string;
  incident_count: number;
  resolved_count: number;
  open_count: number;
  mttr_avg_seconds: number | null;
  mttr_median_seconds: number | null;
  mttr_p95_seconds: number | null;
  mtta_avg_seconds: number | null;
  mtta_median_seconds: number | null;
}

export interface Prices {
  workflow_run: number;
  metric_sample: number;
  prediction: number;
}

export interface CostRow {
  tenant_id: string;
  workflow_runs: number;
  metric_samples: number;
  predictions: number;
  workflow_cost: number;
  monitoring_cost: number;
  prediction_cost: number;
  total_cost: number;
  cost_per_hour: number;
  prices: Prices;
}

export interface CostReport extends Report<CostRow> {
  price_book: Prices;
}

export interface TrendPoint {
  bucket_start: string;
  workflows: number;
  failed_workflows: number;
  failure_rate_percent: number | null;
  avg_duration_ms: number | null;
  incidents_opened: number;
  predictions: number;
  avg_p95_latency_ms: number | null;
}

export interface TrendReport {
  tenant_id: string;
  granularity: 'hour' | 'day' | 'week';
  tz: string;
  points: TrendPoint[];
}

export type HealthStatus = 'healthy' | 'degraded' | 'down';

export interface HealthRow {
  tenant_id: string;
  service: string;
  latest_ts: string | null;
  latest_p95_latency_ms: number | null;
  latest_error_rate: number | null;
  latest_throughput_rps: number | null;
  open_incidents: number;
  uptime_percent: number | null;
  status: HealthStatus;
}

export interface CalibrationBin {
  bin_lower: number;
  bin_upper: number;
  count: number;
  mean_predicted: number | null;
  observed_failure_rate: number | null;
}

export interface PredictionRow {
  tenant_id: string;
  model: string;
  predictions: number;
  evaluated: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  brier_score: number | null;
  roc_auc: number | null;
  calibration: CalibrationBin[];
}
