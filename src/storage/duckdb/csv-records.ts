/**
 * DuckDB side of `Storage.streamCsvRecords`: CSV records formatted in SQL, written by DuckDB's
 * own COPY into a temp file per slice and streamed from there, so no row ever becomes a JS value.
 *
 * Why slices: an ORDER BY over a whole export materialises every row before the first one comes
 * out (3M runs: 1.2 GB RSS), and DuckDB's memory limit is global. The export is cut into
 * (tenant, time range) slices of at most SLICE_ROWS rows, planned from counts; each slice is
 * sorted on its own, so memory stays flat whatever the export size.
 *
 * Why COPY to a file: reading a VARCHAR column costs a native call and a string per row in JS,
 * which caps the rate well below what DuckDB produces; COPY writes from DuckDB's threads. While
 * one slice file is streamed to the client the next slice is being written (one ahead), and
 * each file is removed once sent: disk use is bounded by two slices (in `<database>.exports/`,
 * emptied when the database is opened, so a crash mid-export leaves nothing behind for long).
 *
 * Memory (3M runs of one tenant, 10M in the table): the sort is fed the stored columns and the
 * records are formatted after it, from its output, so the sort carries ~60 bytes a row instead of
 * a ~130-byte record (a 100k slice peaks at ~25 MB instead of ~50 MB). What DuckDB caches of the
 * scanned table is bounded by its memory limit, which `exportStarted` lowers for the export's
 * duration (DUCKDB_EXPORT_MEMORY_LIMIT, index.ts): without that the export leaves the whole
 * table's blocks (~140 MB) in DuckDB's buffer pool.
 *
 * Cancellation: between slices the generator simply stops; a COPY in flight is interrupted.
 * All slices are read in one transaction, so the export is one consistent snapshot.
 */

import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLE_COLUMNS } from '../schema.ts';
import type { CsvRecordQuery, SqlValue } from '../types.ts';

/**
 * Rows per slice: about 14 MB of CSV for workflow runs. Smaller slices sort in less memory but
 * cost more CPU, as each one rescans the row groups (122,880 rows) it overlaps.
 */
export const SLICE_ROWS = 100_000;

/**
 * Stored bytes per slice (the text columns' lengths plus 8 per other column), whatever the row
 * count: rows near the limits (1,000-character titles, 256-character ids) are ≈ 1–2 KB, and
 * 100k of them did not fit DuckDB's sort under a 128MB limit (out of memory). Narrow rows (runs,
 * ≈ 100 bytes) stay at SLICE_ROWS.
 */
export const SLICE_BYTES = 12 * 1024 * 1024;

/** SQL of a row's stored width: octet lengths of its text columns plus 8 per other column. */
function rowWidthSql(table: string): string {
  const columns = TABLE_COLUMNS[table] ?? [];
  const text = columns.filter(([, t]) => t === 'text').map(([c]) => `coalesce(strlen(${c}), 0)`);
  return [String(8 * (columns.length - text.length)), ...text].join(' + ');
}

/** Bucket widths tried when planning, coarse to fine: a day, an hour, a minute, a second, 1 ms. */
const BUCKET_WIDTHS_MS = [86_400_000, 3_600_000, 60_000, 1_000, 1] as const;

/** One slice: a tenant's rows with `from <= time < to`. */
interface Slice {
  tenantId: string;
  fromMs: number;
  toMs: number;
}

