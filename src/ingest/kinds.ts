import { isIngestKind, type IngestKind } from './records.ts';
import type { TableName } from '../storage/types.ts';
import { TABLE_COLUMNS } from '../storage/schema.ts';

/** The ingest kinds (one definition: src/ingest/records.ts). */
export type IngestKindName = IngestKind;
export { isIngestKind };

export interface KindSpec {
  table: TableName;
  columns: readonly string[];
  /** SQL expression of the record key within a tenant, as text. */
  keySql: string;
  /** The same key computed from a record, to match rows fetched back. */
  keyOf(rec: Record<string, unknown>): string;
  /** The record's time column (epoch ms): lookups and deletes are bounded on it. */
  timeColumn: string;
  /** The time column is part of the key (metrics): a stored row has the incoming time. */
  timeInKey: boolean;
}

const cols = (t: string) => TABLE_COLUMNS[t]!.map(([c]) => c);

/** Where each ingest kind is stored and how its records are identified (contract: upsert keys). */
export const KIND_SPECS: Record<IngestKindName, KindSpec> = {
  workflow_runs: {
    table: 'workflow_runs',
    columns: cols('workflow_runs'),
    keySql: 'id',
    keyOf: (r) => String(r.id),
    timeColumn: 'started_at_ms',
    timeInKey: false,
  },
  incidents: {
    table: 'incidents',
    columns: cols('incidents'),
    keySql: 'id',
    keyOf: (r) => String(r.id),
    timeColumn: 'opened_at_ms',
    timeInKey: false,
  },
  predictions: {
    table: 'predictions',
    columns: cols('predictions'),
    keySql: 'id',
    keyOf: (r) => String(r.id),
    timeColumn: 'predicted_at_ms',
    timeInKey: false,
  },
  // ts_ms is the part after the last '|', so any service name keeps the key unambiguous.
  metrics: {
    table: 'metric_samples',
    columns: cols('metric_samples'),
    keySql: "service || '|' || CAST(ts_ms AS VARCHAR)",
    keyOf: (r) => `${String(r.service)}|${String(r.ts_ms)}`,
    timeColumn: 'ts_ms',
    timeInKey: true,
  },
};
