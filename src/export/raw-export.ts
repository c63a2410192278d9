import type { IngestKindName } from '../ingest/kinds.ts';
import { KIND_SPECS } from '../ingest/kinds.ts';
import { INGEST_FIELDS, formatUtcTimestamp } from '../ingest/records.ts';
import { tenantFilter, type ReportQuery } from '../reports/common.ts';
import type { SqlValue, Storage } from '../storage/types.ts';

/** Raw export types and the record kind behind each (contract reading 14). */
export const RAW_EXPORTS: Record<string, IngestKindName> = {
  raw_workflow_runs: 'workflow_runs',
  raw_incidents: 'incidents',
  raw_metrics: 'metrics',
  raw_predictions: 'predictions',
};

/** The time column that selects a kind's records into a period (contract: Reports). */
const PERIOD_COLUMN: Record<IngestKindName, string> = {
  workflow_runs: 'started_at_ms',
  incidents: 'opened_at_ms',
  metrics: 'ts_ms',
  predictions: 'predicted_at_ms',
};

/** API field → stored column; timestamps are stored as epoch ms under `<field>_ms`. */
function columnOf(kind: IngestKindName, field: string): { column: string; timestamp: boolean } {
  const cols = KIND_SPECS[kind].columns;
  if (cols.includes(`${field}_ms`) && field !== 'duration') return { column: `${field}_ms`, timestamp: true };
  return { column: field, timestamp: false };
}

export function rawColumns(kind: IngestKindName): string[] {
  return [...INGEST_FIELDS[kind]];
}

/**
 * Streams a kind's stored records in API shape for the period and scope, ordered by tenant,
 * time and key, chunk by chunk from a database cursor (memory stays flat).
 */
export async function* streamRawRecords(storage: Storage, kind: IngestKindName, q: ReportQuery): AsyncGenerator<Record<string, unknown>> {
  const d = storage.dialect;
  const fields = INGEST_FIELDS[kind];
  const mapped = fields.map((f) => ({ field: f, ...columnOf(kind, f) }));
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const time = PERIOD_COLUMN[kind];
  const scope = tenantFilter(d, 'tenant_id', q, params);
  const key = kind === 'metrics' ? d.binaryText('service') : d.binaryText('id');
  const sql = `SELECT ${mapped.map((m) => m.column).join(', ')} FROM ${KIND_SPECS[kind].table}
    WHERE ${time} >= $1 AND ${time} < $2 AND ${scope}
    ORDER BY ${d.binaryText('tenant_id')}, ${time}, ${key}`;
  for await (const chunk of storage.stream<Record<string, unknown>>(sql, params)) {
    for (const row of chunk) {
      const out: Record<string, unknown> = {};
      for (const m of mapped) {
        const v = row[m.column];
        out[m.field] = v === null || v === undefined ? null : m.timestamp ? formatUtcTimestamp(Number(v)) : v;
      }
      yield out;
    }
  }
}