export interface DuckDbCsvDeps {
  /** Where slice files are written (a directory only this process uses; created if missing). */
  tempDir: string;
  /** A new connection, owned by the export until it gives it back to `release`. */
  connect(): Promise<DuckDBConnection>;
  release(conn: DuckDBConnection): void;
  query<T>(conn: DuckDBConnection, sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  execute(conn: DuckDBConnection, sql: string, params?: readonly SqlValue[]): Promise<void>;
  /**
   * Called on the export's connection before its first query, and after its last one (also
   * when the export failed or was stopped). Must not throw.
   */
  exportStarted?(conn: DuckDBConnection): Promise<void>;
  exportEnded?(conn: DuckDBConnection): Promise<void>;
}

/** See the file comment. `sliceRows` and `sliceBytes` are for tests. */
export async function* streamDuckDbCsvRecords(
  deps: DuckDbCsvDeps,
  q: CsvRecordQuery,
  sliceRows: number = SLICE_ROWS,
  sliceBytes: number = SLICE_BYTES,
): AsyncGenerator<Uint8Array> {
  const conn = await deps.connect();
  let dir: string | undefined;
  let pending: Promise<string> | undefined;
  let inTransaction = false;
  try {
    await deps.exportStarted?.(conn);
    await mkdir(deps.tempDir, { recursive: true });
    dir = await mkdtemp(join(deps.tempDir, 'export-'));
    await deps.execute(conn, 'BEGIN TRANSACTION');
    inTransaction = true;
    const slices = await planSlices(deps, conn, q, sliceRows, sliceBytes);
    const workDir = dir;
    const copySlice = (i: number): Promise<string> => {
      const file = join(workDir, `slice-${i}.csv`);
      const copy = copySliceToFile(deps, conn, q, slices[i]!, file).then(() => file);
      // Handled when awaited; this only keeps an early stop from reporting it as unhandled.
      copy.catch(() => undefined);
      return copy;
    };
    let next = 0;
    pending = slices.length > 0 ? copySlice(next++) : undefined;
    while (pending) {
      const file = await pending;
      pending = next < slices.length ? copySlice(next++) : undefined;
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
      await rm(file, { force: true });
    }
    await deps.execute(conn, 'COMMIT');
    inTransaction = false;
  } finally {
    if (pending) {
      // Stopped early (client gone) or failed: stop the slice being written, and wait for it so
      // the connection is idle before it is closed.
      conn.interrupt();
      await pending.catch(() => undefined);
    }
    if (inTransaction) await deps.execute(conn, 'ROLLBACK').catch(() => undefined);
    await deps.exportEnded?.(conn);
    deps.release(conn);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

interface Bucket {
  tenant_id: string;
  n: number;
  /** Stored bytes of the bucket's rows (rowWidthSql). */
  w: number;
  lo: number;
  hi: number;
}

/**
 * Cuts the rows into slices of at most `sliceRows` rows and `sliceBytes` stored bytes (a single millisecond of one tenant with more
 * rows stays one slice), in export order: tenant, then time. Counts per (tenant, day); a day
 * with more rows is counted again per hour, and so on down to the millisecond. Slice bounds come
 * from the min/max of their buckets, so they are exact whatever the bucket arithmetic.
 */
async function planSlices(deps: DuckDbCsvDeps, conn: DuckDBConnection, q: CsvRecordQuery, sliceRows: number, sliceBytes: number): Promise<Slice[]> {
  const slices: Slice[] = [];
  let current: (Slice & { n: number; w: number }) | null = null;
  const rowWidth = rowWidthSql(q.table);
  const flush = () => {
    if (current) slices.push({ tenantId: current.tenantId, fromMs: current.fromMs, toMs: current.toMs });
    current = null;
  };

  async function visit(level: number, within: Slice | null): Promise<void> {
    const width = BUCKET_WIDTHS_MS[level]!;
    const params: SqlValue[] = [...q.params];
    let where = `(${q.where})`;
    if (within) {
      params.push(within.tenantId, within.fromMs, within.toMs);
      const p = params.length;
      where += ` AND tenant_id = $${p - 2} AND ${q.timeColumn} >= $${p - 1} AND ${q.timeColumn} < $${p}`;
    }
    const buckets = await deps.query<Bucket>(
      conn,
      `SELECT tenant_id, count(*) AS n, sum(${rowWidth}) AS w, min(${q.timeColumn}) AS lo, max(${q.timeColumn}) AS hi
       FROM ${q.table} WHERE ${where}
       GROUP BY tenant_id, ${q.timeColumn} // ${width}
       ORDER BY tenant_id, lo`,
      params,
    );
    for (const b of buckets) {
      const n = Number(b.n);
      const w = Number(b.w);
      const lo = Number(b.lo);
      const hi = Number(b.hi);
      if ((n > sliceRows || w > sliceBytes) && level + 1 < BUCKET_WIDTHS_MS.length && hi > lo) {
        flush();
        await visit(level + 1, { tenantId: b.tenant_id, fromMs: lo, toMs: hi + 1 });
        continue;
      }
      const c = current as (Slice & { n: number; w: number }) | null;
      if (c && c.tenantId === b.tenant_id && c.n + n <= sliceRows && c.w + w <= sliceBytes) {
        c.toMs = hi + 1;
        c.n += n;
        c.w += w;
      } else {
        flush();
        current = { tenantId: b.tenant_id, fromMs: lo, toMs: hi + 1, n, w };
      }
    }
  }

  await visit(0, null);
  flush();
  return slices;
}

/** SQL of one slice's records, in export order (a single column, `record`). */
export function sliceRecordsSql(q: CsvRecordQuery, firstParam: number): string {
  const [tenant, from, to] = [firstParam, firstParam + 1, firstParam + 2];
  // The sort gets the stored columns and the records are formatted from its output: sorting the
  // formatted records makes the sort carry them (twice the memory). A projection over a single
  // ordered subquery keeps its order (DuckDB's order preservation, as COPY does); the test
  // "slices keep the sort order" in test/integration/export-duckdb-memory.test.ts checks it.
  return `SELECT ${q.record} AS record FROM (
       SELECT * FROM ${q.table}
       WHERE (${q.where}) AND tenant_id = $${tenant} AND ${q.timeColumn} >= $${from} AND ${q.timeColumn} < $${to}
       ORDER BY ${q.timeColumn}, ${q.key}
     )`;
}

/** Writes one slice's records, each followed by CRLF, to `file`. */
async function copySliceToFile(deps: DuckDbCsvDeps, conn: DuckDBConnection, q: CsvRecordQuery, slice: Slice, file: string): Promise<void> {
  const params: SqlValue[] = [...q.params, slice.tenantId, slice.fromMs, slice.toMs];
  // QUOTE '' and ESCAPE '': the record is already CSV, so COPY writes it verbatim (a record is
  // never empty or NULL, so DuckDB's NULL marker cannot occur); NEW_LINE adds the CRLF.
  await deps.execute(
    conn,
    `COPY (${sliceRecordsSql(q, params.length - 2)})
     TO '${file.replace(/'/g, "''")}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', NEW_LINE '\\r\\n')`,
    params,
  );
}
