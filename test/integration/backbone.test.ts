import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';

const run = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  workflow_id: 'wf-1',
  service: 'api',
  status: 'succeeded',
  started_at: '2026-03-01T10:00:00Z',
  finished_at: '2026-03-01T10:00:10Z',
  ...over,
});

await describeEachEngine('backbone', (engine) => {
  let app: TestApp;
  let a: { id: string; key: string; keyId: string };
  let b: { id: string; key: string; keyId: string };

  before(async () => {
    app = await startTestApp(engine);
    a = await app.createTenant('tenant-a', 'Tenant A');
    b = await app.createTenant('tenant-b', 'Tenant B');
  });
  after(async () => app?.close());

  it('answers 401 without a key and with an unknown key, in the contract error shape', async () => {
    const none = await app.request('GET', '/reports/overview', { key: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    assert.equal(typeof none.body.error.message, 'string');
    assert.deepEqual(none.body.error.details, []);
    const bad = await app.request('GET', '/reports/overview', { key: 'atom_tk_nope' });
    assert.equal(bad.status, 401);
  });

  it('keeps health endpoints and the OpenAPI document public', async () => {
    assert.equal((await app.request('GET', '/healthz', { key: null })).status, 200);
    assert.equal((await app.request('GET', '/readyz', { key: null })).status, 200);
    const doc = await app.request('GET', '/openapi.json', { key: null });
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/ingest/{kind}']);
  });

  it('creates tenants with generated UUIDs, rejects duplicates and bad ids', async () => {
    const gen = await app.request('POST', '/tenants', { body: { name: 'Generated' } });
    assert.equal(gen.status, 201);
    assert.match(gen.body.id, /^[0-9a-f-]{36}$/);
    const genNull = await app.request('POST', '/tenants', { body: { id: null, name: 'Generated too' } });
    assert.equal(genNull.status, 201, genNull.text);
    assert.match(genNull.body.id, /^[0-9a-f-]{36}$/);
    const dup = await app.request('POST', '/tenants', { body: { id: 'tenant-a', name: 'again' } });
    assert.equal(dup.status, 409);
    const bad = await app.request('POST', '/tenants', { body: { id: 'no spaces!', name: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'id');
    const list = await app.request('GET', '/tenants');
    assert.equal(list.status, 200);
    const ids = list.body.tenants.map((t: { id: string }) => t.id);
    assert.ok(ids.includes('tenant-a') && ids.includes('tenant-b') && ids.includes(gen.body.id));
  });

  it('answers 403 forbidden to a tenant key on admin endpoints, 404 for unknown tenants and keys', async () => {
    const forb = await app.request('GET', '/tenants', { key: a.key });
    assert.equal(forb.status, 403);
    assert.equal(forb.body.error.code, 'forbidden');
    assert.equal((await app.request('POST', '/tenants/nope/keys', { body: {} })).status, 404);
    assert.equal((await app.request('DELETE', '/keys/key_unknown')).status, 404);
    assert.equal((await app.request('PUT', '/tenants/nope/prices', { body: { workflow_run: 1 } })).status, 404);
  });

  it('stops a revoked key at once', async () => {
    const t = await app.createTenant();
    assert.equal((await app.request('GET', '/reports/overview', { key: t.key })).status, 200);
    const del = await app.request('DELETE', `/keys/${t.keyId}`);
    assert.equal(del.status, 200);
    assert.equal((await app.request('GET', '/reports/overview', { key: t.key })).status, 401);
  });

  it('keeps price overrides: omitted fields stay, null removes', async () => {
    let r = await app.request('PUT', `/tenants/${b.id}/prices`, { body: { workflow_run: 0.5, prediction: 0.25 } });
    assert.equal(r.status, 200);
    r = await app.request('PUT', `/tenants/${b.id}/prices`, { body: { prediction: null } });
    assert.deepEqual(r.body.overrides, { workflow_run: 0.5, metric_sample: null, prediction: null });
    const bad = await app.request('PUT', `/tenants/${b.id}/prices`, { body: { workflow_run: '0.5' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'workflow_run');
    await app.request('PUT', `/tenants/${b.id}/prices`, { body: { workflow_run: null } });
  });

  it('rejects a batch with one bad record, naming every problem, and stores nothing', async () => {
    const res = await app.request('POST', '/ingest/workflow_runs', {
      key: a.key,
      body: [run('ok-1'), run('bad-1', { status: 'done', started_at: '2026-03-01T10:00:00', extra: 1 }), run('ok-2')],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_error');
    const fields = res.body.error.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`).sort();
    assert.deepEqual(fields, ['1:extra', '1:started_at', '1:status']);
    const ov = await app.request('GET', '/reports/overview?from=2026-03-01&to=2026-03-02', { key: a.key });
    assert.equal(ov.body.rows[0].total_workflows, 0);
  });

  it('rejects numbers sent as strings, finished before started, and a missing finished_at', async () => {
    const res = await app.request('POST', '/ingest/workflow_runs', {
      key: a.key,
      body: [
        run('s-1', { duration_ms: '10' }),
        run('s-2', { finished_at: '2026-03-01T09:00:00Z' }),
        run('s-3', { status: 'failed', finished_at: undefined }),
      ],
    });
    assert.equal(res.status, 400);
    const got = res.body.error.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`).sort();
    assert.deepEqual(got, ['0:duration_ms', '1:finished_at', '2:finished_at']);
  });

  it('requires tenant_id in admin records and names the index', async () => {
    const res = await app.request('POST', '/ingest/incidents', {
      body: [{ tenant_id: a.id, id: 'i1', service: 'api', severity: 'low', opened_at: '2026-03-01T00:00:00Z' }, { id: 'i2', service: 'api', severity: 'low', opened_at: '2026-03-01T00:00:00Z' }],
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body.error.details.map((d: { index: number; field: string }) => [d.index, d.field]),
      [[1, 'tenant_id']],
    );
  });

  it('counts inserted, unchanged and updated on re-sends', async () => {
    const batch = [run('r-1'), run('r-2', { status: 'running', finished_at: undefined })];
    let res = await app.request('POST', '/ingest/workflow_runs', { key: a.key, body: batch });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { inserted: 2, updated: 0, unchanged: 0 });
    res = await app.request('POST', '/ingest/workflow_runs', { key: a.key, body: batch });
    assert.deepEqual(res.body, { inserted: 0, updated: 0, unchanged: 2 });
    // The same instant written with another offset is unchanged (timestamps compare as instants).
    res = await app.request('POST', '/ingest/workflow_runs', {
      key: a.key,
      body: [run('r-1', { started_at: '2026-03-01T11:00:00+01:00' })],
    });
    assert.deepEqual(res.body, { inserted: 0, updated: 0, unchanged: 1 });
    res = await app.request('POST', '/ingest/workflow_runs', {
      key: a.key,
      body: [run('r-2', { status: 'failed', finished_at: '2026-03-01T10:01:00Z' })],
    });
    assert.deepEqual(res.body, { inserted: 0, updated: 1, unchanged: 0 });
  });

  it('accepts NDJSON and indexes lines from 0', async () => {
    const good = [run('n-1'), run('n-2')].map((r) => JSON.stringify({ ...r, tenant_id: a.id })).join('\n');
    const ok = await app.request('POST', '/ingest/workflow_runs', { key: a.key, raw: good, contentType: 'application/x-ndjson' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.inserted, 2);
    const bad = `${JSON.stringify(run('n-3'))}\n{not json}\n`;
    const res = await app.request('POST', '/ingest/workflow_runs', { key: a.key, raw: bad, contentType: 'application/x-ndjson' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details[0].index, 1);
  });

  it('treats the same id in two tenants as two records', async () => {
    const r1 = await app.request('POST', '/ingest/workflow_runs', { key: a.key, body: [run('shared-id')] });
    const r2 = await app.request('POST', '/ingest/workflow_runs', { key: b.key, body: [run('shared-id', { status: 'failed' })] });
    assert.equal(r1.body.inserted, 1);
    assert.equal(r2.body.inserted, 1);
  });

  it('answers 404 tenant_not_found when a tenant key names another tenant, and stores nothing', async () => {
    const before = await app.request('GET', '/reports/overview?from=2026-03-01&to=2026-03-02', { key: b.key });
    const res = await app.request('POST', '/ingest/workflow_runs', {
      key: a.key,
      body: [run('x-own'), { ...run('x-foreign'), tenant_id: b.id }],
    });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'tenant_not_found');
    const unknown = await app.request('POST', '/ingest/workflow_runs', { key: a.key, body: [{ ...run('x'), tenant_id: 'ghost' }] });
    assert.deepEqual(unknown.body, res.body);
    const rep = await app.request('GET', `/reports/overview?tenant_id=${b.id}`, { key: a.key });
    assert.equal(rep.status, 404);
    assert.equal(rep.body.error.code, 'tenant_not_found');
    const after = await app.request('GET', '/reports/overview?from=2026-03-01&to=2026-03-02', { key: b.key });
    assert.deepEqual(after.body, before.body);
    const own = await app.request('GET', '/reports/overview?from=2026-03-01&to=2026-03-02', { key: a.key });
    assert.ok(own.body.rows.every((r: { tenant_id: string }) => r.tenant_id === a.id));
  });

  it('answers an admin batch naming an unknown tenant 404 before any validation error', async () => {
    const res = await app.request('POST', '/ingest/workflow_runs', {
      body: [{ ...run('ghost-1'), tenant_id: a.id }, { ...run('ghost-2', { status: 'bogus' }), tenant_id: 'no-such-tenant' }],
    });
    assert.equal(res.status, 404, res.text);
    assert.equal(res.body.error.code, 'tenant_not_found');
    const stored = await app.server.storage.query<{ n: unknown }>("SELECT count(*) AS n FROM workflow_runs WHERE id LIKE 'ghost-%'");
    assert.equal(Number(stored[0]!.n), 0);
  });

  it('answers 413 past the body limit', async () => {
    const big = JSON.stringify([run('big', { workflow_name: 'x'.repeat(11 * 1024 * 1024) })]);
    // fetch sends the whole body before it reads the answer: the server reads the rest of the
    // body before answering, so the client sees the 413 every time rather than a closed socket.
    for (let i = 0; i < 4; i++) {
      const res = await app.request('POST', '/ingest/workflow_runs', { key: a.key, raw: big });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'payload_too_large');
    }
  });

  it('redacts e-mail addresses, phone numbers and IPs in free text', async () => {
    const t = await app.createTenant();
    await app.request('POST', '/ingest/workflow_runs', {
      key: t.key,
      body: [run('red-1', { workflow_name: 'deploy by ops@example.com from 10.1.2.3' })],
    });
    const rows = await app.server.storage.query<{ workflow_name: string }>('SELECT workflow_name FROM workflow_runs WHERE tenant_id = $1', [t.id]);
    assert.equal(rows[0]!.workflow_name, 'deploy by [redacted] from [redacted]');
  });

  it('computes the overview by hand, with nulls for an empty period', async () => {
    const t = await app.createTenant();
    const key = t.key;
    await app.request('POST', '/ingest/workflow_runs', {
      key,
      body: [
        run('o-1', { finished_at: '2026-04-01T10:00:01Z' }), // 1000 ms
        run('o-2', { status: 'failed', started_at: '2026-04-01T11:00:00Z', finished_at: '2026-04-01T11:00:03Z' }), // 3000 ms
        run('o-3', { started_at: '2026-04-01T12:00:00Z', finished_at: '2026-04-01T12:00:00Z', duration_ms: 5000 }),
        run('o-4', { status: 'running', started_at: '2026-04-01T13:00:00Z', finished_at: undefined }),
        run('o-5', { status: 'cancelled', started_at: '2026-04-01T14:00:00Z', finished_at: '2026-04-01T14:10:00Z' }),
        run('o-6', { started_at: '2026-04-02T00:00:00Z', finished_at: '2026-04-02T00:00:01Z' }), // outside
      ].map((r) => ({ ...r, started_at: r.started_at === '2026-03-01T10:00:00Z' ? '2026-04-01T10:00:00Z' : r.started_at })),
    });
    await app.request('POST', '/ingest/metrics', {
      key,
      body: [
        { service: 'api', ts: '2026-04-01T00:00:00Z', p95_latency_ms: 100, throughput_rps: 10, error_rate: 0 },
        { service: 'api', ts: '2026-04-01T00:05:00Z', p95_latency_ms: 300, throughput_rps: 30, error_rate: 0.1 },
      ],
    });
    await app.request('POST', '/ingest/predictions', {
      key,
      body: [
        { id: 'p-1', model: 'm', predicted_at: '2026-04-01T01:00:00Z', failure_probability: 0.2 },
        { id: 'p-2', model: 'm', predicted_at: '2026-04-01T02:00:00Z', failure_probability: 0.6 },
      ],
    });
    const res = await app.request('GET', '/reports/overview?from=2026-04-01&to=2026-04-02', { key });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.period, { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z' });
    const row = res.body.rows[0];
    assert.equal(row.tenant_id, t.id);
    assert.equal(row.total_workflows, 5);
    assert.equal(row.failed_workflows, 1);
    assert.equal(row.failure_rate_percent, (100 * 1) / 3);
    assert.equal(row.avg_duration_ms, 3000);
    assert.ok(Math.abs(row.p95_duration_ms - 4800) < 1e-9);
    assert.equal(row.avg_p95_latency_ms, 200);
    assert.equal(row.avg_throughput_rps, 20);
    assert.equal(row.total_predictions, 2);
    assert.ok(Math.abs(row.avg_failure_probability - 0.4) < 1e-12);

    const empty = await app.request('GET', '/reports/overview?from=2020-01-01&to=2020-01-02', { key });
    assert.deepEqual(empty.body.rows, [
      {
        tenant_id: t.id,
        tenant_name: `Tenant ${t.id}`,
        total_workflows: 0,
        failed_workflows: 0,
        failure_rate_percent: null,
        avg_duration_ms: null,
        p95_duration_ms: null,
        avg_p95_latency_ms: null,
        avg_throughput_rps: null,
        total_predictions: 0,
        avg_failure_probability: null,
      },
    ]);
  });

  it('rejects bad periods and zones with 400', async () => {
    for (const q of ['from=2026-03-02&to=2026-03-01', 'from=2026-03-01T00:00:00&to=2026-03-02', 'tz=Mars/Olympus', 'from=2024-01-01&to=2025-03-01']) {
      const res = await app.request('GET', `/reports/overview?${q}`, { key: a.key });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 'validation_error');
    }
  });
});
