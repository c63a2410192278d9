import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOUBLE, DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { UnavailableError } from '../../domain/errors.ts';
import { durationBucketSql } from '../../reports/metrics/duration-sketch.ts';
import { applyMigrations, loadMigrations } from '../migrations.ts';
import { columnTypesOf, ROLLUP_TABLES } from '../schema.ts';
import type { CsvRecordQuery, Dialect, Row, SqlValue, Storage, TableName, Transaction } from '../types.ts';
import { streamDuckDbCsvRecords, type DuckDbCsvDeps } from './csv-records.ts';

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

async function runQuery<T>(conn: DuckDBConnection, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params.length ? params.map(toDuckValue) : undefined, paramTypes(params));
  return normaliseRows<T>(reader.getRowObjectsJS() as Record<string, unknown>[]);
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
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/lock/i.test(msg)) {
      throw new UnavailableError(
        'database_locked',
        `The database file ${opts.path} is in use by another process (DuckDB allows one writer). Stop the running server or route the work through its API.`,
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
  /** Rollup delta rows appended since the last compaction. */
  let pendingDeltaRows = 0;
  const COMPACT_AFTER_ROWS = 200_000;

  /** Merges rollup delta rows into one row per key, so rollup reads stay small. */
  async function compactRollups(): Promise<void> {
    await writer.run('BEGIN TRANSACTION');
    try {
      for (const [table, { keys, values }] of Object.entries(ROLLUP_TABLES)) {
        const sums = values.map((v) => `sum(${v}) AS ${v}`).join(', ');
        await writer.run(`CREATE TEMP TABLE atom_compact AS SELECT ${keys.join(', ')}, ${sums} FROM ${table} GROUP BY ${keys.join(', ')}`);
        await writer.run(`DELETE FROM ${table}`);
        await writer.run(`INSERT INTO ${table} SELECT * FROM atom_compact`);
        await writer.run('DROP TABLE atom_compact');
      }
      await writer.run('COMMIT');
      pendingDeltaRows = 0;
    } catch (err) {
      await writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  const readerLocks = readers.map(() => new Mutex());
  let closed = false;

  function withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const i = nextReader++ % readers.length;
    return readerLocks[i]!.run(() => fn(readers[i]!));
  }

  function makeTx(conn: DuckDBConnection): Transaction {
    const tx: Transaction = {
      dialect: duckdbDialect,
      query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => runQuery<T>(conn, sql, params),
      lockTenants: async () => undefined,
      async addToRollup(table, keyColumns, valueColumns, rows) {
        // Append delta rows through the appender; readers sum per key, compaction merges them.
        await tx.insertMany(table, [...keyColumns, ...valueColumns], rows);
        pendingDeltaRows += rows.length;
      },
      async insertMany(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]) {
        if (rows.length === 0) return;
        const types = columnTypesOf(table, columns);
        const full = await tableColumns(conn, table);
        // The appender writes whole rows in table order; map our column subset onto it.
        const positions = full.map((c) => columns.indexOf(c));
        const appender = await conn.createAppender(table);
        try {
          for (const row of rows) {
            for (const pos of positions) {
              const v = pos < 0 ? null : row[pos];
              if (v === null || v === undefined) appender.appendNull();
              else {
                const t = types[pos]!;
                if (t === 'bigint') appender.appendBigInt(BigInt(v as number));
                else if (t === 'double') appender.appendDouble(v as number);
                else appender.appendVarchar(String(v));
              }
            }
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
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
  const csvDeps: DuckDbCsvDeps = {
    tempDir: exportTempDir,
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
    capabilities: { singleProcess: true },
    query: (sql, params) => withReader((c) => runQuery(c, sql, params)),
    transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      return writeLock.run(async () => {
        await writer.run('BEGIN TRANSACTION');
        try {
          const result = await fn(makeTx(writer));
          await writer.run('COMMIT');
          // Still inside the write lock, after the caller's data is committed.
          if (pendingDeltaRows >= COMPACT_AFTER_ROWS) await compactRollups().catch(() => undefined);
          return result;
        } catch (err) {
          await writer.run('ROLLBACK').catch(() => undefined);
          columnCache.clear();
          throw err;
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
      );
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
    // Exports and streams open their own connections, busy until they end.
    poolStats: () => ({ total: readers.length + 1 + streamConnections, idle: readers.length + 1, waiting: 0 }),
    async close() {
      if (closed) return;
      closed = true;
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
  return storage;
}
