import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config.ts';
import { costsReport } from '../../src/reports/costs.ts';
import { percentileOf } from '../../src/reports/metrics/percentile.ts';
import { mttrReport } from '../../src/reports/mttr.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import {
  refCosts,
  refHealth,
  refMttr,
  type RefIncidentRecord,
  type RefRun,
  type RefSample,
} from '../reference/reports-reference-a.ts';

const S = 1000;
const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

type Tenant = { id: string; key: string; keyId: string };

/** Equal, except numbers, which may differ by a relative 1e-9 (floating point summation order). */
function assertClose(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-12;
    assert.ok(Math.abs(actual - expected) <= tolerance, `${path}: ${actual} is not close to ${expected}`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${JSON.stringify(actual)}`);
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected as object), `${path}: keys`);
    for (const [k, v] of Object.entries(expected as object)) assertClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

const incident = (id: string, over: Record<string, unknown>) => ({ id, service: 'api', severity: 'high', ...over });
const sample = (service: string, ts: string, over: Record<string, unknown> = {}) => ({
  service,
  ts,
  p95_latency_ms: 100,
  throughput_rps: 10,
  error_rate: 0,
  ...over,
});
const runAt = (id: string, started: string, service = 'api') => ({
  id,
  workflow_id: 'wf',
  service,
  status: 'succeeded',
  started_at: started,
  finished_at: started,
});

await describeEachEngine('reports: mttr, costs, health', (engine) => {
  let app: TestApp;
  let other: Tenant;

  async function ingest(t: Tenant, kind: string, body: unknown[]): Promise<void> {
    if (body.length === 0) return;
    const res = await app.request('POST', `/ingest/${kind}`, { key: t.key, body });
    assert.equal(res.status, 200, `ingest ${kind}: ${res.text}`);
  }

  async function report<T = any>(path: string, key?: string): Promise<T> {
    const res = await app.request('GET', path, key === undefined ? {} : { key });
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res.body as T;
  }

  before(async () => {
    app = await startTestApp(engine);
    other = await app.createTenant();
  });
  after(async () => app?.close());

  describe('GET /reports/mttr', () => {
    const period = 'from=2026-03-01&to=2026-03-02';
    let t: Tenant;

    before(async () => {
      t = await app.createTenant();
      await ingest(t, 'incidents', [
        incident('m1', { severity: 'critical', opened_at: '2026-03-01T10:00:00Z', acknowledged_at: '2026-03-01T10:00:02Z', resolved_at: '2026-03-01T10:00:10Z' }),
        incident('m2', { opened_at: '2026-03-01T11:00:00Z', acknowledged_at: '2026-03-01T11:00:04Z', resolved_at: '2026-03-01T11:00:20Z' }),
        incident('m3', { service: 'db', opened_at: '2026-03-01T12:00:00Z', resolved_at: '2026-03-01T12:00:30Z' }),
        incident('m4', { service: 'db', severity: 'low', opened_at: '2026-03-01T13:00:00Z', acknowledged_at: '2026-03-01T13:00:06Z', resolved_at: '2026-03-01T13:00:40Z' }),
        // Open: counted as open, never as a zero-length repair.
        incident('m5', { service: 'db', severity: 'low', opened_at: '2026-03-01T14:00:00Z', acknowledged_at: '2026-03-01T14:00:08Z' }),
        // Outside [from, to): opened exactly at `to`, and 1 ms before `from`.
        incident('m6', { opened_at: '2026-03-02T00:00:00Z', resolved_at: '2026-03-02T01:00:00Z' }),
        incident('m7', { opened_at: '2026-02-28T23:59:59.999Z', resolved_at: '2026-03-01T00:00:00Z' }),
      ]);
    });

    it('gives counts, mean, median and p95 over resolved incidents, and MTTA over acknowledged ones', async () => {
      const body = await report(`/reports/mttr?${period}`, t.key);
      assert.deepEqual(body.period, { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
      assert.equal(body.rows.length, 1);
      const row = body.rows[0];
      assert.deepEqual(Object.keys(row), [
        'tenant_id',
        'incident_count',
        'resolved_count',
        'open_count',
        'mttr_avg_seconds',
        'mttr_median_seconds',
        'mttr_p95_seconds',
        'mtta_avg_seconds',
        'mtta_median_seconds',
      ]);
      assert.equal(row.tenant_id, t.id);
      assert.equal(row.incident_count, 5);
      assert.equal(row.resolved_count, 4);
      assert.equal(row.open_count, 1);
      assert.equal(row.mttr_avg_seconds, 25);
      assert.equal(row.mttr_median_seconds, 25, 'median of 10, 20, 30, 40 s');
      assertClose(row.mttr_p95_seconds, 38.5);
      assert.equal(row.mtta_avg_seconds, 5);
      assert.equal(row.mtta_median_seconds, 5);
    });

    it('interpolates p95 of 1..20 s to 19.05 s and keeps milliseconds', async () => {
      const u = await app.createTenant();
      const base = at('2026-03-01T00:00:00Z');
      await ingest(
        u,
        'incidents',
        Array.from({ length: 20 }, (_, i) => incident(`p${i}`, { opened_at: iso(base + i * H), resolved_at: iso(base + i * H + (i + 1) * S) })),
      );
      const row = (await report(`/reports/mttr?${period}`, u.key)).rows[0];
      assertClose(row.mttr_p95_seconds, 19.05);
      assert.equal(row.mttr_median_seconds, 10.5);
      assert.equal(row.mttr_avg_seconds, 10.5);
      assert.equal(row.mtta_avg_seconds, null);

      const v = await app.createTenant();
      await ingest(v, 'incidents', [incident('ms', { opened_at: '2026-03-01T00:00:00Z', resolved_at: '2026-03-01T00:00:01.5Z' })]);
      const ms = (await report(`/reports/mttr?${period}`, v.key)).rows[0];
      assert.equal(ms.mttr_avg_seconds, 1.5, 'durations are not truncated to whole seconds');
      assert.equal(ms.mttr_p95_seconds, 1.5);
    });

    it('adds the group column after tenant_id, with rows only for values that have incidents', async () => {
      const byService = await report(`/reports/mttr?${period}&group_by=service`, t.key);
      assert.deepEqual(
        byService.rows.map((r: any) => [r.tenant_id, r.service, r.incident_count, r.resolved_count, r.open_count, r.mttr_avg_seconds, r.mtta_avg_seconds]),
        [
          [t.id, 'api', 2, 2, 0, 15, 3],
          [t.id, 'db', 3, 2, 1, 35, 7],
        ],
      );
      assert.deepEqual(Object.keys(byService.rows[0]).slice(0, 3), ['tenant_id', 'service', 'incident_count']);

      const bySeverity = await report(`/reports/mttr?${period}&group_by=severity`, t.key);
      assert.deepEqual(
        bySeverity.rows.map((r: any) => [r.severity, r.incident_count, r.open_count, r.mttr_median_seconds]),
        [
          ['critical', 1, 0, 10],
          ['high', 2, 0, 25],
          ['low', 2, 1, 40],
        ],
        'no medium row: no medium incidents in the period',
      );
    });

    it('gives an empty tenant zeros and nulls, and no grouped rows', async () => {
      const empty = await app.createTenant();
      const body = await report(`/reports/mttr?${period}`, empty.key);
      assert.deepEqual(body.rows, [
        {
          tenant_id: empty.id,
          incident_count: 0,
          resolved_count: 0,
          open_count: 0,
          mttr_avg_seconds: null,
          mttr_median_seconds: null,
          mttr_p95_seconds: null,
          mtta_avg_seconds: null,
          mtta_median_seconds: null,
        },
      ]);
      assert.deepEqual((await report(`/reports/mttr?${period}&group_by=service`, empty.key)).rows, []);
    });

    it('lists every tenant for the admin, ordered by tenant_id', async () => {
      const body = await report(`/reports/mttr?${period}`);
      const ids = body.rows.map((r: any) => r.tenant_id);
      assert.ok(ids.includes(t.id) && ids.includes(other.id));
      assert.deepEqual(ids, [...ids].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
      const narrowed = await report(`/reports/mttr?${period}&tenant_id=${t.id}&group_by=service`);
      assert.deepEqual(narrowed.rows, (await report(`/reports/mttr?${period}&group_by=service`, t.key)).rows);
    });

    it('rejects an unknown group_by with 400 validation_error', async () => {
      for (const value of ['tenant', 'SERVICE', '']) {
        const res = await app.request('GET', `/reports/mttr?${period}&group_by=${value}`, { key: t.key });
        assert.equal(res.status, 400, value);
        assert.equal(res.body.error.code, 'validation_error');
      }
    });

    it('has CSV columns with the group column right after tenant_id, even without rows', async () => {
      const grouped = (await mttrReport.run({ storage: app.server.storage, config: loadConfig({}) }, { fromMs: 0, toMs: 1, tz: 'UTC', tenantIds: [t.id] }, { group_by: 'severity' })) as object;
      assert.equal(JSON.stringify(grouped), '{"period":{"from":"1970-01-01T00:00:00.000Z","to":"1970-01-01T00:00:00.001Z"},"rows":[]}');
      assert.deepEqual(mttrReport.csv!(grouped).columns.slice(0, 3), ['tenant_id', 'severity', 'incident_count']);
      const plain = await report(`/reports/mttr?${period}`, t.key);
      assert.deepEqual(mttrReport.csv!(plain).columns, Object.keys(plain.rows[0]));
    });
  });

  describe('GET /reports/costs', () => {
    const period = 'from=2026-03-01&to=2026-03-02';
    let t: Tenant;

    before(async () => {
      t = await app.createTenant();
      await ingest(t, 'workflow_runs', [
        runAt('c1', '2026-03-01T00:00:00Z'),
        runAt('c2', '2026-03-01T12:00:00Z'),
        { ...runAt('c3', '2026-03-01T23:59:59.999Z'), status: 'running', finished_at: undefined },
        runAt('c-out', '2026-03-02T00:00:00Z'),
      ]);
      await ingest(t, 'metrics', [
        sample('api', '2026-03-01T01:00:00Z'),
        sample('db', '2026-03-01T01:00:00Z'),
        sample('api', '2026-02-28T23:59:59.999Z'),
        sample('api', '2026-03-02T00:00:00Z'),
      ]);
      await ingest(t, 'predictions', [
        { id: 'p1', model: 'm', predicted_at: '2026-03-01T05:00:00Z', failure_probability: 0.4 },
        { id: 'p-out', model: 'm', predicted_at: '2026-03-02T00:00:00Z', failure_probability: 0.4 },
      ]);
    });

    it('counts records of any status and prices them exactly', async () => {
      const body = await report(`/reports/costs?${period}`, t.key);
      assert.deepEqual(body.price_book, { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 });
      assert.deepEqual(body.rows, [
        {
          tenant_id: t.id,
          workflow_runs: 3,
          metric_samples: 2,
          predictions: 1,
          workflow_cost: 0.03,
          monitoring_cost: 0.01,
          prediction_cost: 0.02,
          total_cost: 0.06,
          cost_per_hour: 0.06 / 24,
          prices: { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 },
        },
      ]);
    });

    it('applies a tenant price override in the next answer, down to one micro-dollar', async () => {
      let res = await app.request('PUT', `/tenants/${t.id}/prices`, { body: { workflow_run: 0.000001, metric_sample: 0.123457 } });
      assert.equal(res.status, 200);
      let row = (await report(`/reports/costs?${period}`, t.key)).rows[0];
      assert.deepEqual(row.prices, { workflow_run: 0.000001, metric_sample: 0.123457, prediction: 0.02 });
      assert.equal(row.workflow_cost, 0.000003);
      assert.equal(row.monitoring_cost, 0.246914);
      assert.equal(row.total_cost, 0.266917);

      res = await app.request('PUT', `/tenants/${t.id}/prices`, { body: { workflow_run: null, metric_sample: null } });
      assert.equal(res.status, 200);
      row = (await report(`/reports/costs?${period}`, t.key)).rows[0];
      assert.deepEqual(row.prices, { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 });
      assert.equal(row.total_cost, 0.06);
      const admin = await report(`/reports/costs?${period}`);
      assert.deepEqual(admin.price_book, { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 });
    });

    it('divides by the 23 real hours of a spring-forward day', async () => {
      const u = await app.createTenant();
      await ingest(u, 'workflow_runs', [runAt('dst', '2026-03-08T12:00:00-04:00')]);
      const body = await report('/reports/costs?from=2026-03-08&to=2026-03-09&tz=America/New_York', u.key);
      assert.deepEqual(body.period, { from: '2026-03-08T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
      assert.equal(body.rows[0].total_cost, 0.01);
      assert.equal(body.rows[0].cost_per_hour, 0.01 / 23);
    });

    it('gives an empty tenant zero counts and costs', async () => {
      const empty = await app.createTenant();
      const row = (await report(`/reports/costs?${period}`, empty.key)).rows[0];
      assert.deepEqual(row, {
        tenant_id: empty.id,
        workflow_runs: 0,
        metric_samples: 0,
        predictions: 0,
        workflow_cost: 0,
        monitoring_cost: 0,
        prediction_cost: 0,
        total_cost: 0,
        cost_per_hour: 0,
        prices: { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 },
      });
    });

    it('flattens prices into prices_* CSV columns in JSON field order', async () => {
      const body = await report(`/reports/costs?${period}`, t.key);
      const csv = costsReport.csv!(body);
      assert.deepEqual(csv.columns, [
        'tenant_id',
        'workflow_runs',
        'metric_samples',
        'predictions',
        'workflow_cost',
        'monitoring_cost',
        'prediction_cost',
        'total_cost',
        'cost_per_hour',
        'prices_workflow_run',
        'prices_metric_sample',
        'prices_prediction',
      ]);
      assert.deepEqual(Object.keys(csv.rows[0]), csv.columns);
      assert.equal(csv.rows[0].prices_metric_sample, 0.005);
    });
  });

  describe('GET /reports/health', () => {
    const from = at('2026-03-01T00:00:00Z');
    const to = at('2026-03-02T00:00:00Z');
    const period = 'from=2026-03-01&to=2026-03-02';
    let t: Tenant;
    let rows: Record<string, any>;

    before(async () => {
      t = await app.createTenant();
      await ingest(t, 'metrics', [
        sample('api', '2026-02-20T00:00:00Z', { error_rate: 0.9 }),
        sample('api', '2026-03-01T23:59:59.999Z', { p95_latency_ms: 200, throughput_rps: 50, error_rate: 0.01 }),
        sample('api', '2026-03-02T00:00:00Z', { error_rate: 0.99, p95_latency_ms: 9999 }), // at `to`: ignored
        sample('stale', '2025-12-01T00:00:00Z', { error_rate: 0.2 }), // long before the period, still the latest
        sample('err-down', '2026-03-01T10:00:00Z', { error_rate: 0.5 }),
        sample('err-degraded', '2026-03-01T10:00:00Z', { error_rate: 0.05 }),
        sample('err-ok', '2026-03-01T10:00:00Z', { error_rate: 0.0499 }),
        sample('lat-ok', '2026-03-01T10:00:00Z', { p95_latency_ms: 1000 }),
        sample('lat-degraded', '2026-03-01T10:00:00Z', { p95_latency_ms: 1000.001 }),
      ]);
      await ingest(t, 'incidents', [
        // db: overlapping critical outages 06–12 and 09–15 (9 h), plus 2 h of one opened before `from`.
        incident('db-1', { service: 'db', severity: 'critical', opened_at: '2026-03-01T06:00:00Z', resolved_at: '2026-03-01T12:00:00Z' }),
        incident('db-2', { service: 'db', severity: 'critical', opened_at: '2026-03-01T09:00:00Z', resolved_at: '2026-03-01T15:00:00Z' }),
        incident('db-3', { service: 'db', severity: 'critical', opened_at: '2026-02-28T22:00:00Z', resolved_at: '2026-03-01T02:00:00Z' }),
        incident('db-4', { service: 'db', severity: 'high', opened_at: '2026-03-01T03:00:00Z', resolved_at: '2026-03-01T23:00:00Z' }),
        // cache: a high incident resolved exactly at `to` is still open.
        incident('cache-1', { service: 'cache', opened_at: '2026-03-01T20:00:00Z', resolved_at: '2026-03-02T00:00:00Z' }),
        // edge: a critical one resolved exactly at `to` is open, and down until `to`.
        incident('edge-1', { service: 'edge', severity: 'critical', opened_at: '2026-03-01T18:00:00Z', resolved_at: '2026-03-02T00:00:00Z' }),
        // pager: unresolved critical since before the period: down all period.
        incident('pager-1', { service: 'pager', severity: 'critical', opened_at: '2026-02-01T00:00:00Z' }),
        // later: opened exactly at `to`: not open, no downtime.
        incident('later-1', { service: 'later', severity: 'critical', opened_at: '2026-03-02T00:00:00Z' }),
      ]);
      await ingest(t, 'workflow_runs', [runAt('q1', '2025-06-01T00:00:00Z', 'queue'), runAt('f1', '2026-06-01T00:00:00Z', 'future')]);
      const body = await report(`/reports/health?${period}`, t.key);
      rows = Object.fromEntries(body.rows.map((r: any) => [r.service, r]));
    });

    it('has one row per service of any record at any time, ordered by service', async () => {
      const body = await report(`/reports/health?${period}`, t.key);
      assert.deepEqual(
        body.rows.map((r: any) => r.service),
        ['api', 'cache', 'db', 'edge', 'err-degraded', 'err-down', 'err-ok', 'future', 'lat-degraded', 'lat-ok', 'later', 'pager', 'queue', 'stale'],
      );
      assert.ok(body.rows.every((r: any) => r.tenant_id === t.id));
      assert.deepEqual(Object.keys(body.rows[0]), [
        'tenant_id',
        'service',
        'latest_ts',
        'latest_p95_latency_ms',
        'latest_error_rate',
        'latest_throughput_rps',
        'open_incidents',
        'uptime_percent',
        'status',
      ]);
    });

    it('takes the newest sample strictly before `to`, however old', () => {
      assert.deepEqual(rows.api, {
        tenant_id: t.id,
        service: 'api',
        latest_ts: '2026-03-01T23:59:59.999Z',
        latest_p95_latency_ms: 200,
        latest_error_rate: 0.01,
        latest_throughput_rps: 50,
        open_incidents: 0,
        uptime_percent: 100,
        status: 'healthy',
      });
      assert.equal(rows.stale.latest_ts, '2025-12-01T00:00:00.000Z');
      assert.equal(rows.stale.status, 'degraded');
    });

    it('gives a service without samples null latest values and a status from incidents alone', () => {
      assert.deepEqual(rows.queue, {
        tenant_id: t.id,
        service: 'queue',
        latest_ts: null,
        latest_p95_latency_ms: null,
        latest_error_rate: null,
        latest_throughput_rps: null,
        open_incidents: 0,
        uptime_percent: 100,
        status: 'healthy',
      });
      assert.equal(rows.future.status, 'healthy');
      assert.equal(rows.cache.latest_ts, null);
      assert.equal(rows.cache.status, 'degraded');
    });

    it('counts overlapping critical outages once, including one opened before `from`', () => {
      assertClose(rows.db.uptime_percent, 100 * (1 - (11 * H) / (24 * H)));
      assert.equal(rows.db.open_incidents, 0);
      assert.equal(rows.db.status, 'healthy');
      assert.equal(rows.pager.uptime_percent, 0);
      assert.equal(rows.pager.status, 'down');
      assert.equal(rows.later.uptime_percent, 100);
      assert.equal(rows.later.open_incidents, 0);
      assert.equal(to - from, D);
    });

    it('treats an incident resolved exactly at `to` as still open', () => {
      assert.equal(rows.cache.open_incidents, 1);
      assert.equal(rows.cache.uptime_percent, 100, 'only critical incidents count against uptime');
      assert.equal(rows.edge.open_incidents, 1);
      assert.equal(rows.edge.status, 'down');
      assert.equal(rows.edge.uptime_percent, 100 * (1 - 6 / 24));
    });

    it('applies the status thresholds: error rate ≥ 0.5 down, ≥ 0.05 degraded, p95 > 1000 ms degraded', () => {
      assert.equal(rows['err-down'].status, 'down');
      assert.equal(rows['err-degraded'].status, 'degraded');
      assert.equal(rows['err-ok'].status, 'healthy');
      assert.equal(rows['lat-ok'].status, 'healthy');
      assert.equal(rows['lat-degraded'].status, 'degraded');
    });

    it('moves with `to`: an earlier `to` sees older samples and other open incidents', async () => {
      const body = await report('/reports/health?from=2026-03-01T00:00:00Z&to=2026-03-01T10:30:00Z', t.key);
      const byService = Object.fromEntries(body.rows.map((r: any) => [r.service, r]));
      assert.equal(byService.api.latest_ts, '2026-02-20T00:00:00.000Z');
      assert.equal(byService.api.status, 'down', 'error rate 0.9 in the latest sample before this `to`');
      assert.equal(byService.db.open_incidents, 3);
      assert.equal(byService.db.status, 'down');
      assertClose(byService.db.uptime_percent, 100 * (1 - (2 * H + 4.5 * H) / (10.5 * H)));
    });
  });

  it('exports each report as CSV with the JSON field names as header', async () => {
    const t = await app.createTenant();
    await ingest(t, 'incidents', [incident('x1', { opened_at: '2026-03-01T01:00:00Z', resolved_at: '2026-03-01T01:00:30Z' })]);
    const headers: Record<string, string> = {
      'mttr?group_by=severity': 'tenant_id,severity,incident_count,resolved_count,open_count,mttr_avg_seconds,mttr_median_seconds,mttr_p95_seconds,mtta_avg_seconds,mtta_median_seconds',
      costs:
        'tenant_id,workflow_runs,metric_samples,predictions,workflow_cost,monitoring_cost,prediction_cost,total_cost,cost_per_hour,prices_workflow_run,prices_metric_sample,prices_prediction',
      health: 'tenant_id,service,latest_ts,latest_p95_latency_ms,latest_error_rate,latest_throughput_rps,open_incidents,uptime_percent,status',
    };
    for (const [type, header] of Object.entries(headers)) {
      const sep = type.includes('?') ? '&' : '?';
      const res = await app.request('GET', `/export/csv/${type}${sep}from=2026-03-01&to=2026-03-02`, { key: t.key });
      assert.equal(res.status, 200, `${type}: ${res.text}`);
      const lines = res.text.split('\r\n');
      assert.equal(lines[0], header, type);
      assert.ok(lines[1]!.startsWith(`${t.id},`), type);
    }
    const mttr = await app.request('GET', '/export/csv/mttr?from=2026-03-01&to=2026-03-02&group_by=severity', { key: t.key });
    assert.equal(mttr.text.split('\r\n')[1], `${t.id},high,1,1,0,30,30,30,,`);
    const bad = await app.request('GET', '/export/csv/mttr?group_by=team', { key: t.key });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_error');
  });

  it('answers 404 tenant_not_found when a tenant key names another tenant', async () => {
    const t = await app.createTenant();
    for (const path of ['/reports/mttr', '/reports/mttr?group_by=service', '/reports/costs', '/reports/health']) {
      const sep = path.includes('?') ? '&' : '?';
      const foreign = await app.request('GET', `${path}${sep}tenant_id=${other.id}`, { key: t.key });
      assert.equal(foreign.status, 404, path);
      assert.equal(foreign.body.error.code, 'tenant_not_found');
      const ghost = await app.request('GET', `${path}${sep}tenant_id=ghost`, { key: t.key });
      assert.deepEqual(ghost.body, foreign.body);
      assert.equal((await app.request('GET', `${path}${sep}tenant_id=ghost`)).status, 404, 'admin: unknown tenant');
    }
  });

  describe('against the naive reference (property-based)', () => {
    const from = at('2026-05-01T00:00:00Z');
    const to = at('2026-05-03T00:00:00Z');
    const query = `from=${iso(from)}&to=${iso(to)}`;
    // Each run ingests through HTTP, so keep it small; raise it locally with ATOM_PROPERTY_RUNS.
    const NUM_RUNS = Number(process.env.ATOM_PROPERTY_RUNS ?? 8);

    // Times cluster on the period bounds so the inclusive/exclusive edges are exercised.
    const instant = fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(from, to, from - 1, to - 1) },
      { weight: 6, arbitrary: fc.integer({ min: from - D, max: to + D }) },
    );
    const service = fc.constantFrom('api', 'db', 'web', 'Zeta');
    const delay = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * D }), fc.integer({ min: 1, max: 5 * S }));
    const incidentArb = fc
      .record({
        service,
        severity: fc.constantFrom('critical', 'high', 'medium', 'low') as fc.Arbitrary<RefIncidentRecord['severity']>,
        openedMs: instant,
        ack: fc.option(delay),
        resolve: fc.option(fc.oneof(delay, fc.constant('to' as const))),
      })
      .map(({ service, severity, openedMs, ack, resolve }): RefIncidentRecord => ({
        service,
        severity,
        openedMs,
        acknowledgedMs: ack === null ? null : openedMs + ack,
        resolvedMs: resolve === null ? null : resolve === 'to' ? Math.max(to, openedMs) : openedMs + resolve,
      }));
    const sampleArb = fc.record({
      service,
      tsMs: instant,
      p95LatencyMs: fc.oneof(fc.constantFrom(0, 999.5, 1000, 1000.5, 2500), fc.double({ min: 0, max: 5000, noNaN: true })),
      throughputRps: fc.double({ min: 0, max: 1000, noNaN: true }),
      errorRate: fc.oneof(fc.constantFrom(0, 0.049, 0.05, 0.3, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    });
    const runArb = fc.record({ service, startedMs: instant });

    const toIncident = (i: RefIncidentRecord, k: number) => ({
      id: `i${k}`,
      service: i.service,
      severity: i.severity,
      opened_at: iso(i.openedMs),
      ...(i.acknowledgedMs === null ? {} : { acknowledged_at: iso(i.acknowledgedMs) }),
      ...(i.resolvedMs === null ? {} : { resolved_at: iso(i.resolvedMs) }),
    });
    const toSample = (s: RefSample) => ({
      service: s.service,
      ts: iso(s.tsMs),
      p95_latency_ms: s.p95LatencyMs,
      throughput_rps: s.throughputRps,
      error_rate: s.errorRate,
    });
    const toRun = (r: RefRun, k: number) => runAt(`r${k}`, iso(r.startedMs), r.service);
    const samplesArb = fc.uniqueArray(sampleArb, { maxLength: 30, selector: (s) => `${s.service}|${s.tsMs}` });

    it('mttr matches per tenant, per service and per severity', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(incidentArb, { maxLength: 40 }), async (incidents) => {
          const t = await app.createTenant();
          await ingest(t, 'incidents', incidents.map(toIncident));
          for (const groupBy of [null, 'service', 'severity'] as const) {
            const body = await report(`/reports/mttr?${query}${groupBy ? `&group_by=${groupBy}` : ''}`, t.key);
            const expected = refMttr(incidents, from, to, groupBy).map(({ group, ...metrics }) => ({
              tenant_id: t.id,
              ...(groupBy ? { [groupBy]: group } : {}),
              ...metrics,
            }));
            assertClose(body.rows, expected, `rows (group_by=${groupBy})`);
          }
          // Bit-for-bit: the engine's percentile equals the one TypeScript definition over exact
          // millisecond durations, so DuckDB and PostgreSQL answer identically.
          const repairMs = incidents
            .filter((i) => i.openedMs >= from && i.openedMs < to && i.resolvedMs !== null)
            .map((i) => i.resolvedMs! - i.openedMs);
          const row = (await report(`/reports/mttr?${query}`, t.key)).rows[0];
          const exact = (p: number) => {
            const v = percentileOf(repairMs, p);
            return v === null ? null : v / 1000;
          };
          assert.equal(row.mttr_median_seconds, exact(0.5));
          assert.equal(row.mttr_p95_seconds, exact(0.95));
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('costs match, exactly, with random price overrides', async () => {
      const micros = fc.option(fc.integer({ min: 0, max: 2_000_000 }));
      await fc.assert(
        fc.asyncProperty(
          fc.array(runArb, { maxLength: 30 }),
          samplesArb,
          fc.array(instant, { maxLength: 30 }),
          fc.record({ workflow_run: micros, metric_sample: micros, prediction: micros }),
          async (runs, samples, predicted, overrides) => {
            const t = await app.createTenant();
            await ingest(t, 'workflow_runs', runs.map(toRun));
            await ingest(t, 'metrics', samples.map(toSample));
            await ingest(
              t,
              'predictions',
              predicted.map((ms, k) => ({ id: `p${k}`, model: 'm', predicted_at: iso(ms), failure_probability: 0.5 })),
            );
            const usd = (m: number | null) => (m === null ? null : m / 1e6);
            const put = await app.request('PUT', `/tenants/${t.id}/prices`, {
              body: { workflow_run: usd(overrides.workflow_run), metric_sample: usd(overrides.metric_sample), prediction: usd(overrides.prediction) },
            });
            assert.equal(put.status, 200, put.text);
            const body = await report(`/reports/costs?${query}`, t.key);
            const expected = refCosts(
              { runStartsMs: runs.map((r) => r.startedMs), sampleTsMs: samples.map((s) => s.tsMs), predictedMs: predicted },
              {
                workflowRun: overrides.workflow_run ?? 10_000,
                metricSample: overrides.metric_sample ?? 5_000,
                prediction: overrides.prediction ?? 20_000,
              },
              from,
              to,
            );
            // Money is exact: strict equality, not a tolerance.
            assert.deepEqual(body.rows, [{ tenant_id: t.id, ...expected }]);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it('health matches: latest samples, open incidents, uptime and status', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(runArb, { maxLength: 8 }), fc.array(incidentArb, { maxLength: 25 }), samplesArb, async (runs, incidents, samples) => {
          const t = await app.createTenant();
          await ingest(t, 'workflow_runs', runs.map(toRun));
          await ingest(t, 'incidents', incidents.map(toIncident));
          await ingest(t, 'metrics', samples.map(toSample));
          const body = await report(`/reports/health?${query}`, t.key);
          const expected = refHealth({ runs, incidents, samples }, from, to, {
            downErrorRate: 0.5,
            degradedErrorRate: 0.05,
            degradedP95LatencyMs: 1000,
          }).map((r) => ({ tenant_id: t.id, ...r }));
          assertClose(body.rows, expected, 'rows');
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
});
