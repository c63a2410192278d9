import type { Config } from '../config.ts';
import type { Dialect, SqlValue } from '../storage/types.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
import { compareText, num, numOrNull, periodJson, tenantFilter, type ReportPeriod, type ReportQuery } from './common.ts';
import { uptimePercent, type OutageIncident } from './metrics/uptime.ts';

export type HealthStatus = 'healthy' | 'degraded' | 'down';

export interface HealthRow {
  tenant_id: string;
  service: string;
  latest_ts: string | null;
  latest_p95_latency_ms: number | null;
  latest_error_rate: number | null;
  latest_throughput_rps: number | null;
  open_incidents: number;
  uptime_percent: number | null;
  status: HealthStatus;
}

export interface HealthBody {
  period: ReportPeriod;
  rows: HealthRow[];
}

export const HEALTH_COLUMNS = [
  'tenant_id',
  'service',
  'latest_ts',
  'latest_p95_latency_ms',
  'latest_error_rate',
  'latest_throughput_rps',
  'open_incidents',
  'uptime_percent',
  'status',
] as const satisfies readonly (keyof HealthRow)[];

/** What a service's status depends on: its latest sample (if any) and its open incidents at `to`. */
export interface HealthSignals {
  latestErrorRate: number | null;
  latestP95LatencyMs: number | null;
  openIncidents: number;
  openCriticalIncidents: number;
}

/**
 * Service status (contract "Reports › health", thresholds from config):
 * `down` if a critical incident is open or the latest error rate ≥ downErrorRate; else
 * `degraded` if any incident is open, error rate ≥ degradedErrorRate or p95 latency >
 * degradedP95LatencyMs; else `healthy`. Without samples only incidents decide (reading 6).
 */
export function healthStatus(s: HealthSignals, thresholds: Config['health']): HealthStatus {
  const errorRate = s.latestErrorRate;
  if (s.openCriticalIncidents > 0 || (errorRate !== null && errorRate >= thresholds.downErrorRate)) return 'down';
  if (
    s.openIncidents > 0 ||
    (errorRate !== null && errorRate >= thresholds.degradedErrorRate) ||
    (s.latestP95LatencyMs !== null && s.latestP95LatencyMs > thresholds.degradedP95LatencyMs)
  ) {
    return 'degraded';
  }
  return 'healthy';
}

function serviceKey(tenantId: string, service: string): string {
  return JSON.stringify([tenantId, service]);
}

/**
 * GET /reports/health (contract "Reports › health", readings 3 and 6): one row per (tenant,
 * service) named by any run, incident or metric sample of the tenant at any time (predictions
 * name no service), even one seen only after `to`.
 * - latest_*: the newest sample with ts < to, however old (not limited to the period).
 * - open_incidents: opened before `to` and not resolved before `to` (resolved exactly at `to`
 *   is still open).
 * - uptime_percent: over [from, to), from the service's critical incidents that overlap the
 *   period — including ones opened before `from` and still down in it; their parts outside the
 *   period are clipped by `uptimePercent`.
 *
 * Two queries, whatever the number of services: one for the service list with its latest sample
 * and open-incident counts, one for the critical outages overlapping the period.
 * - Each table is grouped before the UNION: deduplicating the raw rows made PostgreSQL sort
 *   millions of them on disk (22 s at 3M rows per table, 2.7 s grouped first).
 * - The latest sample is a correlated newest-ts per service joined back on the key, only for
 *   services with samples (tenant_services counts them): PostgreSQL answers both from the
 *   (tenant_id, service, ts_ms) primary key, one probe per service; DuckDB decorrelates them into
 *   grouped scans, so it first scans only the last day before `to` (see getHealth). (An arg_max
 *   aggregate was slower on DuckDB, and a full sort-aggregate on PostgreSQL.)
 */
