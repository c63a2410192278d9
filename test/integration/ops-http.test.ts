/**
 * Issue 5, items 2 and 3, and the abuse limits of issue 8: health and readiness, the OpenAPI
 * document (complete, linted by Redocly), answers that keep their fields through the response
 * schemas, security headers on every kind of answer, admin-only routes, and rate limits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_CSP } from '../../src/http/plugins/security-headers.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every endpoint of the contract, as `method path` in OpenAPI notation. */
const CONTRACT_ENDPOINTS = [
  'post /tenants',
  'get /tenants',
  'post /tenants/{id}/keys',
  'delete /keys/{key_id}',
  'put /tenants/{id}/prices',
  'post /ingest/{kind}',
  'get /reports/overview',
  'get /reports/mttr',
  'get /reports/costs',
  'get /reports/trends/{tenant_id}',
  'get /reports/health',
  'get /reports/predictions',
  'get /reports/tenant/{tenant_id}',
  'get /export/csv/{type}',
  'post /export/audit',
  'get /metrics',
  'get /healthz',
  'get /readyz',
  'get /openapi.json',
  'get /docs',
  'get /',
];
const PUBLIC_ENDPOINTS = ['get /metrics', 'get /healthz', 'get /readyz', 'get /openapi.json', 'get /docs', 'get /'];

