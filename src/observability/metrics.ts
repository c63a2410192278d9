import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Label value for requests that matched no route, so raw URLs never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** prom-client default metrics that are gauges despite their `_total` name. */
const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export type IngestResult = 'inserted' | 'updated' | 'unchanged';

/** One row of connection-pool state, e.g. `{ engine: 'postgres', state: 'idle', connections: 3 }`. */
export interface PoolStat {
  engine: string;
  /** e.g. `total`, `idle`, `waiting`. */
  state: string;
  connections: number;
}

/** Called at each scrape; storage registers one so metrics need not import storage. */
export type PoolStatsProvider = () => readonly PoolStat[] | Promise<readonly PoolStat[]>;

export interface HttpRequestSample {
  method: string;
  /** The route template (Fastify `request.routeOptions.url`); undefined for unmatched requests. */
  route: string | undefined;
  statusCode: number;
  durationSeconds: number;
}

export interface AppMetrics {
  readonly registry: Registry;
  /** Content-Type for the /metrics response. */
  readonly contentType: string;
  /** The exposition text for /metrics. */
  metricsText(): Promise<string>;

  readonly httpRequestsTotal: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestDurationSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly reportsTotal: Counter<'type'>;
  readonly exportsTotal: Counter<'type' | 'format'>;
  readonly ingestedRecordsTotal: Counter<'kind' | 'result'>;
  readonly cacheRequestsTotal: Counter<'result'>;
  readonly dbQueryDurationSeconds: Histogram<'engine' | 'operation'>;
  readonly dbPoolConnections: Gauge<'engine' | 'state'>;

  /** Counts and times one HTTP request; labels are normalised (see {@link normalizeRouteLabel}). */
  observeHttpRequest(sample: HttpRequestSample): void;
  recordReport(type: string): void;
  recordExport(type: string, format: string): void;
  recordIngested(kind: string, result: IngestResult, count?: number): void;
  /** Matches the cache's `CacheMetricsSink`, so an `AppMetrics` can be passed to `createReportCache`. */
  recordCacheResult(result: 'hit' | 'miss'): void;
  observeDbQuery(engine: string, operation: string, durationSeconds: number): void;
  /** Replaces the pool-stats source read at each scrape; `undefined` removes it. */
  setPoolStatsProvider(provider: PoolStatsProvider | undefined): void;
}

export interface MetricsOptions {
  /** Process / Node.js runtime metrics; default true. */
  collectDefaults?: boolean;
  /** Told when the pool-stats provider fails; the gauge is then left empty for that scrape. */
  onCollectError?: (err: unknown) => void;
}

/**
 * Route label for a request: the route template, or `unmatched` when no route
 * matched. Only templates are used because raw URLs carry tenant ids and
 * arbitrary strings, which would leak tenants and explode series cardinality.
 */
export function normalizeRouteLabel(routeTemplate: string | undefined): string {
  return routeTemplate === undefined || routeTemplate === '' ? UNMATCHED_ROUTE : routeTemplate;
}

/** Method label; anything non-standard becomes `OTHER` so clients cannot create series at will. */
export function normalizeMethodLabel(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : 'OTHER';
}

/**
 * Creates the application's metrics on a registry of their own (never prom-client's
 * global default), so several apps, e.g. in tests, can live in one process.
 */
export function createMetrics(options: MetricsOptions = {}): AppMetrics {
  const registry = new Registry();
  if (options.collectDefaults ?? true) {
    collectDefaultMetrics({ register: registry });
    // These three are gauges named `_total`, which `promtool check metrics` rejects (the suffix
    // is reserved for counters); the per-type `nodejs_active_*` gauges carry the same numbers.
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const httpRequestsTotal = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpRequestDurationSeconds = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    // Reports and exports can take tens of seconds; the request timeout is 120 s.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const reportsTotal = new Counter({
    name: 'atom_reports_total',
    help: 'Reports computed, by report type.',
    labelNames: ['type'] as const,
    registers,
  });
  const exportsTotal = new Counter({
    name: 'atom_exports_total',
    help: 'Exports produced, by type and format.',
    labelNames: ['type', 'format'] as const,
    registers,
  });
  const ingestedRecordsTotal = new Counter({
    name: 'atom_ingested_records_total',
    help: 'Ingested records, by kind and result (inserted, updated, unchanged).',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const cacheRequestsTotal = new Counter({
    name: 'atom_cache_requests_total',
    help: 'Report cache lookups, by result (hit, miss).',
    labelNames: ['result'] as const,
    registers,
  });
  const dbQueryDurationSeconds = new Histogram({
    name: 'atom_db_query_duration_seconds',
    help: 'Database query duration in seconds, by engine and operation.',
    labelNames: ['engine', 'operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });

  let poolStatsProvider: PoolStatsProvider | undefined;
  const dbPoolConnections: Gauge<'engine' | 'state'> = new Gauge({
    name: 'atom_db_pool_connections',
    help: 'Database pool connections, by engine and state.',
    labelNames: ['engine', 'state'] as const,
    registers,
    async collect() {
      // Reset first so a state that disappeared does not keep its last value.
      dbPoolConnections.reset();
      if (!poolStatsProvider) return;
      try {
        for (const stat of await poolStatsProvider()) {
          dbPoolConnections.set({ engine: stat.engine, state: stat.state }, stat.connections);
        }
      } catch (err) {
        // A broken provider must not take the whole /metrics endpoint down with it.
        dbPoolConnections.reset();
        options.onCollectError?.(err);
      }
    },
  });

  // Both series exist from the start so hit-ratio queries work before the first hit.
  cacheRequestsTotal.inc({ result: 'hit' }, 0);
  cacheRequestsTotal.inc({ result: 'miss' }, 0);

  return {
    registry,
    contentType: registry.contentType,
    metricsText: () => registry.metrics(),
    httpRequestsTotal,
    httpRequestDurationSeconds,
    reportsTotal,
    exportsTotal,
    ingestedRecordsTotal,
    cacheRequestsTotal,
    dbQueryDurationSeconds,
    dbPoolConnections,

    observeHttpRequest({ method, route, statusCode, durationSeconds }) {
      const labels = { method: normalizeMethodLabel(method), route: normalizeRouteLabel(route), status: String(statusCode) };
      httpRequestsTotal.inc(labels);
      httpRequestDurationSeconds.observe(labels, durationSeconds);
    },
    recordReport: (type) => reportsTotal.inc({ type }),
    recordExport: (type, format) => exportsTotal.inc({ type, format }),
    recordIngested: (kind, result, count = 1) => ingestedRecordsTotal.inc({ kind, result }, count),
    recordCacheResult: (result) => cacheRequestsTotal.inc({ result }),
    observeDbQuery: (engine, operation, durationSeconds) => dbQueryDurationSeconds.observe({ engine, operation }, durationSeconds),
    setPoolStatsProvider(provider) {
      poolStatsProvider = provider;
    },
  };
}
