/**
 * Tenant isolation, walked over every operation of /openapi.json on each engine (contract: Auth
 * and tenancy). Two tenants whose every string carries a marker (`AAA…`, `BBB…`) call every path
 * and method with their own key, naming their own tenant and the other one:
 *
 * - naming the other tenant (path, query or body) is answered 404 `tenant_not_found`, exactly as
 *   for a tenant that does not exist, and stores nothing; admin endpoints answer 403 `forbidden`;
 * - answers for the own tenant (JSON, every CSV export, the audit export's written files) never
 *   contain the other tenant's id, record ids or names;
 * - a cached report is never served to another scope (same URL, other key: a miss, own data).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp, type TestResponse } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import { changedEntries, createDataSnapshot, type DataSnapshot } from '../fuzz/data-snapshot.ts';
import { assertErrorShape } from '../fuzz/response-checks.ts';

const PERIOD = 'from=2026-03-01&to=2026-03-08';
const KINDS = ['workflow_runs', 'incidents', 'metrics', 'predictions'] as const;
/** No tenant data, no key needed: checked only for tenant markers. */
const PUBLIC_OPS = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /docs', 'GET /']);
/** Admin-only: a tenant key gets 403 whatever it names. */
const ADMIN_OPS = new Set(['POST /tenants', 'GET /tenants', 'POST /tenants/{id}/keys', 'DELETE /keys/{key_id}', 'PUT /tenants/{id}/prices']);

interface Party {
  /** `AAA` or `BBB`: part of every id and name this tenant owns. */
  marker: string;
  id: string;
  key: string;
  keyId: string;
}

/** One record of `kind` whose every string carries the tenant's marker. */
function recordOf(kind: (typeof KINDS)[number], m: string, n: string | number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  switch (kind) {
    case 'workflow_runs':
      return { id: `${m}-run-${n}`, workflow_id: `${m}-wf`, workflow_name: `${m} nightly`, service: `${m}-svc-api`, status: 'failed', started_at: '2026-03-02T10:00:00Z', finished_at: '2026-03-02T10:05:00Z', ...extra };
    case 'incidents':
      return { id: `${m}-inc-${n}`, service: `${m}-svc-api`, severity: 'critical', title: `${m} outage`, opened_at: '2026-03-02T10:00:00Z', resolved_at: '2026-03-02T11:00:00Z', ...extra };
    case 'metrics':
      return { service: `${m}-svc-api`, ts: `2026-03-02T10:0${typeof n === 'number' ? n % 10 : 0}:00Z`, p95_latency_ms: 300, throughput_rps: 5, error_rate: 0.1, ...extra };
    case 'predictions':
      return { id: `${m}-pred-${n}`, model: `${m}-model`, model_version: `${m}-v1`, workflow_run_id: `${m}-run-1`, predicted_at: '2026-03-02T09:00:00Z', failure_probability: 0.9, ...extra };
  }
}

interface Call {
  label: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  /** The request names the other tenant (expect 404 and nothing stored). */
  namesOther: boolean;
}