/** Runs `redocly lint` (recommended rules) over a document; resolves to its JSON report and exit code. */
async function redoclyLint(document: unknown): Promise<{ code: number | null; report: any; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'atom-redocly-'));
  try {
    await writeFile(join(dir, 'openapi.json'), JSON.stringify(document, null, 2));
    await writeFile(join(dir, 'redocly.yaml'), 'extends:\n  - recommended\n');
    const child = spawn(
      join(ROOT, 'node_modules/.bin/redocly'),
      ['lint', 'openapi.json', '--config', 'redocly.yaml', '--format', 'json'],
      { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, report: JSON.parse(stdout.slice(stdout.indexOf('{'))), stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await describeEachEngine('health and readiness', (engine) => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp(engine);
  });
  after(async () => app?.close());

  it('answers /healthz without a key while the process is up', async () => {
    const res = await app.request('GET', '/healthz', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['status', 'version']);
    assert.equal(res.body.status, 'ok');
  });

  it('answers /readyz ready with the engine and cache mode when the database answers', async () => {
    let res = await app.request('GET', '/readyz', { key: null });
    assert.equal(res.status, 200);
    // Start-up work (DuckDB: key index, compaction of leftover deltas) ends by itself, within seconds.
    for (let i = 0; i < 200 && res.body.warming.length > 0; i++) {
      for (const w of res.body.warming) assert.ok(['key_index', 'rollup_compaction'].includes(w), w);
      await new Promise((r) => setTimeout(r, 50));
      res = await app.request('GET', '/readyz', { key: null });
    }
    assert.deepEqual(res.body, { status: 'ready', database: engine, cache: 'memory', warming: [] });
  });

  it('keeps nulls and every field of answers serialised through the response schemas', async () => {
    const t = await app.request('POST', '/tenants', { body: { name: 'Nullable' } });
    assert.equal(t.status, 201);
    assert.deepEqual(t.body.price_overrides, { workflow_run: null, metric_sample: null, prediction: null });
    assert.deepEqual(Object.keys(t.body).sort(), ['created_at', 'id', 'name', 'price_overrides']);
    const k = await app.request('POST', `/tenants/${t.body.id}/keys`);
    assert.equal(k.status, 201, k.text);
    assert.equal(k.body.name, null);
    assert.match(k.body.key, /^atom_tk_/);
    const p = await app.request('PUT', `/tenants/${t.body.id}/prices`, { body: { metric_sample: 0.25 } });
    assert.deepEqual(p.body, {
      tenant_id: t.body.id,
      overrides: { workflow_run: null, metric_sample: 0.25, prediction: null },
      prices: { workflow_run: 0.01, metric_sample: 0.25, prediction: 0.02 },
    });
    const list = await app.request('GET', '/tenants?limit=1');
    assert.equal(list.body.tenants.length, 1);
    assert.equal(typeof list.body.next_after, 'string');
    const last = await app.request('GET', `/tenants?after=${encodeURIComponent('~')}`);
    assert.deepEqual(last.body, { tenants: [], next_after: null });
    const revoked = await app.request('DELETE', `/keys/${k.body.key_id}`);
    assert.deepEqual(Object.keys(revoked.body).sort(), ['key_id', 'revoked', 'revoked_at']);
  });

  it('answers a tenant key on admin endpoints 403 before looking at the body', async () => {
    const t = await app.createTenant();
    const res = await app.request('POST', '/tenants', { key: t.key, body: { id: 'not valid!', unknown: 1 } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
    const prices = await app.request('PUT', `/tenants/${t.id}/prices`, { key: t.key, body: { workflow_run: 'x' } });
    assert.equal(prices.status, 403);
  });

  it('answers errors in the contract shape with every detail field', async () => {
    const res = await app.request('POST', '/tenants', { body: { id: 'bad id', name: '', extra: true } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_error');
    assert.equal(typeof res.body.error.message, 'string');
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    assert.deepEqual(fields, ['extra', 'id', 'name']);
    for (const d of res.body.error.details) assert.equal(typeof d.message, 'string');
  });
});

describe('OpenAPI document', () => {
  let app: TestApp;
  let doc: any;
  before(async () => {
    app = await startTestApp('duckdb');
    const res = await app.request('GET', '/openapi.json', { key: null });
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(async () => app?.close());

  it('is OpenAPI 3 and lists every endpoint of the contract', () => {
    assert.match(doc.openapi, /^3\./);
    const listed = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((m) => `${m} ${path}`));
    for (const endpoint of CONTRACT_ENDPOINTS) assert.ok(listed.includes(endpoint), `${endpoint} is missing`);
  });

  it('marks public endpoints as needing no key and the rest as needing the bearer key', () => {
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    for (const endpoint of CONTRACT_ENDPOINTS) {
      const [method, path] = endpoint.split(' ') as [string, string];
      const op = doc.paths[path][method];
      if (PUBLIC_ENDPOINTS.includes(endpoint)) assert.deepEqual(op.security, [], endpoint);
      else assert.equal(op.security, undefined, endpoint);
    }
  });

  it('shares one Error component and uses it for error answers', () => {
    const error = doc.components.schemas.Error;
    assert.deepEqual(error.required, ['error']);
    assert.deepEqual(Object.keys(error.properties.error.properties), ['code', 'message', 'details']);
    const ingest = doc.paths['/ingest/{kind}'].post;
    assert.equal(ingest.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/Error');
    assert.equal(doc.paths['/readyz'].get.responses['503'].content['application/json'].schema.$ref, '#/components/schemas/Error');
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (PUBLIC_ENDPOINTS.includes(`${method} ${path}`)) continue;
        assert.ok(op.responses['4XX'] ?? op.responses['400'] ?? op.responses['404'], `${method} ${path} documents no client error`);
      }
    }
  });

  it('documents nullable fields as nullable and the ingest body per kind', () => {
    const tenant = doc.paths['/tenants'].post.responses['201'].content['application/json'].schema;
    assert.deepEqual(tenant.properties.price_overrides.properties.workflow_run, {
      type: 'number',
      nullable: true,
      description: 'USD per unit; null when no override is set',
    });
    const body = doc.paths['/ingest/{kind}'].post.requestBody;
    assert.ok(body.content['application/x-ndjson']);
    const kinds = body.content['application/json'].schema.oneOf.map((s: any) => s.items.title);
    assert.deepEqual(kinds, ['WorkflowRun', 'Incident', 'MetricSample', 'Prediction']);
  });

  it('passes redocly lint with no errors', async () => {
    const { code, report, stderr } = await redoclyLint(doc);
    const errors = report.problems.filter((p: any) => p.severity === 'error');
    assert.deepEqual(errors, [], stderr);
    assert.equal(report.totals.errors, 0);
    assert.equal(code, 0);
  });

  it('serves the browsable docs at /docs', async () => {
    const page = await app.request('GET', '/docs', { key: null });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const initializer = await app.request('GET', '/docs/static/swagger-initializer.js', { key: null });
    assert.equal(initializer.status, 200);
  });
});

describe('security headers', () => {
  let app: TestApp;
  let tenant: { id: string; key: string };
  before(async () => {
    app = await startTestApp('duckdb');
    tenant = await app.createTenant();
  });
  after(async () => app?.close());

  function assertHardened(res: { headers: Headers }, what: string): void {
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, what);
  }

  it('are on JSON answers, errors, unmatched routes and streamed CSV downloads', async () => {
    assertHardened(await app.request('GET', '/reports/overview', { key: tenant.key }), 'report');
    assertHardened(await app.request('GET', '/reports/overview', { key: null }), '401');
    assertHardened(await app.request('GET', '/nothing/here', { key: null }), '404');
    assertHardened(await app.request('POST', '/tenants', { body: {} }), '400');
    assertHardened(await app.request('GET', '/healthz', { key: null }), 'healthz');
    assertHardened(await app.request('GET', '/metrics', { key: null }), 'metrics');
    const csv = await app.request('GET', '/export/csv/overview', { key: tenant.key });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assertHardened(csv, 'csv export');
  });

  it('give the dashboard its content security policy', async () => {
    const page = await app.request('GET', '/', { key: null });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP);
    assertHardened(page, 'dashboard');
    assert.equal((await app.request('GET', '/reports/overview', { key: tenant.key })).headers.get('content-security-policy'), null);
  });

  it('leave Swagger UI its own policy so /docs keeps working', async () => {
    const page = await app.request('GET', '/docs', { key: null });
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.notEqual(csp, DASHBOARD_CSP);
    assert.match(csp, /script-src 'self'/);
    assertHardened(page, 'docs');
  });
});

describe('rate limits', () => {
  let app: TestApp;
  let tenant: { id: string; key: string };
  const MAX = 5;
  before(async () => {
    app = await startTestApp('duckdb', { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '60000' });
    tenant = await app.createTenant();
  });
  after(async () => app?.close());

  it('answer 429 rate_limited with Retry-After once a key has used its requests, per key', async () => {
    for (let i = 1; i <= MAX; i++) {
      const ok = await app.request('GET', '/reports/overview', { key: tenant.key });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-ratelimit-limit'), String(MAX));
      assert.equal(ok.headers.get('x-ratelimit-remaining'), String(MAX - i));
    }
    const limited = await app.request('GET', '/reports/overview', { key: tenant.key });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.deepEqual(limited.body.error.details, []);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    // Another key has its own budget (the admin key made 2 requests creating the tenant).
    assert.equal((await app.request('GET', '/tenants')).status, 200);
  });

  it('never limit probes, metrics and docs', async () => {
    for (let i = 0; i < MAX * 3; i++) {
      assert.equal((await app.request('GET', '/healthz', { key: null })).status, 200);
      assert.equal((await app.request('GET', '/readyz', { key: null })).status, 200);
    }
  });

  it('count requests without a valid key by client address, so guessing keys is limited too', async () => {
    for (let i = 0; i < MAX; i++) {
      const res = await app.request('GET', '/reports/overview', { key: `atom_tk_guess_${i}` });
      assert.equal(res.status, 401);
    }
    const limited = await app.request('GET', '/reports/overview', { key: 'atom_tk_guess_last' });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});
