/**
 * Column lists of the record tables, shared by both engines for bulk inserts and row mapping.
 * Timestamps are epoch milliseconds (BIGINT) so arithmetic is exact and identical on both engines.
 */

/** `hugeint`: an exact integer wider than 64 bits (DuckDB HUGEINT, PostgreSQL NUMERIC), bound from a bigint. */
export type ColumnType = 'text' | 'bigint' | 'double' | 'hugeint';


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
  rollup_metrics: [
    ['tenant_id', 'text'],
    ['slot', 'bigint'],
    ['samples', 'bigint'],
    ['latency_i', 'hugeint'],
    ['latency_a', 'bigint'],
    ['latency_b', 'bigint'],
    ['latency_c', 'bigint'],
    ['throughput_i', 'hugeint'],
    ['throughput_a', 'bigint'],
    ['throughput_b', 'bigint'],
    ['throughput_c', 'bigint'],
  ],
  rollup_predictions: [
    ['tenant_id', 'text'],
    ['slot', 'bigint'],
    ['predictions', 'bigint'],
    ['probability_i', 'hugeint'],
    ['probability_a', 'bigint'],
    ['probability_b', 'bigint'],
    ['probability_c', 'bigint'],
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
    ['latency_i', 'hugeint'],
    ['latency_a', 'bigint'],
    ['latency_b', 'bigint'],
    ['latency_c', 'bigint'],
    ['throughput_i', 'hugeint'],
    ['throughput_a', 'bigint'],
    ['throughput_b', 'bigint'],
    ['throughput_c', 'bigint'],
  ],
  rollup_predictions_day: [
    ['tenant_id', 'text'],
    ['day', 'bigint'],
    ['predictions', 'bigint'],
    ['probability_i', 'hugeint'],
    ['probability_a', 'bigint'],
    ['probability_b', 'bigint'],
    ['probability_c', 'bigint'],
  ],
  tenant_services: [
    ['tenant_id', 'text'],
    ['service', 'text'],
    ['records', 'bigint'],
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
export const ROLLUP_TABLES: Record<string, { keys: readonly string[]; values: readonly string[] }> = {
  rollup_runs: { keys: ['tenant_id', 'slot'], values: ['runs', 'failed', 'finished', 'duration_sum_ms'] },
  rollup_durations_day: { keys: ['tenant_id', 'day', 'bucket'], values: ['n'] },
  rollup_metrics: { keys: ['tenant_id', 'slot'], values: ['samples', 'latency_i', 'latency_a', 'latency_b', 'latency_c', 'throughput_i', 'throughput_a', 'throughput_b', 'throughput_c'] },
  rollup_predictions: { keys: ['tenant_id', 'slot'], values: ['predictions', 'probability_i', 'probability_a', 'probability_b', 'probability_c'] },
  tenant_services: { keys: ['tenant_id', 'service'], values: ['records'] },
  // Per UTC day, the same values as the slot tables above (migrations 004 DuckDB / 006 PostgreSQL).
  rollup_runs_day: { keys: ['tenant_id', 'day'], values: ['runs', 'failed', 'finished', 'duration_sum_ms'] },
  rollup_metrics_day: { keys: ['tenant_id', 'day'], values: ['samples', 'latency_i', 'latency_a', 'latency_b', 'latency_c', 'throughput_i', 'throughput_a', 'throughput_b', 'throughput_c'] },
  rollup_predictions_day: { keys: ['tenant_id', 'day'], values: ['predictions', 'probability_i', 'probability_a', 'probability_b', 'probability_c'] },
};
