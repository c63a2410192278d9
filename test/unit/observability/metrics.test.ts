import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';

import { createMetrics, normalizeMethodLabel, normalizeRouteLabel } from '../../../src/observability/metrics.ts';

function findPromtool(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'promtool'), constants.X_OK);
      return join(dir, 'promtool');
    } catch {
      // not here
    }
  }
  return undefined;
}

function promtoolSkipReason(): string | undefined {
  if (findPromtool()) return undefined;
  // A lint tool, not a service the suite needs: skipped (visibly) even under ATOM_REQUIRE_SERVICES.
  const reason = 'promtool is not installed (Debian package `prometheus`); exposition lint skipped';
  console.warn(`NOTICE: ${reason}`);
  return reason;
}

/** A metrics instance with one sample in every application metric. */
function exercisedMetrics() {
  const metrics = createMetrics();
  metrics.observeHttpRequest({ method: 'get', route: '/reports/trends/:tenant_id', statusCode: 200, durationSeconds: 0.042 });
  metrics.observeHttpRequest({ method: 'GET', route: undefined, statusCode: 404, durationSeconds: 0.001 });
  metrics.recordReport('overview');
  metrics.recordExport('costs', 'csv');
  metrics.recordIngested('workflow_runs', 'inserted', 3);
  metrics.recordIngested('workflow_runs', 'unchanged');
  metrics.recordCacheResult('hit');
  metrics.observeDbQuery('duckdb', 'report', 0.003);
  metrics.setPoolStatsProvider(() => [
    { engine: 'postgres', state: 'idle', connections: 3 },
    { engine: 'postgres', state: 'total', connections: 10 },
  ]);
  return metrics;
}

const APPLICATION_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds',
  'atom_reports_total',
  'atom_exports_total',
  'atom_ingested_records_total',
  'atom_cache_requests_total',
  'atom_db_query_duration_seconds',
  'atom_db_pool_connections',
];

describe('application metrics', () => {
  it('exposes every application metric and the process metrics', async () => {
    const text = await exercisedMetrics().metricsText();
    for (const name of APPLICATION_METRICS) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^http_requests_total\{method="GET",route="\/reports\/trends\/:tenant_id",status="200"\} 1$/m);
    assert.match(text, /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(text, /^atom_ingested_records_total\{kind="workflow_runs",result="inserted"\} 3$/m);
    assert.match(text, /^atom_cache_requests_total\{result="miss"\} 0$/m, 'miss series exists before the first miss');
    assert.match(text, /^atom_db_pool_connections\{engine="postgres",state="idle"\} 3$/m);
  });

  it('labels routes by template only, never by raw URL', () => {
    assert.equal(normalizeRouteLabel(undefined), 'unmatched');
    assert.equal(normalizeRouteLabel(''), 'unmatched');
    assert.equal(normalizeRouteLabel('/reports/tenant/:tenant_id'), '/reports/tenant/:tenant_id');
    assert.equal(normalizeMethodLabel('post'), 'POST');
    assert.equal(normalizeMethodLabel('BREW'), 'OTHER');
  });

  it('gives each app its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.recordReport('mttr');
    assert.notEqual(a.registry, b.registry);
    assert.match(await a.metricsText(), /^atom_reports_total\{type="mttr"\} 1$/m);
    assert.doesNotMatch(await b.metricsText(), /^atom_reports_total\{/m);
    assert.match(a.contentType, /^text\/plain/);
  });

  it('reads pool stats at scrape time and survives a failing provider', async () => {
    const errors: unknown[] = [];
    const metrics = createMetrics({ collectDefaults: false, onCollectError: (err) => errors.push(err) });
    let idle = 1;
    metrics.setPoolStatsProvider(async () => [{ engine: 'postgres', state: 'idle', connections: idle }]);
    assert.match(await metrics.metricsText(), /state="idle"\} 1$/m);
    idle = 4;
    assert.match(await metrics.metricsText(), /state="idle"\} 4$/m);
    metrics.setPoolStatsProvider(() => {
      throw new Error('pool gone');
    });
    const text = await metrics.metricsText();
    assert.doesNotMatch(text, /^atom_db_pool_connections\{/m);
    assert.equal(errors.length, 1);
  });

  it('passes promtool check metrics', { skip: promtoolSkipReason() }, async () => {
    const text = await exercisedMetrics().metricsText();
    const promtool = spawn(findPromtool() as string, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    promtool.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    promtool.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    promtool.stdin.end(text);
    const code = await new Promise<number | null>((resolve) => promtool.on('close', resolve));
    assert.equal(code, 0, output);
  });
});
