/**
 * Issue 5, item 1: /metrics as Prometheus sees it — the real exposition of a running server,
 * linted by promtool and scraped by a real Prometheus server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sqlOperation } from '../../src/observability/timed-storage.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import { getFreePort } from '../helpers/redis.ts';
import { findOnPath, toolSkip } from '../helpers/tools.ts';

const run = (id: string, startedAt: string) => ({
  id,
  workflow_id: 'wf-1',
  service: 'api',
  status: 'succeeded',
  started_at: startedAt,
  finished_at: startedAt.replace(':00Z', ':05Z'),
});

/** Runs `promtool check metrics` over `text`; resolves to its exit code and output. */
async function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(findOnPath('promtool')!, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.stdin.end(text);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

/** Values of label `name` across every series of `metric` in an exposition text. */
function labelValues(text: string, metric: string, name: string): string[] {
  const re = new RegExp(`^${metric}\\{[^}]*\\b${name}="([^"]*)"`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** Sum of the samples of `metric` whose labels include every `labels` pair. */
function sampleSum(text: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (Object.entries(labels).every(([k, v]) => m[1]!.includes(`${k}="${v}"`))) sum += Number(m[2]);
  }
  return sum;
}

const promtoolSkip = toolSkip('promtool', 'Debian package `prometheus`');

await describeEachEngine('GET /metrics', (engine) => {
  let app: TestApp;
  let tenant: { id: string; key: string };
  let text: string;

  before(async () => {
    app = await startTestApp(engine);
    // A recognisable tenant id: it must not appear anywhere in the exposition.
    tenant = await app.createTenant(`metricstenant${randomBytes(4).toString('hex')}`);
    const ingest = await app.request('POST', '/ingest/workflow_runs', {
      key: tenant.key,
      body: [run('m-1', '2026-03-01T10:00:00Z'), run('m-2', '2026-03-01T11:00:00Z')],
    });
    assert.equal(ingest.status, 200);
    const period = 'from=2026-03-01&to=2026-03-02';
    assert.equal((await app.request('GET', `/reports/overview?${period}`, { key: tenant.key })).headers.get('x-cache'), 'miss');
    assert.equal((await app.request('GET', `/reports/overview?${period}`, { key: tenant.key })).headers.get('x-cache'), 'hit');
    assert.equal((await app.request('GET', `/reports/trends/${tenant.id}?${period}`, { key: tenant.key })).status, 200);
    assert.equal((await app.request('GET', `/export/csv/overview?${period}`, { key: tenant.key })).status, 200);
    assert.equal((await app.request('GET', `/no/such/route/${tenant.id}`, { key: null })).status, 404);
    const res = await app.request('GET', '/metrics', { key: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    text = res.text;
  });
  after(async () => app?.close());

  it('counts requests and their latency by route template and status', () => {
    assert.equal(sampleSum(text, 'http_requests_total', { method: 'POST', route: '/ingest/:kind', status: '200' }), 1);
    assert.equal(sampleSum(text, 'http_requests_total', { route: '/reports/trends/:tenant_id', status: '200' }), 1);
    assert.equal(sampleSum(text, 'http_requests_total', { route: 'unmatched', status: '404' }), 1);
    assert.equal(sampleSum(text, 'http_request_duration_seconds_count', { route: '/reports/overview', status: '200' }), 2);
    assert.match(text, /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/reports\/overview",status="200"\} \d+$/m);
  });

  it('counts reports and exports by type, ingested records by kind, cache hits and misses', () => {
    assert.equal(sampleSum(text, 'atom_reports_total', { type: 'overview' }), 2);
    assert.equal(sampleSum(text, 'atom_reports_total', { type: 'trends' }), 1);
    assert.equal(sampleSum(text, 'atom_exports_total', { type: 'overview', format: 'csv' }), 1);
    assert.equal(sampleSum(text, 'atom_ingested_records_total', { kind: 'workflow_runs', result: 'inserted' }), 2);
    assert.ok(sampleSum(text, 'atom_cache_requests_total', { result: 'hit' }) >= 1);
    assert.ok(sampleSum(text, 'atom_cache_requests_total', { result: 'miss' }) >= 1);
  });

  it('times database statements by engine and statement kind, and shows the pool', () => {
    assert.ok(sampleSum(text, 'atom_db_query_duration_seconds_count', { engine, operation: 'select' }) > 0);
    assert.ok(sampleSum(text, 'atom_db_query_duration_seconds_count', { engine, operation: 'insert' }) > 0);
    const operations = new Set(labelValues(text, 'atom_db_query_duration_seconds_count', 'operation'));
    for (const op of operations) assert.match(op, /^(select|insert|update|delete|with|create|alter|drop|begin|commit|rollback|declare|fetch|copy|set|show|pragma|checkpoint|explain|other)$/);
    assert.match(text, new RegExp(`^atom_db_pool_connections\\{engine="${engine}",state="total"\\} [1-9]`, 'm'));
  });

  it('exposes process metrics', () => {
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^process_resident_memory_bytes \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
  });

  it('never puts tenant ids or raw URLs into labels', () => {
    assert.doesNotMatch(text, new RegExp(tenant.id));
    assert.doesNotMatch(text, /no\/such\/route/);
    for (const route of labelValues(text, 'http_requests_total', 'route')) assert.ok(route === 'unmatched' || route.startsWith('/'), route);
  });

  it('passes promtool check metrics', { skip: promtoolSkip }, async () => {
    const { code, output } = await promtoolCheck(text);
    assert.equal(code, 0, output);
  });
});

describe('the operation label of database timings', () => {
  it('is the first SQL keyword, lowercased, from a bounded set', () => {
    assert.equal(sqlOperation('SELECT 1'), 'select');
    assert.equal(sqlOperation('  \n\tinsert INTO t VALUES (1)'), 'insert');
    assert.equal(sqlOperation('-- why\n/* and how */ WITH x AS (SELECT 1) SELECT * FROM x'), 'with');
    assert.equal(sqlOperation('(SELECT 1) UNION (SELECT 2)'), 'select');
    assert.equal(sqlOperation('UPDATE api_keys SET revoked_at_ms = $2'), 'update');
    // Anything unexpected collapses into one series instead of creating new ones.
    assert.equal(sqlOperation('VACUUM ANALYZE'), 'other');
    assert.equal(sqlOperation('LISTEN atom_events'), 'other');
    assert.equal(sqlOperation(''), 'other');
  });
});

describe('a real Prometheus server', { skip: toolSkip('prometheus', 'Debian package `prometheus`') }, () => {
  let app: TestApp;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let promUrl: string;
  let promLog = '';

  before(async () => {
    app = await startTestApp('duckdb');
    assert.equal((await app.request('GET', '/healthz', { key: null })).status, 200);
    dir = await mkdtemp(join(tmpdir(), 'atom-prometheus-'));
    const target = new URL(app.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: atom', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    );
    const port = await getFreePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      findOnPath('prometheus')!,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (c: Buffer) => (promLog += c.toString()));
    prometheus.stderr?.on('data', (c: Buffer) => (promLog += c.toString()));
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Polls a Prometheus API path until `accept` returns a value, or fails with Prometheus' log. */
  async function pollApi<T>(path: string, accept: (body: any) => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(promUrl + path);
        if (res.ok) {
          const value = accept(await res.json());
          if (value !== undefined) return value;
        }
      } catch {
        // Prometheus still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out waiting for ${what}; prometheus output:\n${promLog.slice(-3000)}`);
  }

  it('scrapes the app: the target is up and http_requests_total is queryable', async () => {
    const target = await pollApi(
      '/api/v1/targets',
      (body) => body.data.activeTargets.find((t: any) => t.labels.job === 'atom' && t.health === 'up'),
      'the atom target to be up',
    );
    assert.equal(target.scrapeUrl, `${app.url}/metrics`);
    assert.equal(target.lastError, '');
    const series = await pollApi(
      `/api/v1/query?query=${encodeURIComponent('http_requests_total{job="atom"}')}`,
      (body) => (body.status === 'success' && body.data.result.length > 0 ? body.data.result : undefined),
      'http_requests_total',
    );
    const routes = series.map((s: any) => s.metric.route);
    assert.ok(routes.includes('/healthz'), `routes seen: ${routes.join(', ')}`);
    assert.ok(series.every((s: any) => Number(s.value[1]) >= 1));
  });
});
