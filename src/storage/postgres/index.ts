import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UnavailableError } from '../../domain/errors.ts';
import { applyMigrations, loadMigrations } from '../migrations.ts';
import { columnTypesOf, type ColumnType } from '../schema.ts';
import type { Dialect, Row, SqlValue, Storage, TableName, Transaction } from '../types.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** Per-statement timeout, so a runaway report cannot hold a connection forever. */
  statementTimeoutMs?: number;
}

export const postgresDialect: Dialect = {
  inArray: (expr, param) => `${expr} = ANY(${param})`,
  percentileCont: (expr, fraction) => `percentile_cont(${fraction}) WITHIN GROUP (ORDER BY ${expr})`,
  double: (expr) => `CAST(${expr} AS DOUBLE PRECISION)`,
  floorDiv: (expr, divisor) => `CAST(floor(${expr}::numeric / ${divisor}) AS BIGINT)`,
  binaryText: (expr) => `${expr} COLLATE "C"`,
  argMax: (expr, orderBy) => `(array_agg(${expr} ORDER BY ${orderBy} DESC))[1]`,
};

const PG_ARRAY_TYPE: Record<ColumnType, string> = { text: 'text[]', bigint: 'bigint[]', double: 'float8[]' };

/** int8 and numeric as JS numbers (counts and sums fit in doubles; money is integer micros). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** Connection-level failures become UnavailableError (503); everything else propagates. */
export function mapPgError(err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (e && (UNAVAILABLE_CODES.has(e.code ?? '') || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(e.message ?? ''))) {
    return new UnavailableError();
  }
  return err;
}

async function run<T>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  try {
    const res = await client.query(sql, params as unknown[]);
    return res.rows as T[];
  } catch (err) {
    throw mapPgError(err);
  }
}

/** Storage on PostgreSQL: a connection pool, transactions on one checked-out client. */
export async function createPostgresStorage(opts: PostgresOptions): Promise<Storage> {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize,
    types,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 120_000,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
  }

  function makeTx(client: pg.PoolClient): Transaction {
    return {
      dialect: postgresDialect,
      query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => run<T>(client, sql, params),
      async lockTenants(tenantIds) {
        // Sorted, so two batches naming the same tenants take the locks in the same order.
        for (const id of [...new Set(tenantIds)].sort()) {
          await run(client, "SELECT pg_advisory_xact_lock(hashtext('atom:tenant:' || $1))", [id]);
        }
      },
      async insertMany(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]) {
        if (rows.length === 0) return;
        const colTypes = columnTypesOf(table, columns);
        const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
        const selects = colTypes.map((t, i) => `$${i + 1}::${PG_ARRAY_TYPE[t]}`).join(', ');
        await run(client, `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${selects})`, arrays as SqlValue[]);
      },
    };
  }

  const storage: Storage = {
    engine: 'postgres',
    dialect: postgresDialect,
    capabilities: { singleProcess: false },
    query: (sql, params) => run(pool, sql, params),
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const client = await connect();
      let broken = false;
      try {
        await run(client, 'BEGIN');
        const result = await fn(makeTx(client));
        await run(client, 'COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw mapPgError(err);
      } finally {
        client.release(broken);
      }
    },
    async *stream<T extends object = Row>(sql: string, params: readonly SqlValue[] = [], chunkRows = 2000) {
      // A server-side cursor keeps memory flat; closing the generator early rolls back and frees it.
      const client = await connect();
      let broken = false;
      try {
        await run(client, 'BEGIN READ ONLY');
        await run(client, `DECLARE atom_export NO SCROLL CURSOR FOR ${sql}`, params);
        for (;;) {
          const rows = await run<T>(client, `FETCH ${chunkRows} FROM atom_export`);
          if (rows.length === 0) break;
          yield rows;
          if (rows.length < chunkRows) break;
        }
        await run(client, 'COMMIT');
      } catch (err) {
        broken = true;
        throw err;
      } finally {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        client.release(broken);
      }
    },
    async migrate() {
      const migrations = await loadMigrations(MIGRATIONS_DIR);
      // Several API nodes may start together: one applies, the others wait on the lock.
      return applyMigrations(storage, migrations, 'SELECT pg_advisory_xact_lock(4242001)');
    },
    async ping() {
      await run(pool, 'SELECT 1');
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await pool.end();
    },
  };
  return storage;
}
