/**
 * Issue 5, item 4: structured logs. One line per request with its id, route, status, duration
 * and tenant; keys and Authorization headers never appear; 5xx answers are masked while the log
 * keeps the details.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { UnavailableError } from '../../src/domain/errors.ts';
import { registerErrorHandling } from '../../src/http/plugins/errors.ts';
import { startTestAppOn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/engines.ts';
import { captureLogs, LEVEL, type LogCapture } from '../helpers/logs.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request logs', () => {
  let app: TestApp;
  let logs: LogCapture;
  let tenant: { id: string; key: string; keyId: string };
  const secrets: string[] = [];
  const requestIds: string[] = [];

  before(async () => {
    logs = captureLogs('info');
    app = await startTestAppOn(await createTestDatabase('duckdb'), {}, { ownsDatabase: true, logger: logs.logger });
    secrets.push(app.adminKey);
    tenant = await app.createTenant();
    secrets.push(tenant.key);
    const calls: [string, string, Parameters<TestApp['request']>[2]][] = [
      ['GET', '/tenants', {}],
      ['POST', `/tenants/${tenant.id}/keys`, { body: { name: 'second' } }],
      ['POST', '/ingest/workflow_runs', {
        key: tenant.key,
        body: [{ id: 'r1', workflow_id: 'w', service: 'api', status: 'succeeded', started_at: '2026-03-01T00:00:00Z', finished_at: '2026-03-01T00:00:01Z' }],
      }],
      ['POST', '/ingest/workflow_runs', { key: tenant.key, body: [{ id: 'bad' }] }],
      ['GET', '/reports/overview?from=2026-03-01&to=2026-03-02', { key: tenant.key }],
      ['GET', `/reports/overview?tenant_id=someone-else`, { key: tenant.key }],
      ['GET', '/reports/overview', { key: 'atom_tk_wrong_key_never_logged' }],
      ['GET', '/reports/overview', { key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
      ['GET', '/not/a/route', {}],
    ];
    secrets.push('atom_tk_wrong_key_never_logged', 'dXNlcjpwYXNz');
    for (const [method, path, opts] of calls) {
      const res = await app.request(method, path, opts);
      if (res.body?.key) secrets.push(res.body.key);
      requestIds.push(res.headers.get('x-request-id')!);
    }
    await app.request('DELETE', `/keys/${tenant.keyId}`);
  });
  after(async () => app?.close());

  it('never contains an admin key, a tenant key, or an Authorization header', () => {
    const text = logs.text();
    assert.ok(text.length > 0);
    for (const secret of secrets) assert.ok(!text.includes(secret), `a key or credential was logged`);
    assert.doesNotMatch(text, /bearer/i);
    assert.doesNotMatch(text, /authorization/i);
  });

  it('writes one line per request with request id, route template, status, duration and tenant', () => {
    const lines = logs.withMessage('request');
    for (const id of requestIds) {
      const forRequest = lines.filter((l) => l.req_id === id);
      assert.equal(forRequest.length, 1, `one line for request ${id}`);
    }
    for (const line of lines) {
      assert.equal(line.level, LEVEL.info);
      assert.match(String(line.req_id), UUID);
      assert.equal(typeof line.route, 'string');
      assert.equal(typeof line.status, 'number');
      assert.equal(typeof line.duration_ms, 'number');
      assert.equal(typeof line.time, 'string');
    }
    const ingest = lines.find((l) => l.route === '/ingest/:kind' && l.status === 200)!;
    assert.equal(ingest.tenant_id, tenant.id);
    assert.equal(ingest.actor, 'tenant');
    assert.equal(ingest.method, 'POST');
    const overview = lines.find((l) => l.route === '/reports/overview' && l.status === 200)!;
    assert.equal(overview.tenant_id, tenant.id, 'the tenant is logged, never the key');
    const foreign = lines.find((l) => l.route === '/reports/overview' && l.status === 404)!;
    assert.equal(foreign.tenant_id, tenant.id);
    const unauthorized = lines.filter((l) => l.route === '/reports/overview' && l.status === 401);
    assert.equal(unauthorized.length, 2);
    for (const l of unauthorized) assert.equal(l.tenant_id, undefined);
    assert.ok(lines.some((l) => l.route === 'unmatched' && l.status === 404));
    const admin = lines.find((l) => l.route === '/tenants' && l.method === 'GET')!;
    assert.equal(admin.actor, 'admin');
    assert.equal(admin.tenant_id, undefined);
  });
});

describe('5xx answers', () => {
  let logs: LogCapture;
  let app: FastifyInstance;

  before(async () => {
    logs = captureLogs('info');
    // The app's own error handler on a bare app, with routes that fail the way bugs and outages do.
    const loggerInstance: FastifyBaseLogger = logs.logger;
    app = Fastify({ loggerInstance, genReqId: () => 'req-5xx-test' });
    registerErrorHandling(app);
    app.get('/bug', async () => {
      throw new Error('relation "secret_table" does not exist: SELECT * FROM secret_table');
    });
    app.get('/db-down', async () => {
      throw Object.assign(new UnavailableError(), { cause: new Error('connect ECONNREFUSED 10.0.0.7:5432') });
    });
    await app.ready();
  });
  after(async () => app?.close());

  it('mask internals in the body and quote the request id; the log keeps the details', async () => {
    const res = await app.inject('/bug');
    assert.equal(res.statusCode, 500);
    const body = res.json();
    assert.equal(body.error.code, 'internal_error');
    assert.match(body.error.message, /req-5xx-test/);
    assert.doesNotMatch(res.body, /secret_table|SELECT|at .*\.ts/);
    const line = logs.withMessage('unhandled error')[0]!;
    assert.equal(line.level, LEVEL.error);
    assert.equal(line.reqId, 'req-5xx-test');
    assert.match(JSON.stringify(line.err), /secret_table/);
  });

  it('answer a database outage 503 with Retry-After and keep the cause in the log only', async () => {
    const res = await app.inject('/db-down');
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.json().error.code, 'database_unavailable');
    assert.doesNotMatch(res.body, /ECONNREFUSED|10\.0\.0\.7/);
    const line = logs.withMessage('request failed')[0]!;
    assert.equal(line.level, LEVEL.warn);
    assert.match(JSON.stringify(line.err), /ECONNREFUSED 10\.0\.0\.7/);
  });
});
