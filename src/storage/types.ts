/**
 * The storage seam. Each engine (duckdb/, postgres/) implements `Storage`; services above it
 * write one SQL text per query and use the `Dialect` helpers where the engines differ.
 */

export type SqlValue = string | number | bigint | boolean | null | readonly string[] | readonly number[];
export type Row = Record<string, unknown>;

export interface Executor {
  /** Runs a statement and returns its rows; BIGINT/NUMERIC columns come back as JS numbers. */
  query<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export interface Transaction extends Executor {
  readonly dialect: Dialect;
  /** Bulk-inserts rows whose values follow `columns` order. */
  insertMany(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /**
   * Serialises writers of the same tenants until the transaction ends (PostgreSQL advisory
   * locks; DuckDB already has a single writer), so concurrent upserts of one id cannot race.
   */
  lockTenants(tenantIds: readonly string[]): Promise<void>;
  /**
   * Adds rows to a rollup table. PostgreSQL upserts (a missing key is inserted, an existing one
   * gets the values added); DuckDB appends delta rows that readers sum per key and the storage
   * compacts later. Either way readers must aggregate rollups with sum() per key. Each key must
   * appear once in `rows`.
   */
  addToRollup(table: TableName, keyColumns: readonly string[], valueColumns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
}

/**
 * Small named SQL helpers whose text differs per engine. Same names on every engine, so report
 * SQL reads the same everywhere (STYLE.md practice 3).
 */
export interface Dialect {
  /** `expr` is one of the values of the array bound at parameter `param` (e.g. "$2"). */
  inArray(expr: string, param: string): string;
  /** Continuous percentile (linear interpolation) of `expr` as an aggregate. */
  percentileCont(expr: string, fraction: number): string;
  /** Cast to double precision. */
  double(expr: string): string;
  /** Integer division towards negative infinity, for slot arithmetic on epoch ms. */
  floorDiv(expr: string, divisor: number): string;
  /** Value of the row holding the greatest `orderBy` within the group. */
  argMax(expr: string, orderBy: string): string;
  /** Sketch bucket of a whole-millisecond duration: the same integer as durationBucket() in JS. */
  durationBucket(expr: string): string;
  /** Byte-wise ordering/comparison of a text expression, independent of the database collation. */
  binaryText(expr: string): string;
  /**
   * Text of a BIGINT epoch-milliseconds expression as `Date.prototype.toISOString()` writes it,
   * e.g. `2026-03-01T12:00:00.000Z` (years 0000–9999), for CSV records built in SQL.
   */
  isoFromEpochMs(expr: string): string;
  /**
   * Text of a finite non-zero double with the digits ECMAScript's `String(n)` picks: the shortest
   * that round-trip, a value on a rounding boundary included. Notation may differ per engine
   * (`60000.0`, `1e-05`, `1.5e+16`); src/export/csv-sql.ts lays it out as JS does.
   */
  doubleText(expr: string): string;
  /**
   * Plain decimal notation (`0.0000015`, `12345000000000000000`) of `text`, the `doubleText` of
   * `expr` in exponent notation, for 1e-6 ≤ |expr| < 1e21; exact, as a decimal cast of the text.
   */
  decimalText(text: string, expr: string): string;
}

/**
 * A query whose rows the database formats as CSV records itself: the export fast path, which
 * never turns rows into JS values (src/export/csv-sql.ts builds `record`).
 */
export interface CsvRecordQuery {
  /** SQL expression of one complete CSV record, without its terminator; never NULL. */
  record: string;
  table: TableName;
  /** Row filter (ANDed), with `$n` placeholders bound to `params`. */
  where: string;
  params: readonly SqlValue[];
  /**
   * Record order: `tenant_id` (byte order), then `timeColumn` (a BIGINT, epoch ms), then `key`
   * (byte order). The engine may read in (tenant, time) ranges to bound its sort memory.
   */
  timeColumn: string;
  key: string;
}

export interface Capabilities {
  /** Exactly one process may open the database (DuckDB): in-process caches can be authoritative. */
  singleProcess: boolean;
  /**
   * DuckDB: an in-memory index of the record keys committed in the record tables, which have no
   * key index of their own, so ingest can skip lookups of keys that cannot exist yet.
   */
  recordKeys?: RecordKeyLocator;
  /**
   * DuckDB: the runs that have predictions waiting for them (prediction_waits has no index there),
   * so a run batch asks that table only about those.
   */
  waitingRuns?: WaitingRunIndex;
}

export interface WaitingRunIndex {
  /**
   * The ids among `runIds` (one tenant) that may have waiting predictions: every one that has, and
   * maybe a few that no longer have. Call inside a write transaction (it may read the table there).
   */
  candidates(tx: Transaction, tenantId: string, runIds: readonly string[]): Promise<string[]>;
  /** Every waiting prediction of these runs was taken off the table in the current transaction. */
  resolved(tenantId: string, runIds: readonly string[]): void;
}

/** Candidate ranges `[from, to]` (inclusive epoch ms of the table's time column) of a stored key. */
export type KeyRanges = readonly (readonly [number, number])[];

export interface RecordKeyLocator {
  /**
   * Where rows with the keys of `rows` (values in `columns` order, including `tenant_id`, the key
   * columns and the table's time column) may be stored: per row null when no stored row has that
   * key, else ranges of the time column one of which holds every stored row with the key. Null
   * when the index cannot answer (still building after open, or disabled): look every key up.
   * Call inside a write transaction, so no commit interleaves.
   */
  locate(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): (KeyRanges | null)[] | null;
  /** `ready` once it covers every stored row. */
  readonly state: 'building' | 'ready' | 'disabled' | 'closed';
  /** Resolves when no build is running (tests). */
  settled(): Promise<void>;
}

export type TableName =
  | 'tenants'
  | 'api_keys'
  | 'admin_keys'
  | 'workflow_runs'
  | 'incidents'
  | 'metric_samples'
  | 'predictions'
  | 'rollup_runs'
  | 'rollup_durations_day'
  | 'rollup_metrics'
  | 'rollup_predictions'
  | 'rollup_runs_day'
  | 'rollup_metrics_day'
  | 'rollup_predictions_day'
  | 'rollup_prediction_scores_day'
  | 'rollup_durations_week'
  | 'rollup_prediction_scores_week'
  | 'prediction_waits'
  | 'tenant_services';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Storage extends Executor {
  readonly engine: 'duckdb' | 'postgres';
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  /** Applies pending numbered migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Streams a query's rows in chunks without materialising the whole result, for exports.
   * Breaking out of the loop cancels the query.
   */
  stream<T extends object = Row>(sql: string, params?: readonly SqlValue[], chunkRows?: number): AsyncIterable<T[]>;
  /**
   * Streams CSV records formatted by the database (`q.record` of every matching row, in
   * `q`'s order), each followed by CRLF, as UTF-8 bytes. All of it reads one consistent snapshot;
   * memory stays flat however many rows. Closing the iterator early cancels the query and releases
   * the connection; a database error surfaces from the iterator.
   */
  streamCsvRecords(q: CsvRecordQuery): AsyncIterable<Uint8Array>;
  /**
   * A read view limited to `tenantIds` (null = every tenant, the admin's scope). PostgreSQL
   * enforces it with row-level security (queries run as role atom_app with the scope set per
   * transaction); DuckDB checks every returned row's tenant_id in the one place reads pass.
   * Writes (`transaction`) are not scoped.
   */
  scoped(tenantIds: readonly string[] | null): Storage;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  /**
   * Background work started by opening the database and still running (DuckDB: `key_index`, the
   * in-memory key index being built; `rollup_compaction`, rollup deltas left by an earlier process
   * being merged). Answers are already correct meanwhile, only slower. Empty when settled.
   */
  startupWork(): string[];
  poolStats(): PoolStats;
  close(): Promise<void>;
}
