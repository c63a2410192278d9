import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOUBLE, DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { UnavailableError } from '../../domain/errors.ts';
import { durationBucketSql } from '../../reports/metrics/duration-sketch.ts';
import { applyMigrations, loadMigrations } from '../migrations.ts';
import { columnTypesOf } from '../schema.ts';
import type { Dialect, Row, SqlValue, Storage, TableName, Transaction } from '../types.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface DuckDbOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  memoryLimit: string;
  threads: number;
  /** Number of read connections besides the single writer. */
  readers?: number;
}

export const duckdbDialect: Dialect = {
  inArray: (expr, param) => `list_contains(${param}, ${expr})`,
  percentileCont: (expr, fraction) => `quantile_cont(${expr}, ${fraction})`,
  double: (expr) => `CAST(${expr} AS DOUBLE)`,
  // Timestamps are never negative (validated), so integer division is floor division.
  floorDiv: (expr, divisor) => `(CAST(${expr} AS BIGINT) // ${divisor})`,
  binaryText: (expr) => expr,
  isoFromEpochMs: (expr) => `strftime(epoch_ms(${expr}), '%Y-%m-%dT%H:%M:%S.%gZ')`,
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

/** A SQL literal for a value of a known column type (numbers are finite; text is quoted). */
function sqlLiteral(v: SqlValue, type: 'text' | 'bigint' | 'double'): string {
  if (v === null || v === undefined) return 'NULL';
  if (type === 'text') return `'${String(v).replace(/'/g, "''")}'`;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error('non-finite number in a rollup row');
  return type === 'bigint' ? String(BigInt(Math.trunc(n))) : `CAST(${String(n)} AS DOUBLE)`;
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
  const writer = await instance.connect();
  const readers: DuckDBConnection[] = [];
  for (let i = 0; i < (opts.readers ?? 2); i++) readers.push(await instance.connect());
  let nextReader = 0;
  const writeLock = new Mutex();
  const readerLocks = readers.map(() => new Mutex());
  let closed = false;

  function withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const i = nextReader++ % readers.length;
    return readerLocks[i]!.run(() => fn(readers[i]!));
  }

  function makeTx(conn: DuckDBConnection): Transaction {
    return {
      dialect: duckdbDialect,
      query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => runQuery<T>(conn, sql, params),
      lockTenants: async () => undefined,
      async addToRollup(table, keyColumns, valueColumns, rows) {
        if (rows.length === 0) return;
        const columns = [...keyColumns, ...valueColumns];
        const types = columnTypesOf(table, columns);
        // Literal VALUES: rollup rows are few per batch, and DuckDB plans them faster than lists.
        const values = rows.map((r) => `(${r.map((v, i) => sqlLiteral(v, types[i]!)).join(', ')})`).join(', ');
        const updates = valueColumns.length
          ? `DO UPDATE SET ${valueColumns.map((c) => `${c} = ${c} + EXCLUDED.${c}`).join(', ')}`
          : 'DO NOTHING';
        await conn.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ON CONFLICT (${keyColumns.join(', ')}) ${updates}`);
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
      }
    },
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
      };
      return view;
    },
    async ping() {
      if (closed) throw new UnavailableError();
      await storage.query('SELECT 1');
    },
    poolStats: () => ({ total: readers.length + 1, idle: readers.length + 1, waiting: 0 }),
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
    },
  };
  return storage;
}
