// Dev-only fake API (never part of the build): `ATOM_MOCK=1 npx vite --config web/vite.config.ts`.
// Keys: "admin" (admin, tenants acme + globex + newco), "tenant" (tenant acme), "empty" (tenant newco,
// no data); anything else is 401. Numbers are deterministic pseudo-data, not real report maths.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';

const TENANTS = [
  { id: 'acme', name: 'Acme Corp' },
  { id: 'globex', name: 'Globex' },
  { id: 'newco', name: 'NewCo' },
];
const SERVICES = ['billing', 'checkout', 'search', 'auth'];
const KEYS: Record<string, string | null> = { admin: null, tenant: 'acme', empty: 'newco' };

function rand(seed: string): number {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message, details: [] } });
}

function runsOn(tenant: string, day: string, hour?: number): number {
  if (tenant === 'newco') return 0;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  const base = weekday === 0 || weekday === 6 ? 4 : 14;
  if (hour === undefined) return Math.round(base * 10 * (0.6 + rand(tenant + day)));
  const office = hour >= 8 && hour <= 18 ? 1 : 0.15;
  return Math.round(base * office * (0.4 + rand(tenant + day + hour)));
}

function reports(tenants: string[], from: string, to: string, path: string, query: URLSearchParams): unknown {
  const period = { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` };
  const ds = days(from, to);
  const scale = ds.length / 30;
  const name = (id: string) => TENANTS.find((t) => t.id === id)?.name ?? id;
  const total = (t: string) => ds.reduce((a, d) => a + runsOn(t, d), 0);
  const failed = (t: string) => Math.round(total(t) * (0.03 + 0.05 * rand(t + from)));
  switch (path) {
    case '/reports/overview':
      return {
        period,
        rows: tenants.map((t) => ({
          tenant_id: t,
          tenant_name: name(t),
          total_workflows: total(t),
          failed_workflows: failed(t),
          failure_rate_percent: total(t) ? (100 * failed(t)) / (total(t) - 3) : null,
          avg_duration_ms: total(t) ? 42_000 : null,
          p95_duration_ms: total(t) ? 180_000 : null,
          avg_p95_latency_ms: total(t) ? 320 : null,
          avg_throughput_rps: total(t) ? 12.5 : null,
          total_predictions: Math.round(total(t) / 2),
          avg_failure_probability: total(t) ? 0.08 : null,
        })),
      };
    case '/reports/mttr': {
      const group = query.get('group_by');
      const rows = tenants.flatMap((t): Array<Record<string, unknown>> =>
        t === 'newco'
          ? group
            ? []
            : [{ tenant_id: t, incident_count: 0, resolved_count: 0, open_count: 0, mttr_avg_seconds: null, mttr_median_seconds: null, mttr_p95_seconds: null, mtta_avg_seconds: null, mtta_median_seconds: null }]
          : (group === 'service' ? SERVICES : [null]).map((s) => {
              const r = rand(t + (s ?? '') + from);
              const n = Math.max(1, Math.round(scale * 8 * (s ? 1 : 4) * r));
              return {
                tenant_id: t,
                ...(s ? { service: s } : {}),
                incident_count: n + 1,
                resolved_count: n,
                open_count: 1,
                mttr_avg_seconds: 2400 * (0.5 + r),
                mttr_median_seconds: 1800 * (0.5 + r),
                mttr_p95_seconds: 9000 * (0.5 + r),
                mtta_avg_seconds: 300,
                mtta_median_seconds: 240,
              };
            }),
      );
      return { period, rows };
    }
    case '/reports/costs': {
      const prices = { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 };
      return {
        period,
        price_book: prices,
        rows: tenants.map((t) => {
          const runs = total(t);
          const samples = t === 'newco' ? 0 : ds.length * 24 * SERVICES.length;
          const preds = Math.round(runs / 2);
          const wc = runs * 0.01;
          const mc = samples * 0.005;
          const pc = preds * 0.02;
          return { tenant_id: t, workflow_runs: runs, metric_samples: samples, predictions: preds, workflow_cost: wc, monitoring_cost: mc, prediction_cost: pc, total_cost: wc + mc + pc, cost_per_hour: (wc + mc + pc) / (ds.length * 24), prices };
        }),
      };
    }
    case '/reports/health':
      return {
        period,
        rows: tenants
          .filter((t) => t !== 'newco')
          .flatMap((t) =>
            SERVICES.map((s, i) => {
              const status = i === 1 && t === 'acme' ? 'degraded' : i === 3 && t === 'globex' ? 'down' : 'healthy';
              return {
                tenant_id: t,
                service: s,
                latest_ts: `${to}T00:00:00Z`,
                latest_p95_latency_ms: 180 + 400 * rand(t + s),
                latest_error_rate: status === 'down' ? 0.52 : status === 'degraded' ? 0.07 : 0.004,
                latest_throughput_rps: 10 + 20 * rand(s),
                open_incidents: status === 'healthy' ? 0 : 1,
                uptime_percent: status === 'down' ? 97.2 : 100 - rand(t + s) * 0.3,
                status,
              };
            }),
          ),
      };
    case '/reports/predictions':
      return {
        period,
        rows: tenants
          .filter((t) => t !== 'newco')
          .map((t) => ({
            tenant_id: t,
            model: t === 'acme' ? 'gbm-v3' : 'logreg',
            predictions: Math.round(total(t) / 2),
            evaluated: Math.round(total(t) / 2.2),
            accuracy: 0.91,
            precision: 0.6,
            recall: 0.55,
            f1: 0.57,
            brier_score: 0.071,
            roc_auc: 0.8 + 0.1 * rand(t + from),
            calibration: Array.from({ length: 10 }, (_, k) => {
              const count = Math.round(200 / (k + 1));
              const mean = k / 10 + 0.05;
              return { bin_lower: k / 10, bin_upper: (k + 1) / 10, count, mean_predicted: mean, observed_failure_rate: Math.min(1, Math.max(0, mean + (rand(t + k) - 0.5) * 0.15)) };
            }),
          })),
      };
  }
  const trend = /^\/reports\/trends\/([^/]+)$/.exec(path);
  if (trend) {
    const t = decodeURIComponent(trend[1]);
    const granularity = query.get('granularity') ?? 'day';
    const points = ds.flatMap((d) =>
      (granularity === 'hour' ? Array.from({ length: 24 }, (_, h) => h) : [undefined]).map((h) => {
        const w = runsOn(t, d, h);
        const f = Math.round(w * 0.06 * rand(t + d + (h ?? '')));
        return {
          bucket_start: `${d}T${String(h ?? 0).padStart(2, '0')}:00:00+00:00`,
          workflows: w,
          failed_workflows: f,
          failure_rate_percent: w ? (100 * f) / w : null,
          avg_duration_ms: w ? 40_000 : null,
          incidents_opened: f ? 1 : 0,
          predictions: Math.round(w / 2),
          avg_p95_latency_ms: w ? 300 : null,
        };
      }),
    );
    return { tenant_id: t, granularity, tz: query.get('tz') ?? 'UTC', points };
  }
  return undefined;
}

function handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const url = new URL(req.url ?? '/', 'http://mock');
  const path = url.pathname;
  if (!/^\/(tenants|reports|export|ingest|keys)(\/|$)/.test(path)) return next();
  if (url.searchParams.has('key') || url.searchParams.has('api_key')) return error(res, 400, 'key_in_url', 'Keys never go in URLs.');
  const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!auth || !(auth[1] in KEYS)) return error(res, 401, 'unauthorized', 'Missing or unknown API key.');
  const own = KEYS[auth[1]];
  setTimeout(() => {
    if (path === '/tenants') return own ? error(res, 403, 'forbidden', 'Admin key required.') : send(res, 200, { tenants: TENANTS });
    const q = url.searchParams;
    const today = new Date().toISOString().slice(0, 10);
    const from = q.get('from') ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const to = q.get('to') ?? today;
    const asked = q.get('tenant_id');
    const trendTenant = /^\/(?:reports\/trends|export\/csv\/trends)\/?([^/]*)$/.exec(path)?.[1];
    const named = asked ?? (trendTenant || null);
    if (own && named && named !== own) return error(res, 404, 'tenant_not_found', 'Tenant not found.');
    if (named && !TENANTS.some((t) => t.id === named)) return error(res, 404, 'tenant_not_found', 'Tenant not found.');
    const tenants = own ? [own] : asked ? [asked] : TENANTS.map((t) => t.id);
    const csv = /^\/export\/csv\/([a-z_]+)$/.exec(path);
    if (csv) {
      const type = csv[1];
      const reportPath = type === 'trends' ? `/reports/trends/${asked ?? ''}` : `/reports/${type}`;
      const body = reports(tenants, from, to, reportPath, q) as { rows?: Array<Record<string, unknown>>; points?: Array<Record<string, unknown>> } | undefined;
      const rows = body?.rows ?? body?.points ?? [];
      const cols = rows[0] ? Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object' || rows[0][k] === null) : ['tenant_id'];
      const text = [cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\r\n') + '\r\n';
      res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename=${type}_report.csv` });
      return res.end(text);
    }
    const body = reports(tenants, from, to, path, q);
    if (body === undefined) return error(res, 404, 'not_found', 'No such route.');
    send(res, 200, body, { 'X-Cache': 'miss' });
  }, 120);
}

export function mockApi(): Plugin {
  return {
    name: 'atom-mock-api',
    configureServer(server) {
      server.middlewares.use(handle);
    },
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}
