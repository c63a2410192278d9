import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UnavailableError } from '../../domain/errors.ts';
import { durationBucketSql } from '../../reports/metrics/duration-sketch.ts';
import { applyMigrations, loadMigrations } from '../migrations.ts';
import { columnTypesOf, type ColumnType } from '../schema.ts';
import type { CsvRecordQuery, Dialect, Row, SqlValue, Storage, TableName, Transaction } from '../types.ts';
import { streamPostgresCsvRecords } from './csv-records.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** Per-statement timeout, so a runaway report cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /**
   * work_mem of every session (a PostgreSQL size such as 32MB). PostgreSQL's default of 4MB made
   * the biggest tenant's prediction scores sort on disk instead of hashing in memory.
   */
  workMem?: string;
  /**
   * `max_parallel_workers_per_gather` of this node's sessions (unset: the server's). Launching
   * workers cost 30–40 ms per statement on the benchmark machine, more than a report statement's
   * whole work (README "Performance").
   */
  parallelWorkers?: number;
}

export const postgresDialect: Dialect = {
  inArray: (expr, param) => `${expr} = ANY(${param})`,
  percentileCont: (expr, fraction) => `percentile_cont(${fraction}) WITHIN GROUP (ORDER BY ${expr})`,
  double: (expr) => `CAST(${expr} AS DOUBLE PRECISION)`,
  // Timestamps are never negative (validated), so integer division is floor division.
  floorDiv: (expr, divisor) => `(CAST(${expr} AS BIGINT) / ${divisor})`,
  binaryText: (expr) => `${expr} COLLATE "C"`,
  // Integer arithmetic on an interval: exact, unlike to_timestamp(ms / 1000.0) through a double.
  isoFromEpochMs: (expr) => `to_char(TIMESTAMP '1970-01-01' + ${expr} * INTERVAL '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  doubleText: postgresDoubleText,
  // numeric keeps exactly the digits of the text and prints them without an exponent.
  decimalText: (text) => `CAST(CAST(${text} AS NUMERIC) AS VARCHAR)`,
  durationBucket: (expr) =>
    durationBucketSql(`CAST(${expr} AS BIGINT)`, (e) => `(CAST(1 AS BIGINT) << CAST(${e} AS INTEGER))`, (e) => `(ln(${e}) / ln(2.0))`),
  argMax: (expr, orderBy) => `(array_agg(${expr} ORDER BY ${orderBy} DESC))[1]`,
};

/**
 * PostgreSQL's float8 text (extra_float_digits 1) is the shortest round-trip form *inside* the
 * rounding interval. ECMAScript also accepts a shorter number lying exactly on the interval's
 * boundary when the significand is even (parsing rounds half to even), which only happens for
 * integers from 2^53 up: there, 1e16 ≤ |x| < 2^63, the boundaries are computed exactly in BIGINT
 * and a shorter one is preferred, written as `d.ddde+N`. Beyond 2^63 (9.2e18) PostgreSQL's digits
 * are kept: such a boundary value may then print with more digits than JS would (same number).
 */
function postgresDoubleText(expr: string): string {
  const abs = `abs(${expr})`;
  const n = `CAST(${abs} AS BIGINT)`;
  const pow2 = (p: number) => `CAST(${(2n ** BigInt(p)).toString()} AS DOUBLE PRECISION)`;
  const halfUlp = `CASE ${Array.from({ length: 9 }, (_, i) => `WHEN ${abs} < ${pow2(54 + i)} THEN ${2 ** i}`).join(' ')} ELSE 512 END`;
  const even = `((${n} / (2 * ${halfUlp})) % 2 = 0)`;
  const pgText = `CAST(${abs} AS VARCHAR)`;
  const pgDigits = `length(replace(split_part(${pgText}, 'e', 1), '.', ''))`;
  const sig = (b: string) => `rtrim(CAST(${b} AS VARCHAR), '0')`;
  const lower = `(${n} - ${halfUlp})`;
  const upper = `(${n} + ${halfUlp})`;
  const sci = (b: string) => `${sig(b)} || 'e+' || CAST(length(CAST(${b} AS VARCHAR)) - 1 AS VARCHAR)`;
  // The shorter boundary wins; `d.ddd` needs the point after the first digit.
  const asSci = (b: string) => `substr(${sci(b)}, 1, 1) || '.' || substr(${sci(b)}, 2)`;
  const boundary = `CASE WHEN length(${sig(lower)}) <= length(${sig(upper)}) THEN ${asSci(lower)} ELSE ${asSci(upper)} END`;
  const shortestBoundary = `LEAST(length(${sig(lower)}), length(${sig(upper)}))`;
  return `CASE WHEN ${abs} >= CAST(1e16 AS DOUBLE PRECISION) AND ${abs} < ${pow2(63)} AND ${even} AND ${shortestBoundary} < ${pgDigits}
    THEN CASE WHEN ${expr} < 0 THEN '-' ELSE '' END || ${boundary}
    ELSE CAST(${expr} AS VARCHAR) END`;
}

const PG_ARRAY_TYPE: Record<ColumnType, string> = { text: 'text[]', bigint: 'bigint[]', double: 'float8[]', hugeint: 'numeric[]' };

/** int8 and numeric as JS numbers (counts and sums fit in doubles; money is integer micros). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const UNAVAILABLE_CODES = new Set([
  // The network: refused, reset, unreachable, DNS.
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // The server: shutting down, starting up, out of connection slots, connection exceptions.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** pg's own messages for a connection that died or never came (they carry no code). */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i;

/**
 * Connection-level failures become UnavailableError (503 `database_unavailable` with
 * Retry-After); everything else propagates. The original error stays as `cause`, for the log only.
 */
export function mapPgError(err: unknown): unknown {
  if (err instanceof UnavailableError) return err;
  const e = err as { code?: string; message?: string } | null | undefined;
  if (e && (UNAVAILABLE_CODES.has(e.code ?? '') || UNAVAILABLE_MESSAGES.test(e.message ?? ''))) {
    return Object.assign(new UnavailableError(), { cause: err });
  }
  return err;
}

/** A bound value as an SQL literal of the same meaning (see inlineParams). */
function sqlLiteral(v: SqlValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'bigint') return v < 0n ? `(${v.toString()})` : v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`cannot bind ${v}`);
    // Integers stay untyped integer literals (compared with BIGINT columns as a parameter would
    // be); fractions are doubles, written with the digits that round-trip exactly.
    // Parenthesised when negative, so `x -$1` cannot become a `--` comment.
    if (Number.isInteger(v)) return v < 0 || Object.is(v, -0) ? `(${String(v)})` : String(v);
    return `CAST('${String(v)}' AS DOUBLE PRECISION)`;
  }
  if (typeof v === 'string') return pg.escapeLiteral(v);
  if (Array.isArray(v)) {
    const items = v as readonly (string | number)[];
    if (items.every((x) => typeof x === 'string')) return `CAST(ARRAY[${items.map((x) => pg.escapeLiteral(x as string)).join(', ')}] AS TEXT[])`;
    const ints = items.every((x) => typeof x === 'number' && Number.isSafeInteger(x));
    return `CAST(ARRAY[${items.map((x) => sqlLiteral(x)).join(', ')}] AS ${ints ? 'BIGINT[]' : 'DOUBLE PRECISION[]'})`;
  }
  throw new TypeError(`cannot bind a value of type ${typeof v}`);
}

/**
 * `sql` with its `$n` placeholders replaced by literals of `params` (escaped with the driver's
 * escapeLiteral), so it can travel in a multi-statement simple-protocol batch. Placeholders inside
 * quoted strings, quoted identifiers and comments are left alone.
 */
export function inlineParams(sql: string, params: readonly SqlValue[]): string {
  if (params.length === 0) return sql;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$(\d+)/g, (match, n: string | undefined) => {
    if (n === undefined) return match;
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`no value for parameter $${n}`);
    return sqlLiteral(params[i]!);
  });
}

async function run<T>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  try {
    const res = await client.query(sql, params as unknown[]);
    return res.rows as T[];
  } catch (err) {
    throw mapPgError(err);
  }
}

/** The connection's `options`: session settings given at connect time (none: undefined). */
function sessionOptions(opts: PostgresOptions): string | undefined {
  const settings: string[] = [];
  if (opts.workMem) settings.push(`-c work_mem=${opts.workMem}`);
  if (opts.parallelWorkers !== undefined) settings.push(`-c max_parallel_workers_per_gather=${opts.parallelWorkers}`);
  return settings.length ? settings.join(' ') : undefined;
}

/** Storage on PostgreSQL: a connection pool, transactions on one checked-out client. */
export async function createPostgresStorage(opts: PostgresOptions): Promise<Storage> {
  const options = sessionOptions(opts);
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize,
    types,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 120_000,
    // Validated by config (PG_WORK_MEM, PG_PARALLEL_WORKERS): digits and a unit, nothing to quote.
    ...(options ? { options } : {}),
    // Detects a server that vanished without closing the socket (a cut network) on idle clients.
    keepAlive: true,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);

  // pg-pool listens for errors on idle clients only. A checked-out client whose connection dies
  // between two statements (a transaction, an export waiting on a slow reader) emits 'error' with
  // nobody listening, which would crash the process; the next statement on it fails instead
  // (mapped to 503) and the client is released as broken.
  const guarded = new WeakSet<pg.PoolClient>();
  async function connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', () => undefined);
    }
    return client;
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
      async addToRollup(table, keyColumns, valueColumns, rows) {
        if (rows.length === 0) return;
        const columns = [...keyColumns, ...valueColumns];
        const colTypes = columnTypesOf(table, columns);
        const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
        const selects = colTypes.map((t, i) => `$${i + 1}::${PG_ARRAY_TYPE[t]}`).join(', ');
        const updates = valueColumns.length
          ? `DO UPDATE SET ${valueColumns.map((c) => `${c} = ${table}.${c} + EXCLUDED.${c}`).join(', ')}`
          : 'DO NOTHING';
        await run(
          client,
          `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${selects}) ON CONFLICT (${keyColumns.join(', ')}) ${updates}`,
          arrays as SqlValue[],
        );
      },
      async insertMany(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]) {
        if (rows.length === 0) return;
        const colTypes = columnTypesOf(table, columns);
        const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
        const selects = colTypes.map((t, i) => `$${i + 1}::${PG_ARRAY_TYPE[t]}`).join(', ');
        await run(client, `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${selects})`, arrays as SqlValue[]);
        rowsSinceAnalyze += rows.length;
      },
    };
  }

  let rlsRole: boolean | null = null;
  /** Whether this database user can act as atom_app (migration 003 could create and grant it). */
  async function canUseRlsRole(client: pg.PoolClient): Promise<boolean> {
    if (rlsRole === null) {
      const r = await run<{ ok: boolean }>(
        client,
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') AND pg_has_role(current_user, 'atom_app', 'MEMBER') AS ok",
      );
      rlsRole = Boolean(r[0]?.ok);
    }
    return rlsRole;
  }

  /** Statements opening a read-only transaction in which row-level security limits rows to the scope. */
  async function scopedBeginSql(client: pg.PoolClient, tenantIds: readonly string[] | null): Promise<string[]> {
    // Tenant ids match ^[A-Za-z0-9_-]{1,64}$ (checked again here), so the literal is safe.
    const scope = tenantIds === null ? '*' : tenantIds.filter((t) => /^[A-Za-z0-9_-]{1,64}$/.test(t)).join(',');
    const role = (await canUseRlsRole(client)) ? ['SET LOCAL ROLE atom_app'] : [];
    return ['BEGIN READ ONLY', ...role, `SET LOCAL atom.tenant_scope = '${scope}'`];
  }

  /** Opens a read-only transaction in which row-level security limits rows to the scope. */
  async function beginScoped(client: pg.PoolClient, tenantIds: readonly string[] | null): Promise<void> {
    await run(client, (await scopedBeginSql(client, tenantIds)).join('; '));
  }

  function scopedStorage(tenantIds: readonly string[] | null): Storage {
    return {
      ...storage,
      async query<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
        const client = await connect();
        let broken = false;
        try {
          // One round trip: BEGIN, role, scope, the statement and COMMIT as one simple-protocol
          // batch (which takes no bind parameters, so they are inlined as literals, see
          // inlineParams). Row-level security applies exactly as with separate statements.
          const statements = [...(await scopedBeginSql(client, tenantIds)), inlineParams(sql, params ?? []), 'COMMIT'];
          let results: pg.QueryResult | pg.QueryResult[];
          try {
            results = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
          } catch (err) {
            throw mapPgError(err);
          }
          const all = Array.isArray(results) ? results : [results];
          return (all[statements.length - 2]?.rows ?? []) as T[];
        } catch (err) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
          throw err;
        } finally {
          client.release(broken);
        }
      },
      stream: <T extends object = Row>(sql: string, params?: readonly SqlValue[], chunkRows?: number) =>
        streamRows<T>(sql, params ?? [], chunkRows ?? 2000, (client) => beginScoped(client, tenantIds)),
      streamCsvRecords: (q: CsvRecordQuery) => csvRecords(q, (client) => beginScoped(client, tenantIds)),
    };
  }

  function csvRecords(q: CsvRecordQuery, begin: (client: pg.PoolClient) => Promise<void>): AsyncIterable<Uint8Array> {
    return streamPostgresCsvRecords(
      {
        connect,
        begin,
        async cancel(pid) {
          await run(pool, 'SELECT pg_cancel_backend($1)', [pid]);
        },
        mapError: mapPgError,
      },
      q,
    );
  }

  async function* streamRows<T extends object>(
    sql: string,
    params: readonly SqlValue[],
    chunkRows: number,
    begin: (client: pg.PoolClient) => Promise<void>,
  ): AsyncGenerator<T[]> {
    // A server-side cursor keeps memory flat; closing the generator early rolls back and frees it.
    const client = await connect();
    let broken = false;
    try {
      await begin(client);
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
  }

  /**
   * Planner statistics: without them (autovacuum off, or right after a bulk import) PostgreSQL
   * picked a nested loop for the predictions → runs join that took 30 s instead of 80 ms. Once the
   * rows inserted since the last ANALYZE exceed 10% of the record tables (at least 10,000 rows),
   * this node runs ANALYZE on the record and rollup tables in the background. Proportional, so at
   * 10M rows it runs every ~1M inserted rows rather than every 10,000.
   */
  let rowsSinceAnalyze = 0;
  let analyzing = false;
  /** Rows of the record tables as of the last ANALYZE (planner estimate). */
  let analyzedRows = 0;
  function maybeAnalyze(): void {
    if (analyzing || rowsSinceAnalyze < Math.max(10_000, analyzedRows / 10)) return;
    rowsSinceAnalyze = 0;
    analyzing = true;
    pool
      .query(
        'ANALYZE workflow_runs, incidents, metric_samples, predictions, rollup_runs, rollup_durations_day, rollup_durations_week, rollup_metrics, rollup_predictions, rollup_prediction_scores_day, rollup_prediction_scores_week, tenant_services',
      )
      .then(() =>
        pool.query<{ n: number | null }>(
          "SELECT sum(greatest(reltuples, 0)) AS n FROM pg_class WHERE oid IN ('workflow_runs'::regclass, 'incidents'::regclass, 'metric_samples'::regclass, 'predictions'::regclass)",
        ),
      )
      .then((r) => {
        analyzedRows = Number(r.rows[0]?.n ?? 0) || 0;
      })
      .catch(() => undefined)
      .finally(() => {
        analyzing = false;
      });
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
        maybeAnalyze();
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
    stream: <T extends object = Row>(sql: string, params?: readonly SqlValue[], chunkRows?: number) =>
      streamRows<T>(sql, params ?? [], chunkRows ?? 2000, async (client) => {
        await run(client, 'BEGIN READ ONLY');
      }),
    streamCsvRecords: (q) =>
      csvRecords(q, async (client) => {
        await run(client, 'BEGIN READ ONLY');
      }),
    scoped: (tenantIds) => scopedStorage(tenantIds),
    async migrate() {
      const migrations = await loadMigrations(MIGRATIONS_DIR);
      // Several API nodes may start together: one applies, the others wait on the lock.
      return applyMigrations(storage, migrations, 'SELECT pg_advisory_xact_lock(4242001)');
    },
    async ping() {
      await run(pool, 'SELECT 1');
    },
    // Nothing runs in the background after open: every index lives in PostgreSQL.
    startupWork: () => [],
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await pool.end();
    },
  };
  return storage;
}
