import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOUBLE, DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { UnavailableError } from '../../domain/errors.ts';
import { durationBucketSql } from '../../reports/metrics/duration-sketch.ts';
import { applyMigrations, loadMigrations } from '../migrations.ts';
import { columnTypesOf, ROLLUP_TABLES } from '../schema.ts';
import { sizeBytes } from '../../config.ts';
import type { CsvRecordQuery, Dialect, Row, SqlValue, Storage, TableName, Transaction } from '../types.ts';
import { SET_RUN_OUTCOME } from '../../ingest/prediction-outcomes.ts';
import { streamDuckDbCsvRecords, type DuckDbCsvDeps } from './csv-records.ts';
import { isRecordTable, RecordKeyIndex, type PendingKey } from './key-index.ts';
import { newWaitingRunChanges, WaitingRuns, writesWaits, type WaitingRunChanges } from './waiting-runs.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface DuckDbOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  memoryLimit: string;
  threads: number;
  /** Number of read connections besides the single writer. */
  readers?: number;
  /** Rows per sorted slice of a CSV export (csv-records.ts); tests make it small. */
  exportSliceRows?: number;
  /**
   * Delay after open before the one background check for uncompacted rollup deltas left by an
   * earlier process (e.g. a bulk load); negative disables it. Default 3 s.
   */
  startupCompactDelayMs?: number;
  /** Delta rows beyond one per key (and beyond 1% of the keys) from which that check compacts a table. Default 1,000. */
  startupCompactMinDeltas?: number;
  /**
   * Ingest compacts a rollup table once its delta rows reach a quarter of its compacted size and
   * at least this many. Default 100,000.
   */
  compactMinRows?: number;
  /**
   * DuckDB's memory limit while CSV exports run (restored when the last one ends), when lower
   * than `memoryLimit`: bounds how much of the scanned table DuckDB caches. Unset: unchanged.
   */
  exportMemoryLimit?: string;
  /** DuckDB's `allocator_flush_threshold` (unset: DuckDB's default, 128 MiB). */
  allocatorFlushThreshold?: string;
  /** DuckDB's `allocator_bulk_deallocation_flush_threshold` (unset: DuckDB's default, 512 MiB). */
  allocatorBulkFlushThreshold?: string;
  /**
   * Build the in-memory index of record keys after open (default true). Off for a process that
   * does not ingest (a CLI report or export): it would cost memory (≈ 6 bytes a stored key) and
   * a scan of every record table for nothing; ingest stays correct without it, looking keys up.
   */
  recordKeyIndex?: boolean;
}

export const duckdbDialect: Dialect = {
  // A hash semi-join: list_contains would compare every row with every list item.
  inArray: (expr, param) => `${expr} IN (SELECT unnest(${param}))`,
  percentileCont: (expr, fraction) => `quantile_cont(${expr}, ${fraction})`,
  double: (expr) => `CAST(${expr} AS DOUBLE)`,
  // Timestamps are never negative (validated), so integer division is floor division.
  floorDiv: (expr, divisor) => `(CAST(${expr} AS BIGINT) // ${divisor})`,
  binaryText: (expr) => expr,
  isoFromEpochMs: (expr) => `strftime(epoch_ms(${expr}), '%Y-%m-%dT%H:%M:%S.%gZ')`,
  // DuckDB's own text already has ECMAScript's digits (checked on 200k random doubles).
  doubleText: (expr) => `CAST(${expr} AS VARCHAR)`,
  // Below 1: at most 24 decimals are needed (1e-6 with 17 digits), trailing zeros trimmed; from 1e16
  // on, DuckDB's exponent notation only holds integers.
  decimalText: (text, expr) =>
    `CASE WHEN abs(${expr}) < 1 THEN rtrim(CAST(CAST(${text} AS DECIMAL(38, 30)) AS VARCHAR), '0') ELSE CAST(CAST(${text} AS DECIMAL(38, 0)) AS VARCHAR) END`,
  durationBucket: (expr) =>
    durationBucketSql(`CAST(${expr} AS BIGINT)`, (e) => `(CAST(1 AS BIGINT) << CAST(${e} AS INTEGER))`, (e) => `log2(${e})`),
  argMax: (expr, orderBy) => `arg_max(${expr}, ${orderBy})`,
};