await describeEachEngine('tenant isolation walk', (engine) => {
  let app: TestApp;
  let exportDir: string;
  let snapshot: DataSnapshot;
  let a: Party;
  let b: Party;
  let operations: { method: string; path: string; query: string[]; exportTypes: string[] }[];

  before(async () => {
    exportDir = await mkdtemp(join(tmpdir(), 'atom-isolation-exports-'));
    app = await startTestApp(engine, { EXPORT_DIR: exportDir });
    const ta = await app.createTenant('tenant-AAA', 'Tenant AAA');
    const tb = await app.createTenant('tenant-BBB', 'Tenant BBB');
    a = { marker: 'AAA', ...ta };
    b = { marker: 'BBB', ...tb };
    for (const t of [a, b]) {
      for (const kind of KINDS) {
        const records = [1, 2, 3].map((n) => recordOf(kind, t.marker, n, n === 2 && kind === 'workflow_runs' ? { status: 'succeeded' } : {}));
        const res = await app.request('POST', `/ingest/${kind}`, { key: t.key, body: records });
        assert.equal(res.status, 200, res.text);
      }
      // The same record id in both tenants: each must only ever see its own version.
      const shared = { id: 'shared-run-1', workflow_id: `${t.marker}-wf`, service: `${t.marker}-svc-shared`, status: 'succeeded', started_at: '2026-03-03T10:00:00Z', finished_at: '2026-03-03T10:00:09Z' };
      assert.equal((await app.request('POST', '/ingest/workflow_runs', { key: t.key, body: [shared] })).status, 200);
    }
    const doc = await app.request('GET', '/openapi.json', { key: null });
    assert.equal(doc.status, 200);
    operations = [];
    for (const [path, item] of Object.entries<Record<string, { parameters?: { in: string; name: string; schema?: { enum?: string[] } }[] }>>(doc.body.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const params = op.parameters ?? [];
        operations.push({
          method: method.toUpperCase(),
          path,
          query: params.filter((p) => p.in === 'query').map((p) => p.name),
          exportTypes: params.find((p) => p.in === 'path' && p.name === 'type')?.schema?.enum ?? [],
        });
      }
    }
    const dataDir = app.db.env.DATA_DIR;
    snapshot = await createDataSnapshot(app.server.storage, {
      exportDir,
      databaseFiles: dataDir ? [join(dataDir, 'atom.duckdb'), join(dataDir, 'atom.duckdb.wal')] : [],
    });
  });

  after(async () => {
    await app?.close();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
  });

  /** Every call a tenant `self` makes to one operation: own and other tenant in each place it can be named. */
  function callsFor(op: (typeof operations)[number], self: Party, other: Party): Call[] {
    const key = `${op.method} ${op.path}`;
    const calls: Call[] = [];
    const add = (label: string, path: string, namesOther: boolean, extra: Partial<Call> = {}) => calls.push({ label, method: op.method, path, namesOther, ...extra });
    const withQuery = (path: string, tenantQuery: 'none' | 'own' | 'other') => {
      const q = [PERIOD];
      if (tenantQuery === 'own') q.push(`tenant_id=${self.id}`);
      if (tenantQuery === 'other') q.push(`tenant_id=${other.id}`);
      return `${path}?${q.join('&')}`;
    };
    if (PUBLIC_OPS.has(key)) {
      add('public', op.path, false);
      return calls;
    }
    if (key === 'POST /ingest/{kind}') {
      for (const kind of KINDS) {
        const mine = recordOf(kind, self.marker, `walk-${kind}`);
        const foreign = recordOf(kind, self.marker, `walk-foreign-${kind}`, { tenant_id: other.id });
        add(`${kind}: own, implicit`, `/ingest/${kind}`, false, { body: [mine] });
        add(`${kind}: own, explicit`, `/ingest/${kind}`, false, { body: [{ ...mine, tenant_id: self.id }] });
        add(`${kind}: other`, `/ingest/${kind}`, true, { body: [foreign] });
        add(`${kind}: own and other mixed`, `/ingest/${kind}`, true, { body: [recordOf(kind, self.marker, `walk-mixed-${kind}`), foreign] });
        add(`${kind}: other, NDJSON`, `/ingest/${kind}`, true, {
          raw: `${JSON.stringify(recordOf(kind, self.marker, `walk-nd-${kind}`))}\n${JSON.stringify(foreign)}\n`,
          contentType: 'application/x-ndjson',
        });
      }
      return calls;
    }
    if (key === 'POST /export/audit') {
      for (const type of operations.find((o) => o.path === '/export/csv/{type}')!.exportTypes) {
        const body = { type, from: '2026-03-01', to: '2026-03-08' };
        add(`${type}: no tenant`, op.path, false, { body });
        add(`${type}: own`, op.path, false, { body: { ...body, tenant_id: self.id } });
        add(`${type}: other`, op.path, true, { body: { ...body, tenant_id: other.id } });
      }
      return calls;
    }
    if (ADMIN_OPS.has(key)) {
      for (const [who, t] of [
        ['own', self],
        ['other', other],
      ] as const) {
        const path = op.path.replace('{id}', t.id).replace('{key_id}', t.keyId);
        const body = key === 'POST /tenants' ? { id: `${self.marker}-new-${who}`, name: 'x' } : key === 'PUT /tenants/{id}/prices' ? { workflow_run: 9 } : key === 'POST /tenants/{id}/keys' ? { name: 'k' } : undefined;
        add(`admin-only, ${who}`, path, who === 'other', body === undefined ? {} : { body });
      }
      return calls;
    }
    // Reports and CSV exports: tenant in the path and/or the query.
    const types = op.exportTypes.length ? op.exportTypes : [''];
    for (const type of types) {
      const base = op.path.replace('{type}', type);
      const tenantQueries = op.query.includes('tenant_id') ? (['none', 'own', 'other'] as const) : (['none'] as const);
      if (base.includes('{tenant_id}')) {
        for (const tq of tenantQueries) {
          add(`path own, query ${tq}`, withQuery(base.replace('{tenant_id}', self.id), tq), tq === 'other');
          add(`path other, query ${tq}`, withQuery(base.replace('{tenant_id}', other.id), tq), true);
        }
      } else {
        for (const tq of tenantQueries) add(`${type || 'report'}, query ${tq}`, withQuery(base, tq), tq === 'other');
      }
    }
    return calls;
  }

  async function send(call: Call, key: string): Promise<TestResponse> {
    return app.request(call.method, call.path, {
      key,
      ...(call.raw !== undefined ? { raw: call.raw, contentType: call.contentType } : call.body !== undefined ? { body: call.body } : {}),
    });
  }

  /** The same call naming a tenant that does not exist: its answer must be indistinguishable. */
  function asGhost(call: Call, other: Party): Call {
    const swap = (s: string) => s.split(other.id).join('tenant-ghost');
    return { ...call, path: swap(call.path), raw: call.raw === undefined ? undefined : swap(call.raw), body: call.body === undefined ? undefined : JSON.parse(swap(JSON.stringify(call.body))) };
  }

  /** Every string of the other tenant that must never reach `self`. */
  function assertNoLeak(text: string, self: Party, other: Party, what: string): void {
    assert.ok(!text.includes(other.marker), `the answer to ${self.marker} contains ${other.marker}'s data: ${what}\n${text.slice(0, 1500)}`);
  }

  it('walks every path and method with both keys: the other tenant is a 404 that stores nothing, own answers carry no foreign data', async () => {
    const covered = new Set<string>();
    let calls = 0;
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const op of operations) {
        const key = `${op.method} ${op.path}`;
        for (const call of callsFor(op, self, other)) {
          const what = `${self.marker} key: ${call.method} ${call.path} (${call.label})`;
          const rejectedExpected = call.namesOther || ADMIN_OPS.has(key);
          const before = rejectedExpected ? await snapshot.take() : null;
          const res = await send(call, self.key);
          calls++;
          covered.add(key);
          if (ADMIN_OPS.has(key)) {
            assert.equal(res.status, 403, `${what} → ${res.status} ${res.text}`);
            assertErrorShape(res.body, what);
            assert.equal(res.body.error.code, 'forbidden', what);
          } else if (call.namesOther) {
            assert.equal(res.status, 404, `${what} → ${res.status} ${res.text}`);
            assertErrorShape(res.body, what);
            assert.equal(res.body.error.code, 'tenant_not_found', what);
            const ghost = await send(asGhost(call, other), self.key);
            assert.equal(ghost.status, 404, `${what} (unknown tenant) → ${ghost.status} ${ghost.text}`);
            assert.deepEqual(res.body, ghost.body, `naming another tenant is answered exactly like naming an unknown one: ${what}`);
          } else {
            assert.ok(res.status >= 200 && res.status < 300, `an own-tenant call succeeds: ${what} → ${res.status} ${res.text.slice(0, 500)}`);
          }
          if (before) assert.deepEqual(changedEntries(before, await snapshot.take()), [], `a rejected call stores nothing: ${what}`);
          assertNoLeak(res.text, self, other, what);
          if (!PUBLIC_OPS.has(key) && res.status < 300 && call.method === 'GET') {
            // Sanity: own answers are not vacuously clean (every report and export shows own data).
            assert.ok(res.text.includes(self.id) || res.text.includes(self.marker) || /^[^\n]*\r?\n$/.test(res.text), `an own answer shows own data: ${what}\n${res.text.slice(0, 500)}`);
          }
          if (key === 'POST /export/audit' && res.status === 201) {
            const csv = await readFile(fileURLToPath(res.body.csv.location), 'utf8');
            const manifest = JSON.parse(await readFile(fileURLToPath(res.body.manifest.location), 'utf8'));
            assertNoLeak(csv, self, other, `${what}: written CSV`);
            assertNoLeak(JSON.stringify(manifest), self, other, `${what}: written manifest`);
            assert.equal(manifest.tenant_id, self.id, `the audit manifest names the caller's tenant: ${what}`);
            if (call.body && (call.body as { type: string }).type.startsWith('raw_')) assert.ok(csv.includes(self.marker), `a raw audit export holds own records: ${what}`);
          }
        }
      }
    }
    const documented = operations.map((o) => `${o.method} ${o.path}`);
    assert.deepEqual(documented.filter((op) => !covered.has(op)), [], 'every documented operation was walked');
    assert.ok(calls > 200, `walked ${calls} calls`);
  });

  it('keeps every raw export and report to the caller: own records in, the other tenant out, shared ids in their own version', async () => {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const kind of KINDS) {
        const res = await app.request('GET', `/export/csv/raw_${kind}?${PERIOD}`, { key: self.key });
        assert.equal(res.status, 200, res.text);
        assertNoLeak(res.text, self, other, `raw_${kind}`);
        assert.ok(res.text.includes(`${self.marker}-svc-api`) || res.text.includes(`${self.marker}-model`), `raw_${kind} holds own records`);
      }
      const runs = await app.request('GET', `/export/csv/raw_workflow_runs?${PERIOD}`, { key: self.key });
      const shared = runs.text.split('\r\n').filter((line) => line.startsWith('shared-run-1,'));
      assert.equal(shared.length, 1, 'the shared id appears once, in its own version');
      assert.ok(shared[0]!.includes(`${self.marker}-svc-shared`));
      const health = await app.request('GET', `/reports/health?${PERIOD}`, { key: self.key });
      assert.deepEqual([...new Set(health.body.rows.map((r: { tenant_id: string }) => r.tenant_id))], [self.id]);
    }
  });

  it('never serves a report cached for one scope to another', async () => {
    const reports = operations.filter((o) => o.method === 'GET' && o.path.startsWith('/reports/'));
    assert.ok(reports.length >= 7, 'every report is documented');
    for (const op of reports) {
      if (op.path.includes('{tenant_id}')) {
        const url = `${op.path.replace('{tenant_id}', a.id)}?${PERIOD}&tz=Europe/Berlin`;
        const first = await app.request('GET', url, { key: a.key, headers: {} });
        assert.equal(first.status, 200, first.text);
        const again = await app.request('GET', url, { key: a.key });
        assert.equal(again.headers.get('x-cache'), 'hit', `${url}: cached for A`);
        const byB = await app.request('GET', url, { key: b.key });
        assert.equal(byB.status, 404, `${url} with B's key is not A's cached answer`);
        assert.equal(byB.body.error.code, 'tenant_not_found');
        assert.equal(byB.headers.get('x-cache'), null, 'a refused request carries no cache header');
        continue;
      }
      const url = `${op.path}?${PERIOD}&tz=Asia/Kathmandu`;
      const adminFirst = await app.request('GET', url);
      assert.equal(adminFirst.status, 200, adminFirst.text);
      assert.ok(adminFirst.text.includes('AAA') && adminFirst.text.includes('BBB'), `${url}: the admin sees both tenants`);
      assert.equal((await app.request('GET', url)).headers.get('x-cache'), 'hit', `${url}: cached for the admin`);
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        const first = await app.request('GET', url, { key: self.key });
        assert.equal(first.status, 200, first.text);
        assert.equal(first.headers.get('x-cache'), 'miss', `${url}: ${self.marker} does not get another scope's cached answer`);
        assertNoLeak(first.text, self, other, url);
        const second = await app.request('GET', url, { key: self.key });
        assert.equal(second.headers.get('x-cache'), 'hit', `${url}: cached for ${self.marker}`);
        assert.equal(second.text, first.text);
        // The admin narrowed to one tenant shares nothing with the other tenant's key either.
        const narrowed = await app.request('GET', `${url}&tenant_id=${self.id}`);
        assert.equal(narrowed.status, 200);
        assertNoLeak(narrowed.text, self, other, `${url} narrowed by the admin`);
        const foreign = await app.request('GET', `${url}&tenant_id=${self.id}`, { key: other.key });
        assert.equal(foreign.status, 404, `${url}&tenant_id=${self.id} with ${other.marker}'s key`);
      }
    }
  });

  it('puts no tenant ids in /metrics labels', async () => {
    const res = await app.request('GET', '/metrics', { key: null });
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('AAA') && !res.text.includes('BBB'), 'no tenant id or record id in metrics');
  });
});
