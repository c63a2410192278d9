/**
 * `npm run load`: what the workers send. Each route is a labelled request template with a
 * weight; a worker draws a route, then a tenant (A or B, each with its own key; the admin key
 * for the all-tenant overview), and builds the request. No deliberate bad requests: every
 * request here should be answered 2xx.
 *
 * Ingest goes 95% to the first tenant (a busy writer), 5% to the second (mostly read).
 * Report requests: half `Cache-Control: no-cache` with varied parameters (tz, group_by,
 * granularity, threshold), half cacheable with a dashboard's fixed parameters (UTC, defaults),
 * so the cache is exercised: every acknowledged ingest invalidates the tenant's entries.
 * Ingest writes into a bounded key space per tenant (RUN_SLOTS run ids, METRIC_SLOTS
 * (service, ts) pairs), so after the first pass every record is an upsert of an existing one
 * (inserted → updated → unchanged in turn) and the data volume stays flat however long the
 * load runs: memory growth in a soak is then the server's, not the dataset's.
 */
import { createRng } from '../src/demo/generate.ts';
import type { LoadRequest } from './load-http.ts';

export const RUN_SLOTS = 4000;
export const RUN_BATCH = 100;
const RUN_SPACING_MS = 20_000; // 4,000 slots × 20 s ≈ 22 h of runs before the anchor
export const METRIC_SERVICES = 4;
const METRIC_STEPS = 288; // 24 h of 5-minute samples per service
export const METRIC_SLOTS = METRIC_SERVICES * METRIC_STEPS;
export const METRIC_BATCH = 48;
const FIVE_MIN_MS = 300_000;
const DAY_MS = 86_400_000;
const INGEST_SKEW = 0.95;

export type RouteKind = 'ingest' | 'report' | 'export';

export interface TenantPrincipal {
  id: string;
  key: string;
}

export interface TrafficContext {
  tenants: TenantPrincipal[];
  adminKey: string;
  /** Load start rounded down to the minute (epoch ms): load records are placed before it. */
  anchorMs: number;
}

export interface BuiltRequest extends LoadRequest {
  /** Who sent it, for the error samples: a tenant id or 'admin'. */
  principal: string;
  /** Expect a JSON body (checked) and, for reports, an X-Cache header. */
  expect: 'json-ingest' | 'json-report' | 'csv';
  cacheable: boolean;
}

export interface RouteSpec {
  name: string;
  method: 'GET' | 'POST';
  /** The route as the server names it (for the table). */
  pattern: string;
  kind: RouteKind;
  weight: number;
  build(t: TrafficState, rng: () => number): BuiltRequest;
}

interface TenantCursor {
  runs: number;
  metrics: number;
}

/** Mutable traffic state shared by all workers (single-threaded: cursors advance atomically). */
export class TrafficState {
  readonly cursors = new Map<string, TenantCursor>();
  readonly fromDate: string;
  readonly toDate: string;
  readonly weekFromDate: string;
  readonly exportRunsFrom: string;
  readonly exportRunsTo: string;
  readonly exportMetricsFrom: string;
  readonly exportMetricsTo: string;

  constructor(readonly ctx: TrafficContext) {
    for (const t of ctx.tenants) this.cursors.set(t.id, { runs: 0, metrics: 0 });
    const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    // Plain dates (midnight in tz) so repeated report requests share cache keys.
    this.fromDate = date(ctx.anchorMs - 30 * DAY_MS);
    this.toDate = date(ctx.anchorMs + DAY_MS);
    this.weekFromDate = date(ctx.anchorMs - 7 * DAY_MS);
    const iso = (ms: number) => new Date(ms).toISOString();
    // Small raw exports: a few hours around the anchor (hundreds of rows).
    this.exportRunsFrom = iso(ctx.anchorMs - 2 * 3_600_000);
    this.exportRunsTo = iso(ctx.anchorMs + 3_600_000);
    this.exportMetricsFrom = iso(ctx.anchorMs - 3 * 3_600_000);
    this.exportMetricsTo = iso(ctx.anchorMs + 3_600_000);
  }

  /** Reads and exports: both tenants alike. */
  pickTenant(rng: () => number): TenantPrincipal {
    return this.ctx.tenants[Math.floor(rng() * this.ctx.tenants.length)]!;
  }

  /**
   * Ingest: the first tenant is the busy writer (95%), the second mostly reads. Every
   * acknowledged ingest invalidates that tenant's cached reports, so an even split would leave
   * the cached half of the report mix (almost) never hitting; this way both paths are measured.
   */
  pickIngestTenant(rng: () => number): TenantPrincipal {
    const ts = this.ctx.tenants;
    return rng() < INGEST_SKEW || ts.length === 1 ? ts[0]! : ts[1 + Math.floor(rng() * (ts.length - 1))]!;
  }