/** Simple FIFO mutex: DuckDB allows one write transaction per connection at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function toDuckValue(v: SqlValue): DuckDBValue {
  if (Array.isArray(v)) return listValue(v as DuckDBValue[]);
  return v as DuckDBValue;
}

/** Converts DuckDB JS values to plain JSON-friendly values: BIGINT/HUGEINT → number. */
function normaliseValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function normaliseRows<T>(rows: Record<string, unknown>[]): T[] {
  for (const row of rows) {
    for (const k of Object.keys(row)) {
      const v = row[k];
      if (typeof v === 'bigint') row[k] = normaliseValue(v);
    }
  }
  return rows as T[];
}

/**
 * Explicit types for list parameters: DuckDB would infer a list's type from its first item
 * (an INTEGER list rejects epoch milliseconds). Scalars keep inferred types (undefined slots).
 */
function paramTypes(params: readonly SqlValue[]): DuckDBType[] | undefined {
  if (!params.some((p) => Array.isArray(p))) return undefined;
  return params.map((p) =>
    Array.isArray(p) ? (p.length > 0 && typeof p[0] === 'number' ? LIST(DOUBLE) : LIST(VARCHAR)) : undefined,
  ) as DuckDBType[];
}

/** Statements that can add rows or change keys; anything else (reads, DELETE, SET, …) cannot. */
const WRITE_STATEMENT = /^(?:insert|update|copy|merge|alter|drop|create|replace|import|attach|upsert)\b/i;
const WRITE_TARGET =
  /^(?:insert\s+(?:or\s+\w+\s+)?into|update|copy|merge\s+into|alter\s+table|drop\s+table(?:\s+if\s+exists)?|create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?table(?:\s+if\s+not\s+exists)?)\s+"?(?:main\.)?"?(\w+)/i;
const NON_TABLE_CREATE = /^create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?(?:view|(?:unique\s+)?index|sequence|macro|function|type|schema)\b/i;
const LEADING_NOISE = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;

/** A statement from its first keyword on (blanks, comments and opening parentheses skipped). */
function statementText(sql: string): string {
  return sql.replace(LEADING_NOISE, '');
}

/**
 * Whether a statement (its statementText) may add rows to a record table (or change their keys)
 * behind the key index: a write statement (not a DELETE: a deleted row only leaves a stale entry,
 * which is harmless) whose target is a record table or cannot be told.
 */
function writesRecordTable(text: string): boolean {
  if (!WRITE_STATEMENT.test(text) || NON_TABLE_CREATE.test(text)) return false;
  // Ingest's one update of a derived column: no key changes (a second assignment would come before FROM).
  if (text.startsWith(`${SET_RUN_OUTCOME} (`)) return false;
  const m = WRITE_TARGET.exec(text);
  return m ? isRecordTable(m[1]!.toLowerCase()) : true;
}

type RowBuilder = (columns: unknown[][], rows: number) => Record<string, unknown>[];
/** Row builders per column list (a bounded set: the statements are ours). */
const rowBuilders = new Map<string, RowBuilder>();

/**
 * Builds row objects from the result's columns with one object literal whose keys are the column
 * names, so every row gets the same shape: about twice as fast as the client's getRowObjectsJS
 * (84k rows of the all-tenant predictions: ≈ 100 instead of ≈ 200 ms). Null for names an object
 * literal cannot hold as plain keys (`__proto__`).
 */