export async function getHealth(env: ReportEnv, q: ReportQuery): Promise<HealthRow[]> {
  const { storage, config } = env;
  const d = storage.dialect;

  const outageParams: SqlValue[] = [q.fromMs, q.toMs];
  const scopeOutages = tenantFilter(d, 'tenant_id', q, outageParams);
  // Every critical incident down at some instant of [from, to): opened before `to`, and
  // unresolved or resolved after `from`.
  const outagesSql = `
    SELECT tenant_id, service, opened_at_ms, resolved_at_ms
    FROM incidents
    WHERE severity = 'critical' AND opened_at_ms < $2 AND (resolved_at_ms IS NULL OR resolved_at_ms > $1) AND ${scopeOutages}`;

  // Runs beside the services statement(s); awaited below (the no-op handler only keeps a failure
  // from counting as unhandled while those run).
  const outagesRun = storage.query<Record<string, unknown>>(outagesSql, outageParams);
  outagesRun.catch(() => undefined);
  const services = (recentFromMs: number | null) => {
    const { sql, params } = servicesStatement(storage.engine, d, q, recentFromMs);
    return storage.query<Record<string, unknown>>(sql, params);
  };
  // DuckDB: the newest sample usually lies in the last day before `to`, so that day alone is
  // scanned first (zone maps skip the rest). Only when a service with samples has none there is
  // every sample before `to` looked at (the statement PostgreSQL uses).
  const duckdb = storage.engine === 'duckdb';
  let serviceRows = await services(duckdb ? q.toMs - RECENT_MS : null);
  if (duckdb && serviceRows.some((r) => num(r.samples) > 0 && r.latest_ts_ms === null)) serviceRows = await services(null);
  const outageRows = await outagesRun;

  const outages = new Map<string, OutageIncident[]>();
  for (const r of outageRows) {
    const key = serviceKey(String(r.tenant_id), String(r.service));
    let list = outages.get(key);
    if (!list) outages.set(key, (list = []));
    list.push({ openedMs: num(r.opened_at_ms), resolvedMs: numOrNull(r.resolved_at_ms) });
  }

  return serviceRows
    .map((r): HealthRow => {
      const tenantId = String(r.tenant_id);
      const service = String(r.service);
      const latestTs = numOrNull(r.latest_ts_ms);
      const signals: HealthSignals = {
        latestErrorRate: latestTs === null ? null : numOrNull(r.error_rate),
        latestP95LatencyMs: latestTs === null ? null : numOrNull(r.p95_latency_ms),
        openIncidents: num(r.open_count),
        openCriticalIncidents: num(r.open_critical),
      };
      return {
        tenant_id: tenantId,
        service,
        latest_ts: latestTs === null ? null : new Date(latestTs).toISOString(),
        latest_p95_latency_ms: signals.latestP95LatencyMs,
        latest_error_rate: signals.latestErrorRate,
        latest_throughput_rps: latestTs === null ? null : numOrNull(r.throughput_rps),
        open_incidents: signals.openIncidents,
        uptime_percent: uptimePercent(outages.get(serviceKey(tenantId, service)) ?? [], q.fromMs, q.toMs),
        status: healthStatus(signals, config.health),
      };
    })
    .sort((a, b) => compareText(a.tenant_id, b.tenant_id) || compareText(a.service, b.service));
}

/** How far back DuckDB first looks for a service's newest sample. */
const RECENT_MS = 86_400_000;

/**
 * The services in scope (tenant_services, maintained at ingest, so no record table is scanned for
 * the list) with their newest sample before `to` and their open-incident counts. With
 * `recentFromMs` (DuckDB) only samples from then on are looked at; `samples` says whether the
 * service has any at all.
 */
