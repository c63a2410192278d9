/**
 * Column lists of the record tables, shared by both engines for bulk inserts and row mapping.
 * Timestamps are epoch milliseconds (BIGINT) so arithmetic is exact and identical on both engines.
 */

import { FX_PARTS } from '../reports/metrics/exact-sum.ts';

/** `hugeint`: an exact integer wider than 64 bits (DuckDB HUGEINT, PostgreSQL NUMERIC), bound from a bigint. */
export type ColumnType = 'text' | 'bigint' | 'double' | 'hugeint';


/**
 * The columns of an exact sum of doubles (src/reports/metrics/exact-sum.ts): `<name>_i`, the sum
 * of integer parts (wider than 64 bits), and `_a`, `_b`, `_c`, the sums of the fraction blocks.
 */
function exactSumColumns(name: string): [string, ColumnType][] {
  return FX_PARTS.map((p) => [`${name}_${p}`, p === 'i' ? 'hugeint' : 'bigint']);
}

export const TABLE_COLUMNS: Record<string, readonly (readonly [string, ColumnType])[]> = {
  workflow_runs: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['workflow_id', 'text'],
    ['workflow_name', 'text'],
    ['service', 'text'],
    ['status', 'text'],
    ['started_at_ms', 'bigint'],
    ['finished_at_ms', 'bigint'],
    ['duration_ms', 'double'],
  ],
  incidents: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['service', 'text'],
    ['severity', 'text'],
    ['title', 'text'],
    ['opened_at_ms', 'bigint'],
    ['acknowledged_at_ms', 'bigint'],
    ['resolved_at_ms', 'bigint'],
  ],
  metric_samples: [
    ['tenant_id', 'text'],
    ['service', 'text'],
    ['ts_ms', 'bigint'],
    ['p95_latency_ms', 'double'],
    ['throughput_rps', 'double'],
    ['error_rate', 'double'],
  ],
  rollup_runs: [
    ['tenant_id', 'text'],
    ['slot', 'bigint'],
    ['runs', 'bigint'],
    ['failed', 'bigint'],
    ['finished', 'bigint'],
    ['duration_sum_ms', 'bigint'],
  ],
  rollup_durations_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['bucket', 'bigint'],
    ['n', 'bigint'],
  ],
  /** rollup_durations_day per week (day // 7): the reports read whole weeks here. */
  rollup_durations_week: [
    ['tenant_id', 'text'],
    ['week', 'bigint'],
    ['bucket', 'bigint'],
    ['n', 'bigint'],
  ],
  rollup_metrics: [
    ['tenant_id', 'text'],
    ['slot', 'bigint'],
    ['samples', 'bigint'],
    ...exactSumColumns('latency'),
    ...exactSumColumns('throughput'),
  ],
  rollup_predictions: [
    ['tenant_id', 'text'],
    ['slot', 'bigint'],
    ['predictions', 'bigint'],
    ...exactSumColumns('probability'),
  ],
  rollup_runs_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['runs', 'bigint'],
    ['failed', 'bigint'],
    ['finished', 'bigint'],
    ['duration_sum_ms', 'bigint'],
  ],
  rollup_metrics_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['samples', 'bigint'],
    ...exactSumColumns('latency'),
    ...exactSumColumns('throughput'),
  ],
  rollup_predictions_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['predictions', 'bigint'],
    ...exactSumColumns('probability'),
  ],
  tenant_services: [
    ['tenant_id', 'text'],
    ['service', 'text'],
    ['records', 'bigint'],
    ['samples', 'bigint'],
  ],
  predictions: [
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['model', 'text'],
    ['model_version', 'text'],
    ['workflow_run_id', 'text'],
    ['predicted_at_ms', 'bigint'],
    ['failure_probability', 'double'],
    ['outcome', 'text'],
    // Derived, not sent: the linked run's outcome when the prediction has none of its own
    // (src/ingest/prediction-outcomes.ts). Not part of the record's content.
    ['run_outcome', 'text'],
  ],
  /**
   * Predictions per (tenant, UTC day, model, probability) by effective outcome (own, else the
   * linked run's): the predictions report's counts, exact AUC ties included.
   */
  rollup_prediction_scores_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['model', 'text'],
    ['probability', 'double'],
    ['predictions', 'bigint'],
    ['positives', 'bigint'],
    ['negatives', 'bigint'],
  ],
  /** rollup_prediction_scores_day per week (day // 7). */
  rollup_prediction_scores_week: [
    ['tenant_id', 'text'],
    ['week', 'bigint'],
    ['model', 'text'],
    ['probability', 'double'],
    ['predictions', 'bigint'],
    ['positives', 'bigint'],
    ['negatives', 'bigint'],
  ],
  /** Predictions without an outcome of their own whose linked run has not finished (or is not stored yet). */
  prediction_waits: [
    ['tenant_id', 'text'],
    ['run_id', 'text'],
    ['prediction_id', 'text'],
    ['model', 'text'],
    ['predicted_at_ms', 'bigint'],
    ['failure_probability', 'double'],
  ],
};

export function columnTypesOf(table: string, columns: readonly string[]): ColumnType[] {
  const spec = TABLE_COLUMNS[table];
  return columns.map((c) => {
    const found = spec?.find(([name]) => name === c);
    // Tables outside TABLE_COLUMNS (keys, tenants) use text unless the column name says otherwise.
    if (found) return found[1];
    return c.endsWith('_ms') || c.endsWith('_micros') || c === 'count' ? 'bigint' : 'text';
  });
}

/** Rollup tables: key columns and additive value columns (readers sum values per key). */
export const ROLLUP_TABLES: Record<string, { keys: readonly string[]; values: readonly string[] }> = Object.fromEntries(
  (
    [
      ['rollup_runs', ['tenant_id', 'slot']],
      ['rollup_durations_day', ['tenant_id', 'day', 'bucket']],
      ['rollup_metrics', ['tenant_id', 'slot']],
      ['rollup_predictions', ['tenant_id', 'slot']],
      ['tenant_services', ['tenant_id', 'service']],
      // Per UTC day, the same values as the slot tables above (migrations 004 DuckDB / 006 PostgreSQL).
      ['rollup_runs_day', ['tenant_id', 'day']],
      ['rollup_metrics_day', ['tenant_id', 'day']],
      ['rollup_predictions_day', ['tenant_id', 'day']],
      ['rollup_prediction_scores_day', ['tenant_id', 'day', 'model', 'probability']],
      // Per week (day // 7) of the two day tables above whose rows per day are many (migrations
      // 009 DuckDB / 010 PostgreSQL).
      ['rollup_durations_week', ['tenant_id', 'week', 'bucket']],
      ['rollup_prediction_scores_week', ['tenant_id', 'week', 'model', 'probability']],
    ] as const
  ).map(([table, keys]) => [table, { keys, values: TABLE_COLUMNS[table]!.map(([c]) => c).filter((c) => !(keys as readonly string[]).includes(c)) }]),
);
