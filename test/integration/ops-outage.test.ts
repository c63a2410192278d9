/**
 * Issue 5, item 6: outages and shutdown. PostgreSQL cut off behind a TCP proxy the test controls
 * → 503 database_unavailable with Retry-After, no crash, recovery without a restart. SIGTERM on
 * a real `atom-analytics serve` process → it stops accepting, finishes the request in flight,
 * closes its database and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import { startTestAppOn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.ts';
import { getFreePort, startTcpProxy, type TcpProxy } from '../helpers/redis.ts';
import { PG_ADMIN_URL, serviceSkip } from '../helpers/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PERIOD = 'from=2026-03-01&to=2026-03-02';

const run = (id: string) => ({
  id,
  workflow_id: 'wf',
  service: 'api',
  status: 'succeeded',
  started_at: '2026-03-01T10:00:00Z',
  finished_at: '2026-03-01T10:00:03Z',
});

describe('PostgreSQL outage', { skip: await serviceSkip('postgres') }, () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;
  let tenant: { id: string; key: string };

  before(async () => {
    db = await createTestDatabase('postgres');
    proxy = await startTcpProxy(Number(new URL(PG_ADMIN_URL).port || 5432));
    // The app reaches the database only through the proxy.
    const viaProxy = new URL(db.env.DATABASE_URL!);
    viaProxy.port = String(proxy.port);
    app = await startTestAppOn(db, { DATABASE_URL: viaProxy.toString(), PG_POOL_SIZE: '4' });
    tenant = await app.createTenant();
    const res = await app.request('POST', '/ingest/workflow_runs', { key: tenant.key, body: [run('before-outage')] });
    assert.equal(res.status, 200);
  });
  after(async () => {
    await app?.close();
    await proxy?.close();
    await db?.dispose();
  });

  function assertUnavailable(res: { status: number; body: any; text: string; headers: Headers }, what: string): void {
    assert.equal(res.status, 503, `${what}: ${res.text}`);
    assert.equal(res.body.error.code, 'database_unavailable', what);
    assert.equal(res.headers.get('retry-after'), '5', what);
    // Never the driver's words: no addresses, no error codes, no SQL.
    assert.doesNotMatch(res.text, /ECONN|terminated|127\.0\.0\.1|SELECT|5432/, what);
  }

  it('answers 503 database_unavailable with Retry-After while cut off, and recovers on its own', async () => {
    assert.equal((await app.request('GET', `/reports/overview?${PERIOD}`, { key: tenant.key })).status, 200);

    proxy.cut();
    // Tenant keys are resolved in the database, the admin key is not: both paths answer 503.
    assertUnavailable(await app.request('GET', `/reports/overview?${PERIOD}`, { key: tenant.key, headers: { 'cache-control': 'no-cache' } }), 'tenant report');
    assertUnavailable(await app.request('GET', `/reports/mttr?${PERIOD}`), 'admin report');
    assertUnavailable(await app.request('POST', '/ingest/workflow_runs', { key: tenant.key, body: [run('during-outage')] }), 'ingest');
    assertUnavailable(await app.request('POST', '/tenants', { body: { name: 'During the outage' } }), 'tenant creation');
    assertUnavailable(await app.request('GET', '/readyz', { key: null }), 'readiness');
    // The process is up and says so; only readiness fails.
    assert.equal((await app.request('GET', '/healthz', { key: null })).status, 200);
    assert.equal((await app.request('GET', '/metrics', { key: null })).status, 200);

    proxy.heal();
    // No restart: the pool opens new connections on the next request.
    const ready = await app.request('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200, ready.text);
    const after = await app.request('POST', '/ingest/workflow_runs', { key: tenant.key, body: [run('after-outage')] });
    assert.deepEqual(after.body, { inserted: 1, updated: 0, unchanged: 0 });
    const report = await app.request('GET', `/reports/overview?${PERIOD}`, { key: tenant.key });
    assert.equal(report.status, 200);
    // The batch refused during the outage was not stored; the others were.
    assert.equal(report.body.rows[0].total_workflows, 2);
  });

  it('survives connections dying in the middle of use, repeatedly', async () => {
    for (let i = 0; i < 3; i++) {
      const inFlight = Promise.all([
        app.request('GET', `/reports/health?${PERIOD}`, { key: tenant.key, headers: { 'cache-control': 'no-cache' } }),
        app.request('GET', `/export/csv/raw_workflow_runs?${PERIOD}`, { key: tenant.key }).catch((err: Error) => ({ status: 0, err })),
        app.request('POST', '/ingest/workflow_runs', { key: tenant.key, body: [run(`churn-${i}`)] }),
      ]);
      setTimeout(() => proxy.cut(), 5);
      const answers = await inFlight;
      for (const a of answers) assert.ok([0, 200, 503].includes(a.status), `unexpected status ${a.status}`);
      proxy.heal();
      assert.equal((await app.request('GET', '/readyz', { key: null })).status, 200);
    }
    assert.equal((await app.request('GET', `/reports/overview?${PERIOD}`, { key: tenant.key })).status, 200);
  });
});

describe('SIGTERM', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let output = '';

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'atom-sigterm-'));
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Resolves when GET /healthz answers, or fails with the server's output. */
  async function waitUntilUp(url: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child!.exitCode !== null) throw new Error(`server exited early (${child!.exitCode}):\n${output}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`server did not come up:\n${output}`);
  }

  it('stops accepting, finishes the request in flight, closes the database and exits 0', async () => {
    const port = await getFreePort();
    const adminKey = `atom_admin_sigterm_${randomBytes(12).toString('hex')}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        ATOM_DEMO: '0',
        ATOM_ADMIN_KEY: adminKey,
        DATABASE_URL: '',
        REDIS_URL: '',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(url);

    const auth = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const tenantId = `sigterm_${randomBytes(4).toString('hex')}`;
    assert.equal((await fetch(`${url}/tenants`, { method: 'POST', headers: auth, body: JSON.stringify({ id: tenantId, name: 'SIGTERM' }) })).status, 201);

    // A slow request: the body arrives in two halves with the signal in between, so the request is
    // certainly in flight (headers read, handler waiting on its body) when SIGTERM lands.
    const records = Array.from({ length: 2000 }, (_, i) => ({ ...run(`slow-${i}`), tenant_id: tenantId }));
    const body = JSON.stringify(records);
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${url}/ingest/workflow_runs`, { method: 'POST', headers: { ...auth, connection: 'close' }, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.write(body.slice(0, half));
      setTimeout(() => {
        child!.kill('SIGTERM');
        setTimeout(async () => {
          // Meanwhile no new connection is accepted.
          await assert.rejects(fetch(`${url}/healthz`), 'a new connection after SIGTERM must be refused');
          req.end(body.slice(half));
        }, 500);
      }, 300);
    });

    const answer = await response;
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { inserted: records.length, updated: 0, unchanged: 0 });
    const { code, signal } = await exited;
    assert.equal(signal, null, output);
    assert.equal(code, 0, output);
    assert.match(output, /shutting down/);
    assert.match(output, /"msg":"stopped"/);

    // The database was closed cleanly (DuckDB allows one process: opening it proves the lock is
    // released) and holds every record of the request that was in flight.
    const storage = await createDuckDbStorage({ path: join(dataDir, 'atom.duckdb'), memoryLimit: '256MB', threads: 1 });
    try {
      const rows = await storage.query<{ n: number }>('SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1', [tenantId]);
      assert.equal(rows[0]!.n, records.length);
    } finally {
      await storage.close();
    }
  });
});
