/**
 * CSV export and audit export through a real listening server, on every engine: headers and
 * values against the JSON reports, raw records, formula-injection guard, tenancy, streaming
 * failures (a database error mid-stream, a client that goes away) and the audit stores.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { SqlValue } from '../../src/storage/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import { startS3rver, type TestS3Server } from '../helpers/s3rver.ts';
import { PG_ADMIN_URL } from '../helpers/services.ts';

const FROM = '2026-03-01T00:00:00Z';
const TO = '2026-03-08T00:00:00Z';
const PERIOD = `from=${FROM}&to=${TO}`;
const T0 = Date.parse(FROM);

/** What a CSV cell must read after RFC 4180 unquoting, derived independently of src/export. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** Contract reading 1: nested objects become `<field>_<sub>`, arrays `<field>_<k>_<sub>`. */
function flatten(row: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}_${key}` : key;
    if (Array.isArray(value)) value.forEach((v, k) => (v !== null && typeof v === 'object' ? flatten(v, `${name}_${k}`, out) : (out[`${name}_${k}`] = v)));
    else if (value !== null && typeof value === 'object') flatten(value as Record<string, unknown>, name, out);
    else out[name] = value;
  }
  return out;
}

function parseCsv(text: string): string[][] {
  return parse(text, { bom: false, relax_column_count: false }) as string[][];
}

/** Reads a whole response body; rejects when the server aborts the download. */
async function readBody(res: Response): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(value);
  }
}

async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const RUN_COLUMNS = ['tenant_id', 'id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at_ms', 'finished_at_ms', 'duration_ms'];

/** `n` runs one second apart from T0, straight into storage (bypassing ingest, for volume). */
function bulkRuns(tenant: string, n: number): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (let i = 0; i < n; i++) {
    const started = T0 + i * 1000;
    rows.push([tenant, `run-${String(i).padStart(7, '0')}`, `wf-${i % 50}`, `Nightly build, step ${i % 13}`, `svc-${i % 20}`, 'succeeded', started, started + 500 + (i % 997), 500 + (i % 997)]);
  }
  return rows;
}

await describeEachEngine('export', (engine) => {
  let app: TestApp;
  let exportDir: string;
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  const ingest = async (key: string, kind: string, records: unknown[]) => {
    const res = await app.request('POST', `/ingest/${kind}`, { key, body: records });
    assert.equal(res.status, 200, res.text);
  };
  const get = (path: string, key?: string) => app.request('GET', path, key === undefined ? {} : { key });

  before(async () => {
    exportDir = await mkdtemp(join(tmpdir(), 'atom-audit-'));
    app = await startTestApp(engine, { EXPORT_DIR: exportDir });
    a = await app.createTenant('exp-a', 'Export A');
    b = await app.createTenant('exp-b', 'Export B');
    const at = (h: number) => new Date(T0 + h * 3_600_000).toISOString();
    await ingest(a.key, 'workflow_runs', [
      { id: 'r1', workflow_id: 'wf-1', workflow_name: '=HYPERLINK("x")', service: '-svc', status: 'succeeded', started_at: at(1), finished_at: at(1.5) },
      { id: 'r2', workflow_id: '+42', workflow_name: 'Nightly, "full"', service: '@x', status: 'failed', started_at: at(2), finished_at: at(2.25), duration_ms: 60000 },
      { id: 'r3', workflow_id: 'wf-1', service: 'api', status: 'running', started_at: at(26) },
      { id: 'r4', workflow_id: 'wf-2', workflow_name: 'café ✓', service: 'api', status: 'succeeded', started_at: at(50), finished_at: '2026-03-03T02:00:00.123Z' },
    ]);
    await ingest(a.key, 'incidents', [
      { id: 'i1', service: '-svc', severity: 'critical', title: '=HYPERLINK("x")', opened_at: at(3), acknowledged_at: at(3.1), resolved_at: at(4) },
      { id: 'i2', service: 'api', severity: 'low', title: '\tTabbed', opened_at: at(5) },
      { id: 'i3', service: '@x', severity: 'high', title: '\rCarriage', opened_at: at(6), resolved_at: at(30) },
      { id: 'i4', service: 'api', severity: 'medium', title: 'comma, "quoted"\nnewline', opened_at: at(7), acknowledged_at: at(8) },
    ]);
    await ingest(a.key, 'metrics', [
      { service: 'api', ts: at(1), p95_latency_ms: 120.5, throughput_rps: 30, error_rate: 0.01 },
      { service: 'api', ts: at(2), p95_latency_ms: 1500, throughput_rps: 0.25, error_rate: 0.000001 },
      { service: '-svc', ts: at(1), p95_latency_ms: 0, throughput_rps: 12, error_rate: 0.6 },
    ]);
    await ingest(a.key, 'predictions', [
      { id: 'p1', model: 'm1', model_version: '1', workflow_run_id: 'r2', predicted_at: at(1), failure_probability: 0.9 },
      { id: 'p2', model: 'm1', workflow_run_id: 'r1', predicted_at: at(2), failure_probability: 0.1 },
      { id: 'p3', model: '=m2', predicted_at: at(3), failure_probability: 0.55, outcome: 'failed' },
    ]);
    await ingest(b.key, 'workflow_runs', [{ id: 'r1', workflow_id: 'wf-b', service: 'api', status: 'succeeded', started_at: at(1), finished_at: at(2) }]);
    await ingest(b.key, 'incidents', [{ id: 'i1', service: 'api', severity: 'low', title: 'B only', opened_at: at(1) }]);
    // Volume for the streaming cases, written straight into storage (ingest would take longer).
    await app.createTenant('exp-big');
    await app.server.storage.transaction((tx) => tx.insertMany('workflow_runs', RUN_COLUMNS, bulkRuns('exp-big', 150_000)));
  });
  after(async () => {
    await app?.close();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
  });

  const reportCases = [
    { type: 'overview', json: '/reports/overview', query: `tenant_id=exp-a` },
    { type: 'mttr', json: '/reports/mttr', query: `tenant_id=exp-a` },
    { type: 'mttr', json: '/reports/mttr', query: `tenant_id=exp-a&group_by=service` },
    { type: 'costs', json: '/reports/costs', query: `tenant_id=exp-a` },
    { type: 'health', json: '/reports/health', query: `tenant_id=exp-a` },
    { type: 'predictions', json: '/reports/predictions', query: `tenant_id=exp-a&threshold=0.5` },
    { type: 'trends', json: '/reports/trends/exp-a', query: `tenant_id=exp-a&granularity=day` },
  ];
  for (const c of reportCases) {
    it(`exports ${c.type} (${c.query}) with the fields and values of its JSON answer`, async () => {
      const csv = await get(`/export/csv/${c.type}?${PERIOD}&${c.query}`);
      assert.equal(csv.status, 200, csv.text);
      const jsonQuery = c.type === 'trends' ? c.query.replace('tenant_id=exp-a&', '') : c.query;
      const json = await get(`${c.json}?${PERIOD}&${jsonQuery}`);
      assert.equal(json.status, 200);
      const rows: Record<string, unknown>[] =
        c.type === 'trends' ? json.body.points.map((p: object) => ({ tenant_id: json.body.tenant_id, ...p })) : json.body.rows;
      assert.ok(rows.length > 0, 'the fixture gives the report rows');
      const flat = rows.map((r) => flatten(r));
      const [header, ...records] = parseCsv(csv.text);
      assert.deepEqual(header, Object.keys(flat[0]!));
      assert.equal(records.length, flat.length);
      records.forEach((record, i) => assert.deepEqual(record, header!.map((col) => cellText(flat[i]![col])), `row ${i}`));
    });
  }

  it('orders report columns as the contract lists them, nested fields flattened', async () => {
    const header = (text: string) => parseCsv(text)[0];
    assert.deepEqual(header((await get(`/export/csv/overview?${PERIOD}`)).text), [
      'tenant_id', 'tenant_name', 'total_workflows', 'failed_workflows', 'failure_rate_percent', 'avg_duration_ms',
      'p95_duration_ms', 'avg_p95_latency_ms', 'avg_throughput_rps', 'total_predictions', 'avg_failure_probability',
    ]);
    assert.deepEqual(header((await get(`/export/csv/mttr?${PERIOD}&group_by=severity`)).text)!.slice(0, 3), ['tenant_id', 'severity', 'incident_count']);
    assert.deepEqual(header((await get(`/export/csv/costs?${PERIOD}`)).text)!.slice(-3), ['prices_workflow_run', 'prices_metric_sample', 'prices_prediction']);
    const predictions = header((await get(`/export/csv/predictions?${PERIOD}`)).text)!;
    assert.deepEqual(predictions.slice(10, 15), ['calibration_0_bin_lower', 'calibration_0_bin_upper', 'calibration_0_count', 'calibration_0_mean_predicted', 'calibration_0_observed_failure_rate']);
    assert.equal(predictions.at(-1), 'calibration_9_observed_failure_rate');
    assert.deepEqual(header((await get(`/export/csv/trends?${PERIOD}&tenant_id=exp-a`)).text)!.slice(0, 2), ['tenant_id', 'bucket_start']);
  });

  it('answers with the contract headers: attachment file name, UTF-8 text/csv, CRLF and no BOM', async () => {
    for (const type of ['overview', 'raw_workflow_runs']) {
      const res = await get(`/export/csv/${type}?${PERIOD}&tenant_id=exp-a`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(res.headers.get('content-disposition'), `attachment; filename=${type}_report.csv`);
      assert.notEqual(res.text.charCodeAt(0), 0xfeff);
      assert.ok(res.text.endsWith('\r\n'));
    }
    const overview = (await get(`/export/csv/overview?${PERIOD}`)).text;
    assert.equal(overview.split('\r\n').length - 1, overview.split('\n').length - 1, 'every line ends with CRLF');
  });

  it('exports raw records of every kind with the ingest fields, defaulted duration_ms and NULL as an empty cell', async () => {
    const runs = parse((await get(`/export/csv/raw_workflow_runs?${PERIOD}`, a.key)).text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(runs[0]!), ['id', 'tenant_id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at', 'finished_at', 'duration_ms']);
    assert.deepEqual(runs.map((r) => r.id), ['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(runs[0], {
      id: 'r1', tenant_id: 'exp-a', workflow_id: 'wf-1', workflow_name: `'=HYPERLINK("x")`, service: "'-svc", status: 'succeeded',
      started_at: '2026-03-01T01:00:00.000Z', finished_at: '2026-03-01T01:30:00.000Z', duration_ms: '1800000',
    });
    assert.equal(runs[1]!.duration_ms, '60000');
    assert.equal(runs[1]!.workflow_id, "'+42", 'text that looks like a number is still text');
    assert.deepEqual([runs[2]!.workflow_name, runs[2]!.finished_at, runs[2]!.duration_ms], ['', '', '']);
    assert.deepEqual([runs[3]!.workflow_name, runs[3]!.finished_at], ['café ✓', '2026-03-03T02:00:00.123Z']);

    const incidents = parse((await get(`/export/csv/raw_incidents?${PERIOD}`, a.key)).text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(incidents[0]!), ['id', 'tenant_id', 'service', 'severity', 'title', 'opened_at', 'acknowledged_at', 'resolved_at']);
    assert.equal(incidents.length, 4);
    const metrics = parseCsv((await get(`/export/csv/raw_metrics?${PERIOD}`, a.key)).text);
    assert.deepEqual(metrics[0], ['tenant_id', 'service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate']);
    assert.deepEqual(metrics.slice(1), [
      ['exp-a', "'-svc", '2026-03-01T01:00:00.000Z', '0', '12', '0.6'],
      ['exp-a', 'api', '2026-03-01T01:00:00.000Z', '120.5', '30', '0.01'],
      ['exp-a', 'api', '2026-03-01T02:00:00.000Z', '1500', '0.25', '0.000001'],
    ]);
    const predictions = parse((await get(`/export/csv/raw_predictions?${PERIOD}`, a.key)).text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(predictions.map((p) => [p.id, p.model, p.model_version, p.failure_probability, p.outcome]), [
      ['p1', 'm1', '1', '0.9', ''],
      ['p2', 'm1', '', '0.1', ''],
      ['p3', "'=m2", '', '0.55', 'failed'],
    ]);
  });

  it('honours the period of raw exports', async () => {
    const text = (await get(`/export/csv/raw_workflow_runs?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z`, a.key)).text;
    assert.deepEqual(parseCsv(text).slice(1).map((r) => r[0]), ['r3']);
  });

  it('guards text cells against formula injection, and only text cells', async () => {
    const res = await get(`/export/csv/raw_incidents?${PERIOD}`, a.key);
    assert.match(res.text, /"'=HYPERLINK\(""x""\)"/, 'quoted after the guard, quotes doubled');
    const incidents = parse(res.text, { columns: true }) as Record<string, string>[];
    const byId = Object.fromEntries(incidents.map((i) => [i.id, i]));
    assert.equal(byId.i1!.title, `'=HYPERLINK("x")`);
    assert.equal(byId.i1!.service, "'-svc");
    assert.equal(byId.i2!.title, "'\tTabbed");
    assert.equal(byId.i3!.title, "'\rCarriage");
    assert.equal(byId.i3!.service, "'@x");
    assert.equal(byId.i4!.title, 'comma, "quoted"\nnewline');
    // Every number cell stays a number a spreadsheet can sum.
    for (const row of parseCsv((await get(`/export/csv/overview?${PERIOD}`)).text).slice(1)) {
      for (const cell of row.slice(2)) assert.ok(cell === '' || /^-?\d/.test(cell), `number cell ${JSON.stringify(cell)}`);
    }
  });

  it("exports only a tenant key's own rows and answers 404 tenant_not_found for another tenant", async () => {
    for (const type of ['raw_workflow_runs', 'raw_incidents']) {
      const own = parse((await get(`/export/csv/${type}?${PERIOD}`, b.key)).text, { columns: true }) as Record<string, string>[];
      assert.ok(own.length > 0);
      assert.ok(own.every((r) => r.tenant_id === 'exp-b'), type);
    }
    const overview = parse((await get(`/export/csv/overview?${PERIOD}`, b.key)).text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(overview.map((r) => r.tenant_id), ['exp-b']);
    for (const type of ['raw_workflow_runs', 'overview', 'trends']) {
      for (const tenant of ['exp-a', 'no-such-tenant']) {
        const res = await get(`/export/csv/${type}?${PERIOD}&tenant_id=${tenant}`, b.key);
        assert.equal(res.status, 404, `${type} ${tenant}`);
        assert.equal(res.body.error.code, 'tenant_not_found');
      }
    }
    const unknown = await get(`/export/csv/raw_incidents?${PERIOD}&tenant_id=no-such-tenant`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'tenant_not_found');
  });

  it('needs tenant_id for a trends export by an admin, and takes the own tenant of a tenant key', async () => {
    const admin = await get(`/export/csv/trends?${PERIOD}`);
    assert.equal(admin.status, 400);
    assert.equal(admin.body.error.details[0].field, 'tenant_id');
    const own = parseCsv((await get(`/export/csv/trends?${PERIOD}&granularity=day`, b.key)).text);
    assert.equal(own.length, 1 + 7);
    assert.ok(own.slice(1).every((r) => r[0] === 'exp-b'));
  });

  it('rejects an unknown export type and a bad parameter before streaming anything', async () => {
    assert.equal((await get(`/export/csv/nope?${PERIOD}`)).status, 400);
    const bad = await get(`/export/csv/mttr?${PERIOD}&group_by=color`);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type')?.startsWith('application/json'), true);
  });

  it('streams a large raw export completely, in order', async () => {
    const res = await fetch(`${app.url}/export/csv/raw_workflow_runs?${PERIOD}&tenant_id=exp-big`, { headers: { authorization: `Bearer ${app.adminKey}` } });
    const text = (await readBody(res)).toString('utf8');
    const lines = text.split('\r\n');
    assert.equal(lines.length, 150_002);
    assert.match(lines[1]!, /^run-0000000,exp-big,wf-0,"Nightly build, step 0",svc-0,succeeded,2026-03-01T00:00:00\.000Z,2026-03-01T00:00:00\.500Z,500$/);
    assert.match(lines[150_000]!, /^run-0149999,/);
  });

  it('aborts the download when the database fails mid-stream, instead of ending a short file', async () => {
    let failure: () => Promise<void>;
    let tenant = 'exp-big';
    if (engine === 'duckdb') {
      // A real database error in a later slice: a timestamp DuckDB cannot convert.
      tenant = 'exp-bad';
      await app.createTenant(tenant);
      const rows = bulkRuns(tenant, 100_010);
      rows[rows.length - 1]![7] = 9e18;
      await app.server.storage.transaction((tx) => tx.insertMany('workflow_runs', RUN_COLUMNS, rows));
      failure = async () => undefined;
    } else {
      // The backend serving the export is terminated by an administrator while it streams.
      const database = new URL(app.db.env.DATABASE_URL!).pathname.slice(1);
      failure = async () => {
        const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        try {
          let killed = 0;
          await waitUntil(async () => {
            const r = await admin.query(
              "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'COPY%' AND pid <> pg_backend_pid()",
              [database],
            );
            killed = r.rowCount ?? 0;
            return killed > 0;
          }, 'the export backend');
        } finally {
          await admin.end();
        }
      };
    }
    const res = await fetch(`${app.url}/export/csv/raw_workflow_runs?${PERIOD}&tenant_id=${tenant}`, { headers: { authorization: `Bearer ${app.adminKey}` } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done && first.value.length > 0, 'data flowed before the failure');
    await failure();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, 'the body must not end normally');
    // The server is fine afterwards.
    assert.equal((await get(`/export/csv/raw_incidents?${PERIOD}`, a.key)).status, 200);
  });

  it('stops the query and releases its connection when the client goes away', async () => {
    const baseline = app.server.storage.poolStats().total;
    const controller = new AbortController();
    const res = await fetch(`${app.url}/export/csv/raw_workflow_runs?${PERIOD}&tenant_id=exp-big`, {
      headers: { authorization: `Bearer ${app.adminKey}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    assert.equal((await reader.read()).done, false);
    if (engine === 'postgres') {
      const database = new URL(app.db.env.DATABASE_URL!).pathname.slice(1);
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      const exportQueries = async () =>
        (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'COPY%' AND state <> 'idle'", [database])).rows[0].n as number;
      try {
        assert.equal(await exportQueries(), 1, 'the export is running while the client reads');
        controller.abort();
        await waitUntil(async () => (await exportQueries()) === 0, 'no export query left on the server');
      } finally {
        await admin.end();
      }
    } else {
      assert.equal(app.server.storage.poolStats().total, baseline + 1, 'the export holds a connection while the client reads');
      controller.abort();
    }
    // DuckDB counts its export connections in poolStats; PostgreSQL drops the cancelled one.
    await waitUntil(() => app.server.storage.poolStats().total <= baseline, 'the export connection to be released');
    assert.equal((await get(`/export/csv/raw_incidents?${PERIOD}`, a.key)).status, 200);
  });

  it('writes an audit export to the local directory, its manifest carrying the SHA-256 of the file', async () => {
    const res = await app.request('POST', '/export/audit', { body: { type: 'raw_incidents', from: FROM, to: TO, tenant_id: 'exp-a' } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['csv', 'manifest', 'row_count', 'sha256']);
    assert.match(res.body.csv.location, /^file:\/\//);
    const csv = await readFile(fileURLToPath(res.body.csv.location));
    assert.equal(createHash('sha256').update(csv).digest('hex'), res.body.sha256);
    assert.equal(res.body.row_count, 4);
    assert.equal(csv.toString('utf8'), (await get(`/export/csv/raw_incidents?${PERIOD}&tenant_id=exp-a`)).text);
    const manifest = JSON.parse(await readFile(fileURLToPath(res.body.manifest.location), 'utf8'));
    assert.deepEqual(Object.keys(manifest), ['type', 'tenant_id', 'from', 'to', 'row_count', 'sha256', 'created_at', 'version']);
    assert.deepEqual(
      { type: manifest.type, tenant_id: manifest.tenant_id, from: manifest.from, to: manifest.to, row_count: manifest.row_count, sha256: manifest.sha256 },
      { type: 'raw_incidents', tenant_id: 'exp-a', from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z', row_count: 4, sha256: res.body.sha256 },
    );
    assert.ok(!Number.isNaN(Date.parse(manifest.created_at)));
    // A tenant key audits its own tenant only.
    const other = await app.request('POST', '/export/audit', { key: b.key, body: { type: 'overview', from: FROM, to: TO, tenant_id: 'exp-a' } });
    assert.equal(other.status, 404);
  });

  describe('audit export to S3', () => {
    let s3: TestS3Server;
    let s3App: TestApp;
    let client: S3Client;
    const keysIn = async (bucket: string) =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();

    before(async () => {
      s3 = await startS3rver('audit-test');
      client = s3.createClient();
      s3App = await startTestApp(engine, {
        S3_AUDIT_BUCKET: s3.bucket,
        S3_ENDPOINT: s3.endpoint,
        S3_FORCE_PATH_STYLE: '1',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      });
      const t = await s3App.createTenant('s3-a');
      const res = await s3App.request('POST', '/ingest/incidents', {
        key: t.key,
        body: [
          { id: 'i1', service: 'api', severity: 'high', title: '=cmd', opened_at: '2026-03-02T00:00:00Z' },
          { id: 'i2', service: 'api', severity: 'low', title: 'ok', opened_at: '2026-03-03T00:00:00Z' },
        ],
      });
      assert.equal(res.status, 200);
    });
    after(async () => {
      await s3App?.close();
      client?.destroy();
      await s3?.stop();
    });

    it('uploads the CSV and its manifest to the bucket', async () => {
      const res = await s3App.request('POST', '/export/audit', { body: { type: 'raw_incidents', from: FROM, to: TO, tenant_id: 's3-a' } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.row_count, 2);
      const key = (location: string) => {
        const m = /^s3:\/\/audit-test\/(.+)$/.exec(location);
        assert.ok(m, location);
        return m[1]!;
      };
      const csvKey = key(res.body.csv.location);
      const manifestKey = key(res.body.manifest.location);
      const csv = Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: 'audit-test', Key: csvKey }))).Body!.transformToByteArray());
      assert.equal(createHash('sha256').update(csv).digest('hex'), res.body.sha256);
      assert.match(csv.toString('utf8'), /'=cmd/);
      const manifest = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: 'audit-test', Key: manifestKey }))).Body!.transformToString());
      assert.equal(manifest.sha256, res.body.sha256);
      assert.equal(manifest.row_count, 2);
      assert.equal(manifest.tenant_id, 's3-a');
      assert.deepEqual(await keysIn('audit-test'), [csvKey, manifestKey].sort());
    });

    it('answers 502 audit_upload_failed when the upload fails, leaving nothing behind', async () => {
      // The bucket disappears (emptied and deleted behind the server's back).
      for (const Key of await keysIn('audit-test')) await client.send(new DeleteObjectCommand({ Bucket: 'audit-test', Key }));
      await client.send(new DeleteBucketCommand({ Bucket: 'audit-test' }));
      const res = await s3App.request('POST', '/export/audit', { body: { type: 'raw_incidents', from: FROM, to: TO, tenant_id: 's3-a' } });
      assert.equal(res.status, 502, res.text);
      assert.equal(res.body.error.code, 'audit_upload_failed');
      assert.match(res.body.error.message, /nothing was stored/);
      assert.doesNotMatch(res.text, /127\.0\.0\.1|stack|at /);
      const buckets = (await client.send(new ListBucketsCommand({}))).Buckets ?? [];
      assert.deepEqual(buckets.map((x) => x.Name), [], 'no bucket or object was created by the failed attempt');
    });
  });
});