  /** The next NDJSON batch of workflow runs of a tenant: slots cycle, so most are upserts. */
  runBatch(tenantId: string): string {
    const c = this.cursors.get(tenantId)!;
    const first = c.runs;
    c.runs += RUN_BATCH;
    const lines: string[] = [];
    for (let i = 0; i < RUN_BATCH; i++) {
      const n = first + i;
      const slot = n % RUN_SLOTS;
      const pass = Math.floor(n / RUN_SLOTS);
      const started = this.ctx.anchorMs - slot * RUN_SPACING_MS;
      const duration = 30_000 + ((slot * 7919) % 600) * 1000;
      const service = `load-svc-${slot % METRIC_SERVICES}`;
      const workflow = `${service}-${slot % 3 === 0 ? 'deploy' : 'tests'}`;
      const rec: Record<string, unknown> = {
        id: `load-run-${String(slot).padStart(5, '0')}`,
        workflow_id: workflow,
        workflow_name: `${workflow} pipeline`,
        service,
        started_at: new Date(started).toISOString(),
      };
      if (pass === 0) {
        rec.status = 'running';
      } else {
        // Pass 1 finishes the run; later passes alternate between an unchanged re-send and a
        // changed outcome (updated), as a retried or corrected run would.
        const flip = Math.floor(pass / 2) % 2 === 1;
        const failed = (slot % 10 === 0) !== flip;
        rec.status = failed ? 'failed' : 'succeeded';
        rec.finished_at = new Date(started + duration).toISOString();
        rec.duration_ms = duration;
      }
      if (i % 2 === 0) rec.tenant_id = tenantId; // optional with a tenant key: send it on half
      lines.push(JSON.stringify(rec));
    }
    return lines.join('\n') + '\n';
  }

  /** The next NDJSON batch of metric samples of a tenant: (service, ts) slots cycle. */
  metricBatch(tenantId: string): string {
    const c = this.cursors.get(tenantId)!;
    const first = c.metrics;
    c.metrics += METRIC_BATCH;
    const base = Math.floor(this.ctx.anchorMs / FIVE_MIN_MS) * FIVE_MIN_MS;
    const lines: string[] = [];
    for (let i = 0; i < METRIC_BATCH; i++) {
      const n = first + i;
      const slot = n % METRIC_SLOTS;
      const pass = Math.floor(n / METRIC_SLOTS);
      const svc = slot % METRIC_SERVICES;
      const step = Math.floor(slot / METRIC_SERVICES);
      const wobble = pass % 3; // every pass changes the values: updated
      lines.push(
        JSON.stringify({
          tenant_id: tenantId,
          service: `load-svc-${svc}`,
          ts: new Date(base - step * FIVE_MIN_MS).toISOString(),
          p95_latency_ms: 150 + svc * 40 + ((step * 37) % 200) + wobble * 5,
          throughput_rps: 50 + ((step * 13) % 120) + wobble,
          error_rate: Math.round((0.001 + ((step * 17) % 30) / 1000 + wobble / 1000) * 10_000) / 10_000,
        }),
      );
    }
    return lines.join('\n') + '\n';
  }
}

