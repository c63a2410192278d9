import { Readable } from 'node:stream';
import type { IngestKindName } from '../ingest/kinds.ts';
import { KIND_SPECS } from '../ingest/kinds.ts';
import { INGEST_FIELDS, formatUtcTimestamp } from '../ingest/records.ts';
import { validatedValues } from '../ingest/validate.ts';
import { tenantFilter, type ReportQuery } from '../reports/common.ts';
import { TABLE_COLUMNS } from '../storage/schema.ts';
import type { CsvRecordQuery, SqlValue, Storage } from '../storage/types.ts';
import { csvLine, formatCsvCell } from './csv.ts';
import { csvRecordSql, type CsvCellKind, type CsvCellSpec } from './csv-sql.ts';

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

/** CSV header of a raw export: the ingest fields, in contract order. */
export function rawColumns(kind: IngestKindName): string[] {
  return [...INGEST_FIELDS[kind]];
}

/**
 * How a text field is written, from what validation lets it hold: enum words that need no guard
 * or quotes (checked here, against the JS formatter's own rule) are written as stored; tenant ids
 * ([A-Za-z0-9_-], so never quoted) only get the guard (a leading `-`); anything else gets both.
 */
function textCellKind(kind: IngestKindName, field: string): CsvCellKind {
  const values = validatedValues(kind, field);
  if (values === 'tenant') return 'guardedText';
  if (values && values.enum.every((v) => formatCsvCell(v) === v)) return 'plainText';
  return 'text';
}

/** How each ingest field is written: stored text, a double, or epoch ms as ISO 8601. */
function rawCells(kind: IngestKindName): CsvCellSpec[] {
  const types = new Map(TABLE_COLUMNS[KIND_SPECS[kind].table]!.map(([name, type]) => [name, type]));
  return INGEST_FIELDS[kind].map((field) => {
    const { column, timestamp } = columnOf(kind, field);
    const type = types.get(column);
    return { expr: column, kind: timestamp ? 'timestamp' : type === 'text' ? textCellKind(kind, field) : 'number' };
  });
}

/** Period and tenant scope of a raw export, as SQL over the kind's table. */
function rawFilter(storage: Storage, kind: IngestKindName, q: ReportQuery): { where: string; params: SqlValue[] } {
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const time = PERIOD_COLUMN[kind];
  const scope = tenantFilter(storage.dialect, 'tenant_id', q, params);
  return { where: `${time} >= $1 AND ${time} < $2 AND ${scope}`, params };
}

/**
 * The fast-path query of a raw export: records formatted by the database, ordered by tenant,
 * period time, then id (metrics: service), all byte-wise.
 */
export function rawCsvQuery(storage: Storage, kind: IngestKindName, q: ReportQuery): CsvRecordQuery {
  const d = storage.dialect;
  return {
    record: csvRecordSql(d, rawCells(kind)),
    table: KIND_SPECS[kind].table,
    ...rawFilter(storage, kind, q),
    timeColumn: PERIOD_COLUMN[kind],
    key: d.binaryText(kind === 'metrics' ? 'service' : 'id'),
  };
}

/**
 * Opens a raw export as a CSV byte stream (header, then the records, CRLF each), streamed from
 * the database with memory flat. The database is asked for the first records before this
 * resolves, so a failure to start (bad scope, database down) is an ordinary error, not a broken
 * download. Destroying the stream stops the query and releases its connection.
 */
export async function openRawCsvStream(storage: Storage, kind: IngestKindName, q: ReportQuery): Promise<Readable> {
  const records = storage.streamCsvRecords(rawCsvQuery(storage, kind, q))[Symbol.asyncIterator]();
  const first = await records.next();
  const header = csvLine(rawColumns(kind));
  async function* body(): AsyncGenerator<string | Uint8Array> {
    try {
      yield header;
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await records.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await records.return?.();
    }
  }
  const stream = Readable.from(body(), { objectMode: false });
  // Destroyed before it was ever read, the generator above never starts (its finally would not
  // run): release the records here too. return() on a finished iterator is a no-op.
  stream.once('close', () => {
    records.return?.().catch(() => undefined);
  });
  return stream;
}

/**
 * The reference path: the same records converted to JS values and formatted by csv.ts. Slow
 * (every value crosses into JS), kept because the fast path is tested byte for byte against it
 * (test/integration/export-fast-path.test.ts).
 */
export async function* streamRawRecords(storage: Storage, kind: IngestKindName, q: ReportQuery): AsyncGenerator<Record<string, unknown>> {
  const d = storage.dialect;
  const mapped = INGEST_FIELDS[kind].map((f) => ({ field: f, ...columnOf(kind, f) }));
  const { where, params } = rawFilter(storage, kind, q);
  const key = d.binaryText(kind === 'metrics' ? 'service' : 'id');
  const sql = `SELECT ${mapped.map((m) => m.column).join(', ')} FROM ${KIND_SPECS[kind].table}
    WHERE ${where}
    ORDER BY ${d.binaryText('tenant_id')}, ${PERIOD_COLUMN[kind]}, ${key}`;
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