function servicesStatement(engine: string, d: Dialect, q: ReportQuery, recentFromMs: number | null): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [q.toMs];
  const scopeServices = tenantFilter(d, 'tenant_id', q, params);
  const scopeOpen = tenantFilter(d, 'tenant_id', q, params);
  let since = '';
  if (recentFromMs !== null) {
    params.push(recentFromMs);
    since = ` AND x.ts_ms >= $${params.length}`;
  }
  // The sample row itself: on PostgreSQL a LATERAL … LIMIT 1 keeps it a primary-key
  // lookup per service (a plain join on the key was hash-joined against a seq scan of every
  // sample); DuckDB joins it back (within the same range of time). `latest` is MATERIALIZED on
  // PostgreSQL: inlined, its ts_ms became a subquery inside the LATERAL, which then could not
  // probe the key with it and read every sample of the service (biggest tenant at 10M runs:
  // 150 → 11 ms).
  const sampleJoin =
    engine === 'postgres'
      ? `SELECT l.tenant_id, l.service, l.samples, l.ts_ms AS latest_ts_ms,
           m.p95_latency_ms, m.error_rate, m.throughput_rps,
           o.open_count, o.open_critical
    FROM latest l
    LEFT JOIN LATERAL (
      SELECT p95_latency_ms, error_rate, throughput_rps FROM metric_samples x
      WHERE x.tenant_id = l.tenant_id AND x.service = l.service AND x.ts_ms = l.ts_ms LIMIT 1
    ) m ON TRUE`
      : `SELECT l.tenant_id, l.service, l.samples, l.ts_ms AS latest_ts_ms,
           x.p95_latency_ms, x.error_rate, x.throughput_rps,
           o.open_count, o.open_critical
    FROM latest l
    LEFT JOIN metric_samples x ON x.tenant_id = l.tenant_id AND x.service = l.service AND x.ts_ms = l.ts_ms AND x.ts_ms < $1${since}`;
  // The newest sample's time before `to` per service. PostgreSQL: with `service = s.service` the
  // planner walked the (tenant_id, ts_ms) index backwards filtering on service — every sample of
  // the tenant for a service that has none (280 ms at 1M runs). Written as a range with ORDER BY
  // service, ts it can only use the (tenant_id, service, ts_ms) primary key: one probe (1.5 ms).
  const latestTsSql =
    engine === 'postgres'
      ? `SELECT x.ts_ms FROM metric_samples x
         WHERE x.tenant_id = s.tenant_id AND x.service >= s.service AND x.service <= s.service AND x.ts_ms < $1
         ORDER BY x.service DESC, x.ts_ms DESC LIMIT 1`
      : `SELECT max(x.ts_ms) FROM metric_samples x
         WHERE x.tenant_id = s.tenant_id AND x.service = s.service AND x.ts_ms < $1${since}`;
  const sql = `
    WITH services AS (
      SELECT tenant_id, service, sum(samples) AS samples FROM tenant_services WHERE ${scopeServices}
      GROUP BY tenant_id, service HAVING sum(records) > 0
    ), latest AS ${engine === 'postgres' ? 'MATERIALIZED ' : ''}(
      SELECT s.tenant_id, s.service, s.samples, CASE WHEN s.samples > 0 THEN (${latestTsSql}) END AS ts_ms
      FROM services s
    ), open_incidents AS (
      SELECT tenant_id, service,
             count(*) AS open_count,
             count(*) FILTER (WHERE severity = 'critical') AS open_critical
      FROM incidents
      WHERE opened_at_ms < $1 AND (resolved_at_ms IS NULL OR resolved_at_ms >= $1) AND ${scopeOpen}
      GROUP BY tenant_id, service
    )
    ${sampleJoin}
    LEFT JOIN open_incidents o ON o.tenant_id = l.tenant_id AND o.service = l.service`;
  return { sql, params };
}

export const healthReport: ReportDefinition = {
  name: 'health',
  path: '/reports/health',
  summary: 'Latest metrics, open incidents, uptime and status per service',
  run: async (env, q): Promise<HealthBody> => ({ period: periodJson(q), rows: await getHealth(env, q) }),
  csv: (body) => ({ columns: [...HEALTH_COLUMNS], rows: (body as HealthBody).rows as unknown as Record<string, unknown>[] }),
};