function rowBuilder(names: readonly string[]): RowBuilder | null {
  if (names.includes('__proto__')) return null;
  const key = JSON.stringify(names);
  let build = rowBuilders.get(key);
  if (!build) {
    const fields = names.map((name, j) => `${JSON.stringify(name)}: c[${j}][i]`).join(', ');
    build = new Function('c', 'n', `const out = new Array(n); for (let i = 0; i < n; i++) out[i] = {${fields}}; return out;`) as RowBuilder;
    if (rowBuilders.size < 2000) rowBuilders.set(key, build);
  }
  return build;
}

/** Prepared statements kept per connection (most recently used last), and for how long. */
const PREPARED_PER_CONNECTION = 64;
const PREPARED_MAX_AGE_MS = 60_000;
const preparedStatements = new WeakMap<DuckDBConnection, Map<string, { statement: DuckDBPreparedStatement; preparedAt: number }>>();

/**
 * A parameterised statement, prepared once per connection and SQL text. DuckDB (1.5) binds and
 * plans a statement with parameters again at every run, with the values (1–4 ms of a report
 * statement at 10M runs); kept, it skips the parsing and the first bind: 1–2 ms less per
 * statement of the tenant report (7–11 instead of 8–14 ms). Statements without parameters are
 * never kept: DuckDB would keep their plan, built against the table statistics of the moment,
 * and a filter the statistics ruled out would stay empty after new rows arrive (test/integration/
 * duckdb-prepared.test.ts). A statement is prepared again after PREPARED_MAX_AGE_MS. Null when
 * the text cannot be prepared as one statement (several statements): the caller runs it the
 * ordinary way.
 */
