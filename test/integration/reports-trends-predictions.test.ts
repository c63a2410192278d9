import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import { refBuckets } from '../reference/metrics-reference.ts';
import {
  refPredictionRows,
  refTrends,
  type RefDataset,
  type RefPredictionRecord,
  type RefRunRecord,
} from '../reference/reports-reference-b.ts';

type Tenant = { id: string; key: string; keyId: string };

const ms = (iso: string): number => Date.parse(iso);

/**
 * Deep equality where numbers may differ by a relative 1e-9 (the reference sums in its own order),
 * or by 2^-96 absolute: means of sent values keep 96 fraction bits (metrics/exact-sum.ts), so a
 * value below 2^-44 such as 5e-324 counts as its 2^-96 multiple.
 */
function assertClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const ok = actual === expected || Math.abs(actual - expected) <= Math.max(1e-9 * Math.max(Math.abs(actual), Math.abs(expected)), 2 ** -96);
    assert.ok(ok, `${path}: ${actual} is not within 1e-9 of ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object`);
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${path}: keys`);
    for (const [k, v] of Object.entries(expected)) assertClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

const column = <T,>(points: T[], field: keyof T) => points.map((p) => p[field]);

const run = (id: string, startedAt: string, over: Record<string, unknown> = {}) => ({
  id,
  workflow_id: 'wf',
  service: 'api',
  status: 'succeeded',
  started_at: startedAt,
  finished_at: startedAt,
  ...over,
});

interface Bin {
  bin_lower: number;
  bin_upper: number;
  count: number;
  mean_predicted: number | null;
  observed_failure_rate: number | null;
}

const emptyBins = (): Bin[] =>
  Array.from({ length: 10 }, (_, k) => ({ bin_lower: k / 10, bin_upper: (k + 1) / 10, count: 0, mean_predicted: null, observed_failure_rate: null }));

await describeEachEngine('trends and predictions reports', (engine) => {
  let app: TestApp;
  let other: Tenant;

  before(async () => {
    app = await startTestApp(engine);
    other = await app.createTenant();
  });
  after(async () => app?.close());

  async function ingest(key: string, kind: string, records: unknown[]): Promise<void> {
    if (records.length === 0) return;
    const res = await app.request('POST', `/ingest/${kind}`, { key, body: records });
    assert.equal(res.status, 200, `ingest ${kind}: ${res.text}`);
  }

  async function get(path: string, key?: string) {
    const res = await app.request('GET', path, key === undefined ? {} : { key });
    return res;
  }

  async function trends(t: Tenant, query: string) {
    const res = await get(`/reports/trends/${t.id}?${query}`, t.key);
    assert.equal(res.status, 200, res.text);
    return res.body as { tenant_id: string; granularity: string; tz: string; points: Record<string, unknown>[] };
  }

  describe('trends', () => {
    it('cuts New York days at local midnight across spring-forward: 2026-03-08 is a 23 h day', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [
        run('r1', '2026-03-07T23:59:59.999-05:00', { finished_at: '2026-03-08T00:00:00.999-05:00' }), // 1000 ms
        run('r2', '2026-03-08T00:00:00-05:00', { status: 'failed', finished_at: '2026-03-08T00:00:02-05:00' }), // 2000 ms
        run('r3', '2026-03-08T23:30:00-04:00', { finished_at: '2026-03-08T23:30:09-04:00', duration_ms: 4000 }),
        run('r4', '2026-03-08T12:00:00-04:00', { status: 'cancelled', finished_at: '2026-03-08T12:10:00-04:00' }),
        run('r5', '2026-03-09T00:00:00-04:00', { status: 'running', finished_at: undefined }),
      ]);
      await ingest(t.key, 'incidents', [
        { id: 'i1', service: 'api', severity: 'high', opened_at: '2026-03-08T03:00:00-04:00' },
        { id: 'i2', service: 'api', severity: 'low', opened_at: '2026-03-09T00:00:00-04:00' },
      ]);
      await ingest(t.key, 'metrics', [
        { service: 'api', ts: '2026-03-08T01:59:59-05:00', p95_latency_ms: 100, throughput_rps: 1, error_rate: 0 },
        { service: 'api', ts: '2026-03-08T03:00:00-04:00', p95_latency_ms: 200, throughput_rps: 1, error_rate: 0 },
      ]);
      await ingest(t.key, 'predictions', [{ id: 'p1', model: 'm', predicted_at: '2026-03-08T23:59:59.999-04:00', failure_probability: 0.5 }]);
      // Another tenant's records at the same instants never show up.
      await ingest(other.key, 'workflow_runs', [run('r2', '2026-03-08T00:00:00-05:00', { status: 'failed' })]);

      const body = await trends(t, 'from=2026-03-07&to=2026-03-10&tz=America/New_York');
      assert.equal(body.tenant_id, t.id);
      assert.equal(body.granularity, 'day');
      assert.equal(body.tz, 'America/New_York');
      assert.deepEqual(body.points, [
        {
          bucket_start: '2026-03-07T00:00:00-05:00',
          workflows: 1,
          failed_workflows: 0,
          failure_rate_percent: 0,
          avg_duration_ms: 1000,
          incidents_opened: 0,
          predictions: 0,
          avg_p95_latency_ms: null,
        },
        {
          bucket_start: '2026-03-08T00:00:00-05:00',
          workflows: 3,
          failed_workflows: 1,
          failure_rate_percent: 50,
          avg_duration_ms: 3000,
          incidents_opened: 1,
          predictions: 1,
          avg_p95_latency_ms: 150,
        },
        {
          bucket_start: '2026-03-09T00:00:00-04:00',
          workflows: 1,
          failed_workflows: 0,
          failure_rate_percent: null,
          avg_duration_ms: null,
          incidents_opened: 1,
          predictions: 0,
          avg_p95_latency_ms: null,
        },
      ]);

      // Spring forward by the hour: 01:00 is followed by 03:00, there is no 02:00 bucket.
      const hourly = await trends(t, `granularity=hour&tz=America/New_York&from=${encodeURIComponent('2026-03-08T00:00:00-05:00')}&to=${encodeURIComponent('2026-03-08T04:00:00-04:00')}`);
      assert.deepEqual(column(hourly.points, 'bucket_start'), ['2026-03-08T00:00:00-05:00', '2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00']);
      assert.deepEqual(column(hourly.points, 'workflows'), [1, 0, 0]);
      assert.deepEqual(column(hourly.points, 'avg_p95_latency_ms'), [null, 100, 200]);
      assert.deepEqual(column(hourly.points, 'incidents_opened'), [0, 0, 1]);
    });

    it('gives the fall-back day 25 h and the fall-back night two 01:00 hour buckets', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [
        run('f1', '2026-11-01T01:30:00-04:00'),
        run('f2', '2026-11-01T01:30:00-05:00', { status: 'failed' }),
        run('f3', '2026-11-01T23:30:00-05:00'),
        run('f4', '2026-11-02T00:00:00-05:00'),
      ]);
      const days = await trends(t, 'from=2026-10-31&to=2026-11-03&tz=America/New_York');
      assert.deepEqual(column(days.points, 'bucket_start'), ['2026-10-31T00:00:00-04:00', '2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00']);
      assert.deepEqual(column(days.points, 'workflows'), [0, 3, 1]);
      assert.deepEqual(column(days.points, 'failure_rate_percent'), [null, 100 / 3, 0]);

      const hours = await trends(t, `granularity=hour&tz=America/New_York&from=${encodeURIComponent('2026-11-01T00:00:00-04:00')}&to=${encodeURIComponent('2026-11-01T03:00:00-05:00')}`);
      assert.equal(hours.granularity, 'hour');
      assert.deepEqual(column(hours.points, 'bucket_start'), [
        '2026-11-01T00:00:00-04:00',
        '2026-11-01T01:00:00-04:00',
        '2026-11-01T01:00:00-05:00',
        '2026-11-01T02:00:00-05:00',
      ]);
      assert.deepEqual(column(hours.points, 'workflows'), [0, 1, 1, 0]);
      assert.deepEqual(column(hours.points, 'failed_workflows'), [0, 0, 1, 0]);
    });

    it('starts Kolkata (+05:30) and Kathmandu (+05:45) days at 18:30Z and 18:15Z of the previous UTC day', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [
        run('k1', '2026-02-28T18:29:59.999Z'),
        run('k2', '2026-02-28T18:30:00Z'),
        run('k3', '2026-03-01T18:29:59.999Z'),
        run('k4', '2026-03-01T18:30:00Z'),
        run('k5', '2026-03-02T18:29:59.999Z'),
        run('kt1', '2026-03-01T18:14:59.999Z'),
        run('kt2', '2026-03-01T18:15:00Z'),
      ]);
      await ingest(t.key, 'predictions', [
        { id: 'p1', model: 'm', predicted_at: '2026-03-01T18:14:59.999Z', failure_probability: 0.1 },
        { id: 'p2', model: 'm', predicted_at: '2026-03-01T18:15:00Z', failure_probability: 0.1 },
      ]);
      await ingest(t.key, 'metrics', [
        { service: 'api', ts: '2026-03-01T18:14:59.999Z', p95_latency_ms: 10, throughput_rps: 1, error_rate: 0 },
        { service: 'api', ts: '2026-03-01T18:15:00Z', p95_latency_ms: 30, throughput_rps: 1, error_rate: 0 },
      ]);
      await ingest(t.key, 'incidents', [
        { id: 'i1', service: 'api', severity: 'low', opened_at: '2026-03-01T18:29:59.999Z' },
        { id: 'i2', service: 'api', severity: 'low', opened_at: '2026-03-01T18:30:00Z' },
      ]);

      const kolkata = await trends(t, 'from=2026-03-01&to=2026-03-03&tz=Asia/Kolkata');
      assert.deepEqual(column(kolkata.points, 'bucket_start'), ['2026-03-01T00:00:00+05:30', '2026-03-02T00:00:00+05:30']);
      assert.deepEqual(column(kolkata.points, 'workflows'), [4, 2]);
      assert.deepEqual(column(kolkata.points, 'predictions'), [2, 0]);
      assert.deepEqual(column(kolkata.points, 'avg_p95_latency_ms'), [20, null]);
      assert.deepEqual(column(kolkata.points, 'incidents_opened'), [1, 1]);

      const kathmandu = await trends(t, 'from=2026-03-01&to=2026-03-03&tz=Asia/Kathmandu');
      assert.deepEqual(column(kathmandu.points, 'bucket_start'), ['2026-03-01T00:00:00+05:45', '2026-03-02T00:00:00+05:45']);
      assert.deepEqual(column(kathmandu.points, 'workflows'), [3, 3]);
      assert.deepEqual(column(kathmandu.points, 'predictions'), [1, 1]);
      assert.deepEqual(column(kathmandu.points, 'avg_p95_latency_ms'), [10, 30]);
      assert.deepEqual(column(kathmandu.points, 'incidents_opened'), [0, 2]);
    });

    it('stays exact for an offset that is not a multiple of 15 minutes (Monrovia, −00:44:30 until 1972)', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [run('m1', '1971-06-02T00:44:29.999Z'), run('m2', '1971-06-02T00:44:30Z')]);
      const body = await trends(t, 'from=1971-06-01&to=1971-06-03&tz=Africa/Monrovia');
      assert.deepEqual(column(body.points, 'bucket_start'), ['1971-06-01T00:00:00-00:44:30', '1971-06-02T00:00:00-00:44:30']);
      assert.deepEqual(column(body.points, 'workflows'), [1, 1]);
    });

    it('starts weeks on Monday, with the offset of each week’s first instant', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [
        run('w1', '2026-03-01T23:59:59+01:00'), // Sunday
        run('w2', '2026-03-02T00:00:00+01:00'), // Monday
        run('w3', '2026-03-08T23:59:59.999+01:00'),
        run('w4', '2026-03-09T00:00:00+01:00'),
        run('w5', '2026-03-16T00:00:00+01:00'), // at `to`: excluded
      ]);
      const weeks = await trends(t, 'granularity=week&from=2026-03-01&to=2026-03-16&tz=Europe/Berlin');
      assert.deepEqual(column(weeks.points, 'bucket_start'), ['2026-03-01T00:00:00+01:00', '2026-03-02T00:00:00+01:00', '2026-03-09T00:00:00+01:00']);
      assert.deepEqual(column(weeks.points, 'workflows'), [1, 2, 1]);
      const dst = await trends(t, 'granularity=week&from=2026-03-23&to=2026-04-06&tz=Europe/Berlin');
      assert.deepEqual(column(dst.points, 'bucket_start'), ['2026-03-23T00:00:00+01:00', '2026-03-30T00:00:00+02:00']);
    });

    it('starts the first bucket at a `from` inside a bucket', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [
        run('a0', '2026-03-10T05:29:59.999-04:00'),
        run('a1', '2026-03-10T05:30:00-04:00'),
        run('a2', '2026-03-10T23:59:59.999-04:00'),
        run('a3', '2026-03-11T00:00:00-04:00'),
      ]);
      for (const from of ['2026-03-10T05:30:00-04:00', '2026-03-10T09:30:00Z']) {
        const body = await trends(t, `from=${encodeURIComponent(from)}&to=2026-03-12&tz=America/New_York`);
        assert.deepEqual(column(body.points, 'bucket_start'), ['2026-03-10T05:30:00-04:00', '2026-03-11T00:00:00-04:00']);
        assert.deepEqual(column(body.points, 'workflows'), [2, 1]);
      }
      const hourly = await trends(t, `granularity=hour&from=${encodeURIComponent('2026-03-10T05:30:00-04:00')}&to=${encodeURIComponent('2026-03-10T07:15:00-04:00')}&tz=America/New_York`);
      assert.deepEqual(column(hourly.points, 'bucket_start'), ['2026-03-10T05:30:00-04:00', '2026-03-10T06:00:00-04:00', '2026-03-10T07:00:00-04:00']);
      assert.deepEqual(column(hourly.points, 'workflows'), [1, 0, 0]);
    });

    it('includes empty buckets with zero counts and null averages', async () => {
      const t = await app.createTenant();
      const body = await trends(t, 'from=2026-01-01&to=2026-01-03');
      const empty = (bucket_start: string) => ({
        bucket_start,
        workflows: 0,
        failed_workflows: 0,
        failure_rate_percent: null,
        avg_duration_ms: null,
        incidents_opened: 0,
        predictions: 0,
        avg_p95_latency_ms: null,
      });
      assert.deepEqual(body, { tenant_id: t.id, granularity: 'day', tz: 'UTC', points: [empty('2026-01-01T00:00:00+00:00'), empty('2026-01-02T00:00:00+00:00')] });
    });

    it('rejects an unknown granularity with 400 naming granularity', async () => {
      const t = await app.createTenant();
      for (const g of ['month', 'HOUR', 'days']) {
        const res = await get(`/reports/trends/${t.id}?granularity=${g}`, t.key);
        assert.equal(res.status, 400, g);
        assert.equal(res.body.error.code, 'validation_error');
        assert.equal(res.body.error.details[0].field, 'granularity');
      }
    });

    it('answers 404 tenant_not_found for another tenant, an unknown one, and an admin naming an unknown one', async () => {
      const t = await app.createTenant();
      const foreign = await get(`/reports/trends/${other.id}?from=2026-03-01&to=2026-03-02`, t.key);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.error.code, 'tenant_not_found');
      const ghost = await get('/reports/trends/ghost-tenant?from=2026-03-01&to=2026-03-02', t.key);
      assert.deepEqual(ghost.body, foreign.body);
      // Scope comes first: a bad parameter does not reveal whether the other tenant exists.
      const badParam = await get(`/reports/trends/${other.id}?granularity=month`, t.key);
      assert.equal(badParam.status, 404);
      const admin = await get('/reports/trends/ghost-tenant');
      assert.equal(admin.status, 404);
      assert.equal(admin.body.error.code, 'tenant_not_found');
      const adminOk = await get(`/reports/trends/${t.id}?from=2026-03-01&to=2026-03-02`);
      assert.equal(adminOk.status, 200);
      assert.equal(adminOk.body.tenant_id, t.id);
    });
  });

  describe('predictions', () => {
    let p: Tenant;
    let q: Tenant;

    before(async () => {
      p = await app.createTenant();
      q = await app.createTenant();
      await ingest(q.key, 'workflow_runs', [run('q-run', '2026-05-01T00:00:00Z', { status: 'failed' })]);
      await ingest(p.key, 'workflow_runs', [
        run('run-f', '2025-01-01T00:00:00Z', { status: 'failed' }), // long before the period: still links
        run('run-s', '2026-05-01T00:00:00Z'),
        run('run-c', '2026-05-01T00:00:00Z', { status: 'cancelled' }),
        run('run-r', '2026-05-01T00:00:00Z', { status: 'running', finished_at: undefined }),
      ]);
      const at = '2026-05-02T12:00:00Z';
      const pred = (id: string, model: string, failure_probability: number, over: Record<string, unknown> = {}) => ({
        id,
        model,
        predicted_at: at,
        failure_probability,
        ...over,
      });
      await ingest(p.key, 'predictions', [
        pred('e1', 'm1', 0.9, { outcome: 'failed' }),
        pred('e2', 'm1', 0.7, { workflow_run_id: 'run-f' }), // failed, from the linked run
        pred('e3', 'm1', 0.7, { workflow_run_id: 'run-f', outcome: 'succeeded' }), // own outcome wins
        pred('e4', 'm1', 0.3, { workflow_run_id: 'run-s' }),
        pred('e5', 'm1', 0.3, { outcome: 'failed' }),
        pred('e6', 'm1', 0.1, { outcome: 'succeeded' }),
        pred('u1', 'm1', 0.8, { workflow_run_id: 'run-c' }),
        pred('u2', 'm1', 0.2, { workflow_run_id: 'run-r' }),
        pred('u3', 'm1', 0.6, { workflow_run_id: 'missing' }),
        pred('u4', 'm1', 0.4),
        pred('u5', 'm1', 0.5, { workflow_run_id: 'q-run' }), // another tenant's run: not linked
        pred('out', 'm1', 0.9, { outcome: 'failed', predicted_at: '2026-05-04T00:00:00Z' }),
        pred('x1', 'M0', 1.0, { outcome: 'failed' }),
        pred('x2', 'M0', 0.95, { outcome: 'failed' }),
        pred('z1', 'z-none', 0.4),
      ]);
    });

    async function report(query: string, key = p.key) {
      const res = await get(`/reports/predictions?from=2026-05-01&to=2026-05-03${query}`, key);
      assert.equal(res.status, 200, res.text);
      return res.body as { period: unknown; rows: Record<string, any>[] };
    }

    it('computes every metric by hand, with AUC ties at average rank and outcomes from linked runs', async () => {
      const body = await report('');
      assert.deepEqual(body.period, { from: '2026-05-01T00:00:00.000Z', to: '2026-05-03T00:00:00.000Z' });
      assert.deepEqual(body.rows.map((r) => [r.tenant_id, r.model]), [[p.id, 'M0'], [p.id, 'm1'], [p.id, 'z-none']]);
      const calibration = emptyBins();
      calibration[1] = { ...calibration[1], count: 1, mean_predicted: 0.1, observed_failure_rate: 0 };
      calibration[3] = { ...calibration[3], count: 2, mean_predicted: 0.3, observed_failure_rate: 0.5 };
      calibration[7] = { ...calibration[7], count: 2, mean_predicted: 0.7, observed_failure_rate: 0.5 };
      calibration[9] = { ...calibration[9], count: 1, mean_predicted: 0.9, observed_failure_rate: 1 };
      assertClose(body.rows[1], {
        tenant_id: p.id,
        model: 'm1',
        predictions: 11,
        evaluated: 6,
        accuracy: 4 / 6,
        precision: 2 / 3,
        recall: 2 / 3,
        f1: 2 / 3,
        brier_score: (0.01 + 0.09 + 0.49 + 0.09 + 0.49 + 0.01) / 6,
        roc_auc: 7 / 9,
        calibration,
      });
    });

    it('gives a null AUC when one class is absent and puts p = 1.0 in the last calibration bin', async () => {
      const body = await report('');
      const calibration = emptyBins();
      calibration[9] = { ...calibration[9], count: 2, mean_predicted: 0.975, observed_failure_rate: 1 };
      assertClose(body.rows[0], {
        tenant_id: p.id,
        model: 'M0',
        predictions: 2,
        evaluated: 2,
        accuracy: 1,
        precision: 1,
        recall: 1,
        f1: 1,
        brier_score: (0 + 0.05 * 0.05) / 2,
        roc_auc: null,
        calibration,
      });
      assert.deepEqual(body.rows[2], {
        tenant_id: p.id,
        model: 'z-none',
        predictions: 1,
        evaluated: 0,
        accuracy: null,
        precision: null,
        recall: null,
        f1: null,
        brier_score: null,
        roc_auc: null,
        calibration: emptyBins(),
      });
    });

    it('applies the threshold inclusively', async () => {
      const at08 = (await report('&threshold=0.8')).rows[1];
      assertClose([at08.accuracy, at08.precision, at08.recall, at08.f1], [4 / 6, 1, 1 / 3, 0.5]);
      const at09 = (await report('&threshold=0.9')).rows[1];
      assertClose([at09.precision, at09.recall], [1, 1 / 3]);
      const at1 = await report('&threshold=1');
      assertClose([at1.rows[0].precision, at1.rows[0].recall], [1, 0.5]);
      assert.equal(at1.rows[1].precision, null); // nothing predicted positive
      assert.equal(at1.rows[1].recall, 0);
      assert.equal(at1.rows[1].f1, null);
      const at0 = (await report('&threshold=0')).rows[1];
      assertClose([at0.accuracy, at0.precision, at0.recall], [0.5, 0.5, 1]);
      // The threshold never changes AUC, Brier score or calibration.
      const base = (await report('')).rows[1];
      assert.equal(at0.roc_auc, base.roc_auc);
      assert.deepEqual(at0.calibration, base.calibration);
    });

    it('rejects a threshold that is not a number in [0, 1] with 400 naming threshold', async () => {
      for (const bad of ['abc', '1.5', '-0.1', 'NaN', 'Infinity', '0x1', '%200.5', '1e3', '0.5abc']) {
        const res = await get(`/reports/predictions?threshold=${bad}`, p.key);
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.code, 'validation_error');
        assert.equal(res.body.error.details[0].field, 'threshold');
      }
      for (const good of ['0', '1', '.5', '5e-1', '0.25']) {
        assert.equal((await get(`/reports/predictions?threshold=${good}`, p.key)).status, 200, good);
      }
    });

    it('shows an admin every tenant with predictions, narrowed by tenant_id, and 404s a foreign tenant_id', async () => {
      const all = await report('');
      const admin = await report(`&tenant_id=${p.id}`, app.adminKey);
      assert.deepEqual(admin, all);
      const everyone = await report('', app.adminKey);
      assert.ok(everyone.rows.some((r) => r.tenant_id === p.id));
      assert.ok(everyone.rows.every((r) => r.tenant_id !== q.id)); // q has no predictions
      const foreign = await get(`/reports/predictions?tenant_id=${q.id}`, p.key);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.error.code, 'tenant_not_found');
      const badAndForeign = await get(`/reports/predictions?tenant_id=${q.id}&threshold=2`, p.key);
      assert.equal(badAndForeign.status, 404);
    });
  });

  describe('tenant report', () => {
    it('gathers one tenant’s overview, mttr, costs, health, predictions and daily trends', async () => {
      const t = await app.createTenant(undefined, 'Report Tenant');
      await ingest(t.key, 'workflow_runs', [run('r1', '2026-06-01T10:00:00Z', { finished_at: '2026-06-01T10:00:01Z' })]);
      await ingest(t.key, 'incidents', [
        { id: 'i1', service: 'api', severity: 'high', opened_at: '2026-06-01T11:00:00Z', resolved_at: '2026-06-01T11:10:00Z' },
      ]);
      await ingest(t.key, 'predictions', [
        { id: 'p1', model: 'm', predicted_at: '2026-06-01T12:00:00Z', failure_probability: 0.2, workflow_run_id: 'r1' },
      ]);
      const query = 'from=2026-06-01&to=2026-06-03&tz=Asia/Kathmandu';
      const res = await get(`/reports/tenant/${t.id}?${query}`, t.key);
      assert.equal(res.status, 200, res.text);
      const body = res.body;
      assert.deepEqual(Object.keys(body), ['period', 'tenant', 'overview', 'mttr', 'costs', 'health', 'predictions', 'trends']);
      assert.deepEqual(body.period, { from: '2026-05-31T18:15:00.000Z', to: '2026-06-02T18:15:00.000Z' });
      assert.deepEqual(Object.keys(body.tenant), ['id', 'name', 'created_at']);
      assert.equal(body.tenant.id, t.id);
      assert.equal(body.tenant.name, 'Report Tenant');
      assert.match(body.tenant.created_at, /Z$/);

      // Each part equals the corresponding report for the same period and zone.
      const ask = async (path: string) => (await get(`${path}${path.includes('?') ? '&' : '?'}${query}`, t.key)).body;
      assert.deepEqual(body.overview, (await ask('/reports/overview')).rows[0]);
      assert.deepEqual(body.mttr, (await ask('/reports/mttr')).rows[0]);
      assert.deepEqual(body.costs, (await ask('/reports/costs')).rows[0]);
      assert.deepEqual(body.health, (await ask('/reports/health')).rows);
      assert.deepEqual(body.predictions, (await ask('/reports/predictions')).rows);
      const daily = await ask(`/reports/trends/${t.id}`);
      assert.deepEqual(body.trends, { granularity: 'day', tz: 'Asia/Kathmandu', points: daily.points });

      assert.equal(body.overview.total_workflows, 1);
      assert.equal(body.mttr.incident_count, 1);
      assert.equal(body.costs.workflow_runs, 1);
      assert.equal(body.predictions[0].evaluated, 1);
      assert.deepEqual(column(body.trends.points, 'workflows'), [1, 0]);
    });

    it('answers 404 tenant_not_found for another tenant, an unknown one, and an admin naming an unknown one', async () => {
      const t = await app.createTenant();
      const foreign = await get(`/reports/tenant/${other.id}`, t.key);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.error.code, 'tenant_not_found');
      assert.deepEqual((await get('/reports/tenant/nobody', t.key)).body, foreign.body);
      assert.equal((await get('/reports/tenant/nobody')).status, 404);
      assert.equal((await get(`/reports/tenant/${t.id}`)).status, 200);
    });
  });

  describe('CSV export', () => {
    it('exports trends with tenant_id first and predictions with flattened calibration', async () => {
      const t = await app.createTenant();
      await ingest(t.key, 'workflow_runs', [run('c1', '2026-01-01T10:00:00Z')]);
      await ingest(t.key, 'predictions', [{ id: 'p1', model: 'm', predicted_at: '2026-01-01T11:00:00Z', failure_probability: 1, outcome: 'failed' }]);
      const tr = await get('/export/csv/trends?from=2026-01-01&to=2026-01-03', t.key);
      assert.equal(tr.status, 200, tr.text);
      assert.deepEqual(tr.text.split('\r\n'), [
        'tenant_id,bucket_start,workflows,failed_workflows,failure_rate_percent,avg_duration_ms,incidents_opened,predictions,avg_p95_latency_ms',
        `${t.id},2026-01-01T00:00:00+00:00,1,0,0,0,0,1,`,
        `${t.id},2026-01-02T00:00:00+00:00,0,0,,,0,0,`,
        '',
      ]);
      const needsTenant = await get('/export/csv/trends?from=2026-01-01&to=2026-01-03');
      assert.equal(needsTenant.status, 400);

      const pr = await get('/export/csv/predictions?from=2026-01-01&to=2026-01-03', t.key);
      assert.equal(pr.status, 200, pr.text);
      const [header, line] = pr.text.split('\r\n');
      const bins = Array.from({ length: 10 }, (_, k) =>
        ['bin_lower', 'bin_upper', 'count', 'mean_predicted', 'observed_failure_rate'].map((f) => `calibration_${k}_${f}`),
      ).flat();
      assert.deepEqual(header.split(','), ['tenant_id', 'model', 'predictions', 'evaluated', 'accuracy', 'precision', 'recall', 'f1', 'brier_score', 'roc_auc', ...bins]);
      const cells = line.split(',');
      assert.deepEqual(cells.slice(0, 10), [t.id, 'm', '1', '1', '1', '1', '1', '1', '0', '']);
      assert.deepEqual(cells.slice(-5), ['0.9', '1', '1', '1', '1']);
    });
  });

  describe('against the reference implementation', () => {
    const ZONES = ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Asia/Kolkata', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago'];
    /** Periods near DST changes of several of the zones above. */
    const ANCHORS = ['2026-03-05', '2026-03-26', '2026-04-02', '2026-09-03', '2026-10-22'];
    const MAX_SPAN_MS = { hour: 3 * 86_400_000, day: 12 * 86_400_000, week: 40 * 86_400_000 } as const;

    /** A record time: near a bucket edge (±1 ms), or anywhere in and around the period. */
    const timeArb = fc.oneof(
      fc.record({ edge: fc.nat({ max: 1000 }), delta: fc.constantFrom(-1, 0, 1) }),
      fc.record({ frac: fc.double({ min: -0.1, max: 1.1, noNaN: true }) }),
    );
    type TimeSpec = { edge: number; delta: number } | { frac: number };
    const probabilityArb = fc.oneof(fc.constantFrom(0, 0.1, 0.3, 0.5, 0.7, 0.9, 1), fc.double({ min: 0, max: 1, noNaN: true }));

    const scenarioArb = fc.record({
      tz: fc.constantFrom(...ZONES),
      granularity: fc.constantFrom('hour' as const, 'day' as const, 'week' as const),
      anchor: fc.constantFrom(...ANCHORS),
      fromAsDate: fc.boolean(),
      fromShiftMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 * 86_400_000 })),
      spanFraction: fc.double({ min: 0.001, max: 1, noNaN: true }),
      runs: fc.array(
        fc.record({
          at: timeArb,
          status: fc.constantFrom('running', 'succeeded', 'failed', 'cancelled'),
          duration: fc.option(fc.integer({ min: 0, max: 10_000_000 })),
        }),
        { maxLength: 30 },
      ),
      incidents: fc.array(timeArb, { maxLength: 10 }),
      samples: fc.array(fc.record({ at: timeArb, p95: fc.double({ min: 0, max: 10_000, noNaN: true }) }), { maxLength: 15 }),
      predictions: fc.array(
        fc.record({
          at: timeArb,
          model: fc.constantFrom('m1', 'm2', 'M3'),
          p: probabilityArb,
          outcome: fc.constantFrom(null, null, 'failed', 'succeeded'),
          link: fc.option(fc.nat({ max: 40 })),
        }),
        { maxLength: 30 },
      ),
      threshold: fc.oneof(fc.constantFrom(0, 0.3, 0.5, 0.7, 1), fc.double({ min: 0, max: 1, noNaN: true })),
      // Runs stored after the predictions that link to them (outcomes arrive later), and runs
      // first sent with another status (a correction of a finished run, or running → finished).
      runsAfterPredictions: fc.boolean(),
      earlierStatus: fc.array(fc.constantFrom(null, 'running', 'succeeded', 'failed', 'cancelled'), { maxLength: 30 }),
    });

    it('gives the reference trends and prediction metrics on random data in random zones', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (s) => {
          const t = await app.createTenant();
          const anchorMs = DateTime.fromISO(s.anchor, { zone: s.tz }).toMillis();
          const fromDate = DateTime.fromISO(s.anchor, { zone: 'UTC' }).plus({ days: Math.floor(s.fromShiftMs / 86_400_000) }).toISODate()!;
          const fromMs = s.fromAsDate ? DateTime.fromISO(fromDate, { zone: s.tz }).toMillis() : anchorMs + s.fromShiftMs;
          const toMs = fromMs + Math.max(1, Math.floor(s.spanFraction * MAX_SPAN_MS[s.granularity]));
          const edges = refBuckets(fromMs, toMs, s.tz, s.granularity).map((b) => b.startMs).concat([toMs]);
          const timeOf = (spec: TimeSpec): number =>
            'edge' in spec ? edges[spec.edge % edges.length] + spec.delta : fromMs + Math.floor(spec.frac * (toMs - fromMs));
          const iso = (t: number) => new Date(t).toISOString();

          const runs: RefRunRecord[] = [];
          const runBodies = s.runs.map((r, i) => {
            const started = timeOf(r.at);
            const finishedAfter = 1000 + i;
            runs.push({
              tenant_id: t.id,
              id: `r${i}`,
              status: r.status as RefRunRecord['status'],
              started_at_ms: started,
              duration_ms: r.status === 'running' ? null : (r.duration ?? finishedAfter),
            });
            return {
              id: `r${i}`,
              workflow_id: 'wf',
              service: 'api',
              status: r.status,
              started_at: iso(started),
              ...(r.status === 'running' ? {} : { finished_at: iso(started + finishedAfter) }),
              ...(r.status !== 'running' && r.duration !== null ? { duration_ms: r.duration } : {}),
            };
          });
          const incidents = s.incidents.map((at, i) => ({ tenant_id: t.id, id: `i${i}`, opened_at_ms: timeOf(at) }));
          // Samples are keyed by (service, ts): keep one per instant so the reference sees what is stored.
          const sampleByTs = new Map<number, number>();
          for (const x of s.samples) sampleByTs.set(timeOf(x.at), x.p95);
          const samples = [...sampleByTs].map(([ts_ms, p95_latency_ms]) => ({ tenant_id: t.id, ts_ms, p95_latency_ms }));
          const predictions: RefPredictionRecord[] = s.predictions.map((x, i) => ({
            tenant_id: t.id,
            id: `p${i}`,
            model: x.model,
            workflow_run_id: x.link === null ? null : `r${x.link}`,
            predicted_at_ms: timeOf(x.at),
            failure_probability: x.p,
            outcome: x.outcome as RefPredictionRecord['outcome'],
          }));

          // An earlier version of some runs, replaced below by the final one.
          const earlier = runBodies.flatMap((r, i) => {
            const status = s.earlierStatus[i];
            if (!status) return [];
            const { finished_at, duration_ms, ...rest } = r as Record<string, unknown>;
            return [{ ...rest, status, ...(status === 'running' ? {} : { finished_at: finished_at ?? r.started_at }), ...(status !== 'running' && duration_ms !== undefined ? { duration_ms } : {}) }];
          });
          if (earlier.length) await ingest(t.key, 'workflow_runs', earlier);
          if (!s.runsAfterPredictions) await ingest(t.key, 'workflow_runs', runBodies);
          await ingest(
            t.key,
            'incidents',
            incidents.map((x) => ({ id: x.id, service: 'api', severity: 'low', opened_at: iso(x.opened_at_ms) })),
          );
          await ingest(
            t.key,
            'metrics',
            samples.map((x) => ({ service: 'api', ts: iso(x.ts_ms), p95_latency_ms: x.p95_latency_ms, throughput_rps: 1, error_rate: 0 })),
          );
          await ingest(
            t.key,
            'predictions',
            predictions.map((x) => ({
              id: x.id,
              model: x.model,
              predicted_at: iso(x.predicted_at_ms),
              failure_probability: x.failure_probability,
              ...(x.workflow_run_id === null ? {} : { workflow_run_id: x.workflow_run_id }),
              ...(x.outcome === null ? {} : { outcome: x.outcome }),
            })),
          );
          if (s.runsAfterPredictions) await ingest(t.key, 'workflow_runs', runBodies);
          const data: RefDataset = { runs, incidents, samples, predictions };

          const period = `from=${encodeURIComponent(s.fromAsDate ? fromDate : iso(fromMs))}&to=${encodeURIComponent(iso(toMs))}&tz=${encodeURIComponent(s.tz)}`;
          const trendRes = await get(`/reports/trends/${t.id}?${period}&granularity=${s.granularity}`, t.key);
          assert.equal(trendRes.status, 200, trendRes.text);
          assertClose(trendRes.body, {
            tenant_id: t.id,
            granularity: s.granularity,
            tz: s.tz,
            points: refTrends(data, t.id, fromMs, toMs, s.tz, s.granularity),
          });

          const predRes = await get(`/reports/predictions?${period}&threshold=${s.threshold}`, t.key);
          assert.equal(predRes.status, 200, predRes.text);
          assertClose(predRes.body.rows, refPredictionRows(data, [t.id], fromMs, toMs, s.threshold));
        }),
        { numRuns: 8 },
      );
    });
  });
});