function qs(params: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${k}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Half the report requests ask for a fresh computation. */
function cacheHeaders(rng: () => number): { headers: Record<string, string>; cacheable: boolean } {
  return rng() < 0.5 ? { headers: { 'cache-control': 'no-cache' }, cacheable: false } : { headers: {}, cacheable: true };
}

const TZS = ['UTC', 'Asia/Kolkata'];

function reportRoute(name: string, path: string, weight: number, extra: (rng: () => number) => Record<string, string | undefined> = () => ({})): RouteSpec {
  return {
    name: `report_${name}`,
    method: 'GET',
    pattern: path,
    kind: 'report',
    weight,
    build(t, rng) {
      const tenant = t.pickTenant(rng);
      const { headers, cacheable } = cacheHeaders(rng);
      const params = cacheable ? { from: t.fromDate, to: t.toDate } : { from: t.fromDate, to: t.toDate, tz: TZS[Math.floor(rng() * TZS.length)], ...extra(rng) };
      return {
        method: 'GET',
        path: `${path}${qs(params)}`,
        key: tenant.key,
        headers,
        keepBody: true,
        principal: tenant.id,
        expect: 'json-report',
        cacheable,
      };
    },
  };
}

export const ROUTES: RouteSpec[] = [
  {
    name: 'ingest_workflow_runs',
    method: 'POST',
    pattern: '/ingest/workflow_runs',
    kind: 'ingest',
    weight: 12,
    build(t, rng) {
      const tenant = t.pickIngestTenant(rng);
      return {
        method: 'POST',
        path: '/ingest/workflow_runs',
        key: tenant.key,
        headers: { 'content-type': 'application/x-ndjson' },
        body: t.runBatch(tenant.id),
        keepBody: true,
        principal: tenant.id,
        expect: 'json-ingest',
        cacheable: false,
      };
    },
  },
  {
    name: 'ingest_metrics',
    method: 'POST',
    pattern: '/ingest/metrics',
    kind: 'ingest',
    weight: 8,
    build(t, rng) {
      const tenant = t.pickIngestTenant(rng);
      return {
        method: 'POST',
        path: '/ingest/metrics',
        key: tenant.key,
        headers: { 'content-type': 'application/x-ndjson' },
        body: t.metricBatch(tenant.id),
        keepBody: true,
        principal: tenant.id,
        expect: 'json-ingest',
        cacheable: false,
      };
    },
  },
  reportRoute('overview', '/reports/overview', 10),
  {
    name: 'report_overview_admin',
    method: 'GET',
    pattern: '/reports/overview (admin, all tenants)',
    kind: 'report',
    weight: 6,
    build(t, rng) {
      const { headers, cacheable } = cacheHeaders(rng);
      return {
        method: 'GET',
        path: `/reports/overview${qs(cacheable ? { from: t.fromDate, to: t.toDate } : { from: t.fromDate, to: t.toDate, tz: TZS[Math.floor(rng() * TZS.length)] })}`,
        key: t.ctx.adminKey,
        headers,
        keepBody: true,
        principal: 'admin',
        expect: 'json-report',
        cacheable,
      };
    },
  },
  reportRoute('mttr', '/reports/mttr', 8, (rng) => ({ group_by: [undefined, 'service', 'severity'][Math.floor(rng() * 3)] })),
  reportRoute('costs', '/reports/costs', 8),
  {
    name: 'report_trends',
    method: 'GET',
    pattern: '/reports/trends/{tenant_id}',
    kind: 'report',
    weight: 8,
    build(t, rng) {
      const tenant = t.pickTenant(rng);
      const { headers, cacheable } = cacheHeaders(rng);
      const hourly = !cacheable && rng() < 0.5;
      const tz = TZS[Math.floor(rng() * TZS.length)];
      const params = cacheable
        ? { from: t.fromDate, to: t.toDate } // a dashboard's view: daily, UTC
        : hourly
          ? { from: t.weekFromDate, to: t.toDate, tz, granularity: 'hour' }
          : { from: t.fromDate, to: t.toDate, tz, granularity: rng() < 0.5 ? 'day' : 'week' };
      return {
        method: 'GET',
        path: `/reports/trends/${encodeURIComponent(tenant.id)}${qs(params)}`,
        key: tenant.key,
        headers,
        keepBody: true,
        principal: tenant.id,
        expect: 'json-report',
        cacheable,
      };
    },
  },
  reportRoute('health', '/reports/health', 8),
  reportRoute('predictions', '/reports/predictions', 8, (rng) => ({ threshold: rng() < 0.5 ? undefined : '0.7' })),
  {
    name: 'export_raw_workflow_runs',
    method: 'GET',
    pattern: '/export/csv/raw_workflow_runs',
    kind: 'export',
    weight: 6,
    build(t, rng) {
      const tenant = t.pickTenant(rng);
      return {
        method: 'GET',
        path: `/export/csv/raw_workflow_runs${qs({ from: t.exportRunsFrom, to: t.exportRunsTo })}`,
        key: tenant.key,
        principal: tenant.id,
        expect: 'csv',
        cacheable: false,
      };
    },
  },
  {
    name: 'export_raw_metrics',
    method: 'GET',
    pattern: '/export/csv/raw_metrics',
    kind: 'export',
    weight: 4,
    build(t, rng) {
      const tenant = t.pickTenant(rng);
      return {
        method: 'GET',
        path: `/export/csv/raw_metrics${qs({ from: t.exportMetricsFrom, to: t.exportMetricsTo })}`,
        key: tenant.key,
        principal: tenant.id,
        expect: 'csv',
        cacheable: false,
      };
    },
  },
];

/** Draws a route by weight. */
export function routePicker(routes: readonly RouteSpec[]): (rng: () => number) => RouteSpec {
  const total = routes.reduce((a, r) => a + r.weight, 0);
  return (rng) => {
    let x = rng() * total;
    for (const r of routes) {
      x -= r.weight;
      if (x < 0) return r;
    }
    return routes[routes.length - 1]!;
  };
}

export { createRng };