async function preparedStatement(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement | null> {
  let cache = preparedStatements.get(conn);
  if (!cache) preparedStatements.set(conn, (cache = new Map()));
  const now = Date.now();
  const hit = cache.get(sql);
  cache.delete(sql);
  if (hit && now - hit.preparedAt < PREPARED_MAX_AGE_MS) {
    cache.set(sql, hit);
    return hit.statement;
  }
  hit?.statement.destroySync();
  let statement: DuckDBPreparedStatement;
  try {
    statement = await conn.prepare(sql);
  } catch {
    return null;
  }
  cache.set(sql, { statement, preparedAt: now });
  if (cache.size > PREPARED_PER_CONNECTION) {
    const [oldest, entry] = cache.entries().next().value!;
    cache.delete(oldest);
    entry.statement.destroySync();
  }
  return statement;
}

async function runQuery<T>(conn: DuckDBConnection, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  const values = params.length ? params.map(toDuckValue) : undefined;
  const statement = values ? await preparedStatement(conn, sql) : null;
  if (statement) statement.bind(values!, paramTypes(params));
  const reader = statement ? await statement.runAndReadAll() : await conn.runAndReadAll(sql, values, paramTypes(params));
  const build = rowBuilder(reader.columnNames());
  const rows = build ? build(reader.getColumnsJS() as unknown[][], reader.currentRowCount) : (reader.getRowObjectsJS() as Record<string, unknown>[]);
  return normaliseRows<T>(rows);
}

/**
 * Embedded storage on one DuckDB file. One writer connection (serialised by a mutex) and a few
 * reader connections; DuckDB's MVCC lets readers see the last committed state.
 */
export async function createDuckDbStorage(opts: DuckDbOptions): Promise<Storage> {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(opts.path, {
      memory_limit: opts.memoryLimit,
      threads: String(opts.threads),
      // How soon memory DuckDB freed goes back to the system (its allocator keeps it otherwise):
      // config.ts, DUCKDB_ALLOCATOR_*.
      ...(opts.allocatorFlushThreshold ? { allocator_flush_threshold: opts.allocatorFlushThreshold } : {}),
      ...(opts.allocatorBulkFlushThreshold ? { allocator_bulk_deallocation_flush_threshold: opts.allocatorBulkFlushThreshold } : {}),
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/lock/i.test(msg)) {
      // DuckDB's message names the process holding the lock (its PID): keep it.
      const holder = /PID \d+/i.exec(msg)?.[0];
      throw new UnavailableError(
        'database_locked',
        `The database file ${opts.path} is in use by another process${holder ? ` (${holder})` : ''} (DuckDB allows one writer). Stop the running server or route the work through its API.`,
      );
    }
    throw err;
  }
  // Slice files of CSV exports. Next to the database file, which this process alone has open (the
  // lock above), so whatever is left there was left by a process that died mid-export.
  const exportTempDir = opts.path === ':memory:' ? join(tmpdir(), `atom-export-${randomUUID()}`) : `${opts.path}.exports`;
  rmSync(exportTempDir, { recursive: true, force: true });
  const writer = await instance.connect();
  const readers: DuckDBConnection[] = [];
  for (let i = 0; i < (opts.readers ?? 2); i++) readers.push(await instance.connect());
  let nextReader = 0;
  const writeLock = new Mutex();
  /** Record keys committed so far: lets ingest skip lookups of keys that cannot exist. */
  const keyIndex = new RecordKeyIndex({
    connect: () => instance.connect(),
    release: (c) => c.closeSync(),
  });
  /** Changes to prediction_waits of the write transaction in progress (one at a time: the write lock). */
  let waitChanges: WaitingRunChanges | null = null;
  const waitingRuns = new WaitingRuns(() => waitChanges);
  /** Appender column positions per (table, column list). */
  const positionCache = new Map<string, { positions: number[]; types: ReturnType<typeof columnTypesOf> }>();
  /** Rollup delta rows appended per table since its last compaction. */
  const pendingDeltas = new Map<string, number>();
  /** Rows per table after its last compaction (or as counted at start): sets its threshold. */
  const compactedRows = new Map<string, number>();
  /**
   * A table is compacted once its delta rows reach a quarter of its compacted size, and at least
   * COMPACT_MIN_ROWS: a compaction rewrites the whole table (≈ 0.7 s per million rows), so a
   * fixed threshold would make large tables cost more and more per ingested record.
   */
  const COMPACT_MIN_ROWS = opts.compactMinRows ?? 100_000;
  const compactThreshold = (table: string) => Math.max(COMPACT_MIN_ROWS, (compactedRows.get(table) ?? 0) / 4);
  const dueForCompaction = () => [...pendingDeltas].filter(([t, n]) => n >= compactThreshold(t)).map(([t]) => t);

  /**
   * Merges rollup delta rows into one row per key, so rollup reads stay small: the given tables,
   * or all of them.
   */
  async function compactRollups(tables?: readonly string[]): Promise<void> {
    await writer.run('BEGIN TRANSACTION');
    const sizes = new Map<string, number>();
    try {
      for (const [table, { keys, values }] of Object.entries(ROLLUP_TABLES)) {
        if (tables && !tables.includes(table)) continue;
        const sums = values.map((v) => `sum(${v}) AS ${v}`).join(', ');
        await writer.run(`CREATE TEMP TABLE atom_compact AS SELECT ${keys.join(', ')}, ${sums} FROM ${table} GROUP BY ${keys.join(', ')}`);
        await writer.run(`DELETE FROM ${table}`);
        // In key order (tenant first): a tenant's rows are then contiguous and reports reading one
        // tenant skip the rest through zone maps (4x less scanning at 1M runs).
        const columns = [...keys, ...values].join(', ');
        await writer.run(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM atom_compact ORDER BY ${keys.join(', ')}`);
        const [row] = await runQuery<{ n: number }>(writer, 'SELECT count(*) AS n FROM atom_compact');
        sizes.set(table, Number(row?.n ?? 0));
        await writer.run('DROP TABLE atom_compact');
      }
      await writer.run('COMMIT');
      for (const [table, n] of sizes) {
        compactedRows.set(table, n);
        pendingDeltas.delete(table);
      }
    } catch (err) {
      await writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Once, shortly after open: a previous process may have left delta rows below its threshold
   * in every table (a bulk load ends below the threshold), which every rollup read would sum again.
   * Counting rows against distinct keys runs on a connection of its own, outside the write lock;
   * each table that needs it is then compacted in its own short transaction under the write lock,
   * so ingest waits for at most one table's rewrite at a time. Readers sum per key, so every
   * intermediate state reads the same.
   */
  let startupCompactTimer: ReturnType<typeof setTimeout> | null = null;
  let startupCompactDone = false;
  /** From open until the start-up compaction has finished (or failed); reported by startupWork(). */
  const startupCompactDelayMs = opts.startupCompactDelayMs ?? 3_000;
  let startupCompactPending = startupCompactDelayMs >= 0;
  let startupCompactRun: Promise<void> = Promise.resolve();
  /** Delta rows beyond one per key from which a table is compacted at start. */
  const STARTUP_COMPACT_MIN_DELTAS = opts.startupCompactMinDeltas ?? 1_000;
  function scheduleStartupCompaction(): void {
    const delay = startupCompactDelayMs;
    if (delay < 0 || startupCompactDone || closed) return;
    if (startupCompactTimer) clearTimeout(startupCompactTimer);
    startupCompactTimer = setTimeout(() => {
      startupCompactTimer = null;
      // After any run still in progress (migrate() reschedules while the first may be compacting):
      // runs go one after another, so the flag clears only once a run has finished the work
      // (a second run finding it done returned at once and cleared it while the first compacted).
      startupCompactRun = startupCompactRun
        .then(() => compactPendingAtStart())
        .catch(() => undefined)
        // Not done when the tables were missing (before migrations): migrate() schedules it again.
        .finally(() => void (startupCompactPending = !startupCompactDone && !closed));
    }, delay);
    startupCompactTimer.unref?.();
  }
  async function compactPendingAtStart(): Promise<void> {
    if (startupCompactDone || closed) return;
    const conn = await instance.connect();
    let pending: string[];
    try {
      const checks = Object.entries(ROLLUP_TABLES).map(
        ([table, { keys }]) =>
          `SELECT '${table}' AS name, (SELECT count(*) FROM ${table}) AS n, (SELECT count(*) FROM (SELECT 1 FROM ${table} GROUP BY ${keys.join(', ')})) AS k`,
      );
      const rows = await runQuery<{ name: string; n: number; k: number }>(conn, checks.join('\nUNION ALL\n'));
      pending = rows.filter((r) => Number(r.n) - Number(r.k) >= Math.max(STARTUP_COMPACT_MIN_DELTAS, Number(r.k) / 100)).map((r) => r.name);
      // The others keep their deltas for now: they count toward the ingest-time threshold.
      for (const r of rows) {
        if (!compactedRows.has(r.name)) compactedRows.set(r.name, Number(r.k));
        pendingDeltas.set(r.name, Math.max(pendingDeltas.get(r.name) ?? 0, Number(r.n) - Number(r.k)));
      }
    } finally {
      conn.closeSync();
    }
    startupCompactDone = true;
    for (const table of pending) {
      if (closed) return;
      await writeLock.run(() => (closed ? Promise.resolve() : compactRollups([table])));
    }
  }
  const readerLocks = readers.map(() => new Mutex());
  let closed = false;

  /** Statements queued or running per reader connection. */
  const readerLoad = readers.map(() => 0);
  function withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    // The least busy reader (round robin among equals): a short statement should not queue behind
    // a long one while another connection is idle.
    let i = nextReader++ % readers.length;
    for (let k = 0; k < readers.length; k++) if (readerLoad[k]! < readerLoad[i]!) i = k;
    readerLoad[i]!++;
    return readerLocks[i]!.run(() => fn(readers[i]!)).finally(() => {
      readerLoad[i]!--;
    });
  }

  /**
   * The writer's transaction. Rows given to insertMany stay in an appender per table (and column
   * list) until the next statement or the commit, so the tenants of one batch (insertMany once per
   * tenant) and the rollup deltas reach DuckDB in one flush per table: a flush costs ≈ 0.7 ms
   * whatever its size, and a batch of 1,000 runs over 20 tenants spent 14 of 32 ms in them.
   */
  function makeTx(conn: DuckDBConnection, pendingKeys: PendingKey[]): Transaction & { flushAppenders(): void; closeAppenders(): void } {
    const appenders = new Map<string, { appender: DuckDBAppender; positions: number[]; types: readonly string[] }>();
    const tx = {
      dialect: duckdbDialect,
      query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => {
        // What was appended must be visible to the statement.
        tx.flushAppenders();
        const text = statementText(sql);
        if (writesRecordTable(text)) keyIndex.invalidate();
        if (waitChanges && writesWaits(text)) waitChanges.unknownWrite = true;
        return runQuery<T>(conn, sql, params);
      },
      lockTenants: async () => undefined,
      async addToRollup(table: TableName, keyColumns: readonly string[], valueColumns: readonly string[], rows: readonly (readonly SqlValue[])[]) {
        // Append delta rows through the appender; readers sum per key, compaction merges them.
        await tx.insertMany(table, [...keyColumns, ...valueColumns], rows);
        pendingDeltas.set(table, (pendingDeltas.get(table) ?? 0) + rows.length);
      },
      async insertMany(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]) {
        if (rows.length === 0) return;
        const cacheKey = `${table}\u0000${columns.join(',')}`;
        let open = appenders.get(cacheKey);
        if (!open) {
          let layout = positionCache.get(cacheKey);
          if (!layout) {
            const full = await tableColumns(conn, table);
            // The appender writes whole rows in table order; map our column subset onto it.
            layout = { positions: full.map((c) => columns.indexOf(c)), types: columnTypesOf(table, columns) };
            positionCache.set(cacheKey, layout);
          }
          open = { appender: await conn.createAppender(table), ...layout };
          appenders.set(cacheKey, open);
        }
        const { appender, positions, types } = open;
        // Before appending: the keys join the index only if this transaction commits.
        if (isRecordTable(table)) keyIndex.pendingKeys(table, columns, rows, pendingKeys);
        if (table === 'prediction_waits' && waitChanges) waitingRuns.appended(waitChanges, columns, rows);
        for (const row of rows) {
          for (let p = 0; p < positions.length; p++) {
            const pos = positions[p]!;
            const v = pos < 0 ? null : row[pos];
            if (v === null || v === undefined) appender.appendNull();
            else {
              const t = types[pos]!;
              if (t === 'bigint') {
                // A safe integer converts to BIGINT exactly: no BigInt allocation per value.
                if (typeof v === 'number' && Number.isSafeInteger(v)) appender.appendDouble(v);
                else appender.appendBigInt(BigInt(v as number));
              } else if (t === 'hugeint') appender.appendHugeInt(typeof v === 'bigint' ? v : BigInt(v as number));
              else if (t === 'double') appender.appendDouble(v as number);
              else appender.appendVarchar(typeof v === 'string' ? v : String(v));
            }
          }
          appender.endRow();
        }
      },
      /**
       * Closes the open appenders, which flushes them (DuckDB's close flushes first): all of them,
       * even when one fails; the first error is thrown.
       */
      flushAppenders(): void {
        if (appenders.size === 0) return;
        const open = [...appenders.values()];
        appenders.clear();
        let failure: { error: unknown } | undefined;
        for (const { appender } of open) {
          try {
            appender.closeSync();
          } catch (error) {
            failure ??= { error };
          }
        }
        if (failure) throw failure.error;
      },
      /** After a failure: the appenders are closed, what they held is rolled back with the transaction. */
      closeAppenders(): void {
        try {
          tx.flushAppenders();
        } catch {
          // The transaction is being rolled back.
        }
      },
    };
    return tx;
  }

  const columnCache = new Map<string, string[]>();
  async function tableColumns(conn: DuckDBConnection, table: string): Promise<string[]> {
    let cols = columnCache.get(table);
    if (!cols) {
      const rows = await runQuery<{ name: string }>(conn, `SELECT name FROM pragma_table_info('${table}') ORDER BY cid`);
      cols = rows.map((r) => r.name);
      columnCache.set(table, cols);
    }
    return cols;
  }

  /** Connections opened by stream() and streamCsvRecords() that are still open. */
  let streamConnections = 0;
  // While exports run, DuckDB's memory limit is `exportMemoryLimit` (when lower): an export scans
  // a whole tenant, and DuckDB would otherwise keep every block it read cached up to the normal
  // limit. Each start and end reconciles the setting with the number of running exports, one at
  // a time; a failure (DuckDB could not evict enough) leaves the limit as it was.
  const lowerLimit =
    opts.exportMemoryLimit && sizeBytes(opts.exportMemoryLimit) < sizeBytes(opts.memoryLimit) ? opts.exportMemoryLimit : undefined;
  let runningExports = 0;
  let appliedLimit = opts.memoryLimit;
  let limitChain: Promise<void> = Promise.resolve();
  const reconcileLimit = (conn: DuckDBConnection): Promise<void> => {
    limitChain = limitChain.then(async () => {
      const wanted = runningExports > 0 && lowerLimit ? lowerLimit : opts.memoryLimit;
      if (wanted === appliedLimit || closed) return;
      await conn.run(`SET GLOBAL memory_limit = '${wanted.replace(/'/g, "''")}'`).then(
        () => void (appliedLimit = wanted),
        () => undefined,
      );
    });
    return limitChain;
  };
  const csvDeps: DuckDbCsvDeps = {
    tempDir: exportTempDir,
    async exportStarted(conn) {
      runningExports++;
      if (lowerLimit) await reconcileLimit(conn);
    },
    async exportEnded(conn) {
      runningExports--;
      if (lowerLimit) await reconcileLimit(conn);
    },
    // Its own connection, like stream(): a long export never holds up report readers.
    async connect() {
      const conn = await instance.connect();
      streamConnections++;
      return conn;
    },
    release(conn) {
      conn.closeSync();
      streamConnections--;
    },
    query: (conn, sql, params) => runQuery(conn, sql, params),
    async execute(conn, sql, params = []) {
      await conn.run(sql, params.length ? params.map(toDuckValue) : undefined, paramTypes(params));
    },
  };

  const storage: Storage = {
    engine: 'duckdb',
    dialect: duckdbDialect,
    capabilities: { singleProcess: true, recordKeys: keyIndex, waitingRuns },
    query: async (sql, params) => {
      // A reader connection can write too (autocommit): the indexes must not miss that.
      const text = statementText(sql);
      if (writesWaits(text)) waitingRuns.forget();
      if (!writesRecordTable(text)) return withReader((c) => runQuery(c, sql, params));
      keyIndex.hold();
      keyIndex.invalidate();
      try {
        return await withReader((c) => runQuery(c, sql, params));
      } finally {
        keyIndex.release();
      }
    },
    transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      return writeLock.run(async () => {
        const pendingKeys: PendingKey[] = [];
        keyIndex.hold();
        try {
          await writer.run('BEGIN TRANSACTION');
          const changes = (waitChanges = newWaitingRunChanges());
          try {
            const tx = makeTx(writer, pendingKeys);
            let result: Awaited<T>;
            try {
              result = await fn(tx);
              tx.flushAppenders();
            } finally {
              tx.closeAppenders();
            }
            await writer.run('COMMIT');
            waitChanges = null;
            // Only committed keys and waits enter the indexes; still inside the write lock.
            keyIndex.committed(pendingKeys);
            waitingRuns.committed(changes);
            // Still inside the write lock, after the caller's data is committed.
            const due = dueForCompaction();
            if (due.length) await compactRollups(due).catch(() => undefined);
            return result;
          } catch (err) {
            waitChanges = null;
            await writer.run('ROLLBACK').catch(() => undefined);
            columnCache.clear();
            positionCache.clear();
            throw err;
          }
        } finally {
          keyIndex.release();
        }
      });
    },
    async *stream<T extends object = Row>(sql: string, params: readonly SqlValue[] = [], chunkRows = 2048) {
      // A dedicated connection, so a long export never blocks report readers.
      const conn = await instance.connect();
      streamConnections++;
      try {
        const result = await conn.stream(sql, params.length ? params.map(toDuckValue) : undefined, paramTypes(params));
        let buffer: T[] = [];
        for await (const rows of result.yieldRowObjectJs()) {
          buffer.push(...normaliseRows<T>(rows as Record<string, unknown>[]));
          if (buffer.length >= chunkRows) {
            yield buffer;
            buffer = [];
          }
        }
        if (buffer.length) yield buffer;
      } finally {
        conn.closeSync();
        streamConnections--;
      }
    },
    streamCsvRecords: (q) => streamDuckDbCsvRecords(csvDeps, q, opts.exportSliceRows),
    async migrate() {
      const migrations = await loadMigrations(MIGRATIONS_DIR);
      return applyMigrations(
        {
          query: (sql, params) => writeLock.run(() => runQuery(writer, sql, params)),
          transaction: (fn) => storage.transaction(fn),
        },
        migrations,
      ).finally(() => {
        // Restart the delay: the check needs the migrated tables (it is skipped if they are missing).
        scheduleStartupCompaction();
      });
    },
    scoped(tenantIds) {
      if (tenantIds === null) return storage;
      const allowed = new Set(tenantIds);
      // DuckDB has no row-level security: the guard checks every row that carries a tenant_id.
      const guard = <T extends object>(rows: T[]): T[] => {
        for (const row of rows) {
          const t = (row as Record<string, unknown>).tenant_id;
          if (t !== undefined && t !== null && !allowed.has(String(t))) {
            throw new Error('tenant guard: a query returned a row of a tenant outside the caller\'s scope');
          }
        }
        return rows;
      };
      const view: Storage = {
        ...storage,
        query: async <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => guard(await storage.query<T>(sql, params)),
        async *stream<T extends object = Row>(sql: string, params?: readonly SqlValue[], chunkRows?: number) {
          for await (const chunk of storage.stream<T>(sql, params, chunkRows)) yield guard(chunk);
        },
        // Records carry no row objects to check, so the scope is enforced in the query itself.
        streamCsvRecords: (q: CsvRecordQuery) =>
          storage.streamCsvRecords({
            ...q,
            where: `(${q.where}) AND ${duckdbDialect.inArray('tenant_id', `$${q.params.length + 1}`)}`,
            params: [...q.params, [...allowed]],
          }),
      };
      return view;
    },
    async ping() {
      if (closed) throw new UnavailableError();
      await storage.query('SELECT 1');
    },
    startupWork() {
      const work: string[] = [];
      if (keyIndex.state === 'building') work.push('key_index');
      if (startupCompactPending && !closed) work.push('rollup_compaction');
      return work;
    },
    // Exports and streams open their own connections, busy until they end.
    poolStats: () => ({ total: readers.length + 1 + streamConnections, idle: readers.length + 1, waiting: 0 }),
    async close() {
      if (closed) return;
      closed = true;
      if (startupCompactTimer) clearTimeout(startupCompactTimer);
      await startupCompactRun;
      await keyIndex.close();
      await writeLock.run(async () => {
        // Checkpoint so the next start does not replay a large WAL.
        await writer.run('CHECKPOINT').catch(() => undefined);
      });
      for (const r of readers) r.closeSync();
      writer.closeSync();
      instance.closeSync();
      rmSync(exportTempDir, { recursive: true, force: true });
    },
  };
  scheduleStartupCompaction();
  // In the background (its own connection): start-up stays fast, and ingest looks every key up
  // until it is ready.
  if (opts.recordKeyIndex ?? true) keyIndex.start();
  else keyIndex.disable();
  return storage;
}
