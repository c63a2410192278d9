/**
 * The one place that reads the environment. Parsed once, validated, frozen.
 * Everything else receives a `Config` value; nothing else touches process.env.
 */

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function num(env: Env, name: string, fallback: number, opts: { min?: number; max?: number; int?: boolean } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new ConfigError(`${name} must be a number, got "${raw}"`);
  if (opts.int && !Number.isInteger(v)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  if (opts.min !== undefined && v < opts.min) throw new ConfigError(`${name} must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new ConfigError(`${name} must be <= ${opts.max}, got ${v}`);
  return v;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be a boolean (1/0/true/false), got "${raw}"`);
}

/** A DuckDB size setting: a number and a unit, e.g. 128MB, 1.5GB, 512MiB. */
export function isDuckdbSize(v: string): boolean {
  return /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v);
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes of a DuckDB size setting such as '128MB' or '1 GiB'; NaN when it cannot tell. */
export function sizeBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  return m && unit ? Number(m[1]) * unit : NaN;
}

function duckdbSize(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  if (!isDuckdbSize(v)) throw new ConfigError(`${name} must be a size such as 128MB or 1GB, got "${v}"`);
  return v;
}

/** A PostgreSQL memory setting: an integer and a unit PostgreSQL accepts (kB, MB, GB, TB). */
function pgSize(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  if (!/^[1-9]\d*(kB|MB|GB|TB)$/.test(v)) throw new ConfigError(`${name} must be a PostgreSQL size such as 32MB or 1GB (units kB, MB, GB, TB), got "${v}"`);
  return v;
}

/** Prices are configured in USD and held as integer micro-dollars so sums stay exact. */
function price(env: Env, name: string, fallbackMicros: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMicros;
  const micros = usdToMicros(Number(raw));
  if (micros === null) throw new ConfigError(`${name} must be a non-negative USD amount with at most 6 decimals, got "${raw}"`);
  return micros;
}

/** Converts a USD amount to integer micro-dollars; null when it is not representable exactly. */
export function usdToMicros(usd: number): number | null {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0 || usd > 1e9) return null;
  const micros = Math.round(usd * 1e6);
  // Reject values with more than 6 decimals instead of silently rounding money.
  if (Math.abs(micros / 1e6 - usd) > 1e-9 * Math.max(1, usd)) return null;
  return micros;
}

export function loadConfig(env: Env = process.env) {
  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// (got "${databaseUrl.split(':')[0]}:…"); unset it to use the embedded database`);
  }
  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const config = {
    host: str(env, 'HOST', '127.0.0.1'),
    port: num(env, 'PORT', 8080, { min: 0, max: 65535, int: true }),
    dataDir: str(env, 'DATA_DIR', './data'),
    databaseUrl,
    /** Pool size for PostgreSQL connections per node. */
    pgPoolSize: num(env, 'PG_POOL_SIZE', 10, { min: 1, max: 200, int: true }),
    /** work_mem of this node's PostgreSQL sessions (per sort or hash of a statement). */
    pgWorkMem: pgSize(env, 'PG_WORK_MEM', '32MB'),
    /**
     * max_parallel_workers_per_gather of this node's PostgreSQL sessions. 0: a report statement
     * runs in its own backend; starting parallel workers cost more than most of them take.
     */
    pgParallelWorkers: num(env, 'PG_PARALLEL_WORKERS', 0, { min: 0, max: 64, int: true }),
    /** DuckDB resource limits: set explicitly, DuckDB's default takes 80% of RAM. */
    duckdbMemoryLimit: duckdbSize(env, 'DUCKDB_MEMORY_LIMIT', '128MB'),
    // One thread per statement: a report is several small statements side by side, and on two
    // cores DuckDB's second thread per statement cost more than it gained (README "Performance").
    duckdbThreads: num(env, 'DUCKDB_THREADS', 1, { min: 1, max: 64, int: true }),
    /** DuckDB's memory limit while raw CSV exports run (lowered, then restored, when set lower): bounds its cache of the scanned table. */
    // Default: the normal limit (no lowering). A lower limit is global in DuckDB, so concurrent
    // ingest and reports can fail with out-of-memory while an export runs (seen under load).
    duckdbExportMemoryLimit: duckdbSize(env, 'DUCKDB_EXPORT_MEMORY_LIMIT', env.DUCKDB_MEMORY_LIMIT ?? '128MB'),
    /** When DuckDB's allocator gives freed memory back to the system (DuckDB settings of the same names). */
    duckdbAllocatorFlushThreshold: duckdbSize(env, 'DUCKDB_ALLOCATOR_FLUSH_THRESHOLD', '128MB'),
    duckdbAllocatorBulkFlushThreshold: duckdbSize(env, 'DUCKDB_ALLOCATOR_BULK_FLUSH_THRESHOLD', '512MB'),
    redisUrl: optional(env, 'REDIS_URL'),
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX', 'atom:'),
    adminKey: optional(env, 'ATOM_ADMIN_KEY'),
    demo: bool(env, 'ATOM_DEMO', true),
    logLevel,
    bodyLimitBytes: num(env, 'BODY_LIMIT_BYTES', 10 * 1024 * 1024, { min: 1024, int: true }),
    requestTimeoutMs: num(env, 'REQUEST_TIMEOUT_MS', 120_000, { min: 0, int: true }),
    cacheMaxEntries: num(env, 'CACHE_MAX_ENTRIES', 1000, { min: 0, int: true }),
    cacheTtlSeconds: num(env, 'CACHE_TTL_SECONDS', 300, { min: 1, int: true }),
    prices: {
      workflowRunMicros: price(env, 'PRICE_WORKFLOW_RUN', 10_000),
      metricSampleMicros: price(env, 'PRICE_METRIC_SAMPLE', 5_000),
      predictionMicros: price(env, 'PRICE_PREDICTION', 20_000),
    },
    health: {
      downErrorRate: num(env, 'HEALTH_DOWN_ERROR_RATE', 0.5, { min: 0, max: 1 }),
      degradedErrorRate: num(env, 'HEALTH_DEGRADED_ERROR_RATE', 0.05, { min: 0, max: 1 }),
      degradedP95LatencyMs: num(env, 'HEALTH_DEGRADED_P95_LATENCY_MS', 1000, { min: 0 }),
    },
    exportDir: str(env, 'EXPORT_DIR', './exports'),
    s3: {
      bucket: optional(env, 'S3_AUDIT_BUCKET'),
      endpoint: optional(env, 'S3_ENDPOINT'),
      region: str(env, 'S3_REGION', 'us-east-1'),
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', false),
      accessKeyId: optional(env, 'S3_ACCESS_KEY_ID') ?? optional(env, 'AWS_ACCESS_KEY_ID'),
      secretAccessKey: optional(env, 'S3_SECRET_ACCESS_KEY') ?? optional(env, 'AWS_SECRET_ACCESS_KEY'),
      prefix: str(env, 'S3_AUDIT_PREFIX', 'audit/'),
    },
    rateLimit: {
      max: num(env, 'RATE_LIMIT_MAX', 600, { min: 0, int: true }),
      windowMs: num(env, 'RATE_LIMIT_WINDOW_MS', 60_000, { min: 1, int: true }),
    },
  };
  return deepFreeze(config);
}

export type Config = ReturnType<typeof loadConfig>;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
