/**
 * `atom-analytics import`: per-line rejections (CSV included), resuming with the rejected lines
 * of earlier runs, checkpoints bound to tenant and destination, and the --url path against a
 * stand-in for the ingest API that can fail on demand.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startChildServer } from '../helpers/child-server.ts';
import { cliIn, type CliResult } from './run-cli.ts';

let dir = '';
const cli = (...args: string[]): Promise<CliResult> => cliIn(dir)(args);
const cliWithEnv = (env: Record<string, string>, ...args: string[]): Promise<CliResult> => cliIn(dir)(args, env);

const run = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  workflow_id: 'w',
  service: 'api',
  status: 'succeeded',
  started_at: '2026-03-01T10:00:00Z',
  finished_at: '2026-03-01T10:00:02Z',
  ...extra,
});
const ndjson = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * A stand-in for the ingest API: records whose id starts with "bad" are rejected (400 with
 * details, nothing stored, like the real all-or-nothing batch); after `failAfter` successful
 * posts it answers 503 until reset; GET /tenants answers `tenantsStatus` (200 admin, 403 tenant key).
 */
const api = {
  server: null as Server | null,
  url: '',
  posts: 0,
  failAfter: Infinity,
  tenantsStatus: 200,
  authorizations: [] as string[],
  stored: new Set<string>(),
  reset() {
    Object.assign(this, { posts: 0, failAfter: Infinity, tenantsStatus: 200, authorizations: [], stored: new Set<string>() });
  },
};

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

describe('atom-analytics import', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-cli-import-'));
    assert.equal((await cli('tenants', 'create', '--id', 'acme', '--name', 'Acme')).code, 0);
    api.server = createServer(async (req, res) => {
      api.authorizations.push(String(req.headers.authorization));
      const send = (status: number, payload: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      if (req.method === 'GET' && req.url?.startsWith('/tenants')) return send(api.tenantsStatus, api.tenantsStatus === 200 ? { tenants: [] } : { error: { code: 'forbidden', message: 'This endpoint needs an admin key' } });
      const records = (await body(req)).split('\n').map((l) => JSON.parse(l) as { id: string });
      if (api.posts >= api.failAfter) return send(503, { error: { code: 'database_unavailable', message: 'The database is unavailable; retry shortly' } });
      const details = records.flatMap((r, index) => (r.id.startsWith('bad') ? [{ index, field: 'id', message: `id ${r.id} is refused by the stand-in` }] : []));
      if (details.length) return send(400, { error: { code: 'validation_error', message: 'Invalid records', details } });
      api.posts++;
      let inserted = 0;
      for (const r of records) if (!api.stored.has(r.id)) (api.stored.add(r.id), inserted++);
      return send(200, { inserted, updated: 0, unchanged: records.length - inserted });
    });
    await new Promise<void>((resolve) => api.server!.listen(0, '127.0.0.1', resolve));
    api.url = `http://127.0.0.1:${(api.server!.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => api.server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => api.reset());

  it('rejects a CSV row with the wrong number of cells on its own line and imports the rest', async () => {
    const file = join(dir, 'short-row.csv');
    await writeFile(
      file,
      [
        'id,workflow_id,service,status,started_at,finished_at',
        'c1,w,api,succeeded,2026-03-01T10:00:00Z,2026-03-01T10:00:02Z',
        'c2,w,api',
        'c3,w,api,succeeded,2026-03-01T10:00:00Z,2026-03-01T10:00:02Z,surplus',
        'c4,w,api,succeeded,2026-03-01T10:00:00Z,2026-03-01T10:00:02Z',
      ].join('\n') + '\n',
    );
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'acme');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /4 records read, 2 inserted, 0 updated, 0 unchanged, 2 rejected/);
    assert.match(r.stdout, /line 3: has 3 fields, the header has 6/);
    assert.match(r.stdout, /line 4: has 7 fields, the header has 6/);
    assert.doesNotMatch(r.stderr, /unexpected error/);
  });

  it('says a CSV number cell must be a number, without the JSON advice to send it unquoted', async () => {
    const file = join(dir, 'duration.csv');
    await writeFile(file, 'id,workflow_id,service,status,started_at,finished_at,duration_ms\nd1,w,api,succeeded,2026-03-01T10:00:00Z,2026-03-01T10:00:02Z,abc\n');
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'acme');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /line 2: duration_ms must be a number, got "abc"/);
    assert.doesNotMatch(r.stdout, /unquoted|JSON number/);
  });

  it('stops on CSV quoting it cannot follow with one line naming the line, not an unexpected error', async () => {
    const file = join(dir, 'quotes.csv');
    await writeFile(file, 'id,workflow_id,service,status,started_at\nq1,w,"api"x,running,2026-03-01T10:00:00Z\n');
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'acme');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^atom-analytics: import stopped: line 2 is not valid CSV/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('refuses up front, with one usage error, records without tenant_id when no --tenant is given', async () => {
    const file = join(dir, 'no-tenant.ndjson');
    await writeFile(file, ndjson(Array.from({ length: 300 }, (_, i) => run(`nt${i}`))));
    const r = await cli('import', 'workflow_runs', file);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /line 1 has no tenant_id and no --tenant was given: pass --tenant/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(`${file}.atom-import.json`), false, 'nothing was committed');
  });

  it('refuses an unknown --tenant up front instead of rejecting every line', async () => {
    const file = join(dir, 'unknown-tenant.ndjson');
    await writeFile(file, ndjson([run('u1'), run('u2')]));
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'nosuch');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown tenant "nosuch" \(--tenant\)/);
  });

  it('resumes an interrupted import and still lists the lines rejected before the interruption, exit 1', async () => {
    const file = join(dir, 'resume.ndjson');
    const records = [run('bad-1'), run('r2'), run('bad-3'), ...Array.from({ length: 9 }, (_, i) => run(`r${i + 4}`))];
    await writeFile(file, ndjson(records));
    api.failAfter = 2; // batches of 3: lines 1-3 and 4-6 are committed, then the server fails
    const first = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url, '--key', 'k', '--batch', '3');
    assert.equal(first.code, 1);
    assert.match(first.stderr, /the server at http:\/\/127\.0\.0\.1:\d+ answered 503 .*Lines up to 6 are stored: run the same command again to resume/);
    assert.equal(first.stdout, '');
    assert.equal(existsSync(`${file}.atom-import.json`), true);

    api.failAfter = Infinity;
    const second = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url, '--key', 'k', '--batch', '3');
    assert.match(second.stderr, /resuming after line 6/);
    assert.match(second.stdout, /12 records read, 10 inserted, 0 updated, 0 unchanged, 2 rejected/);
    assert.match(second.stdout, /line 1: id bad-1 is refused/);
    assert.match(second.stdout, /line 3: id bad-3 is refused/);
    assert.equal(second.code, 1, 'lines rejected before the interruption still make a non-zero exit');
    assert.equal(existsSync(`${file}.atom-import.json`), false, 'a complete import removes its checkpoint');
  });

  it('does not resume a checkpoint written for another tenant or destination, and says so in one line', async () => {
    const file = join(dir, 'other.ndjson');
    await writeFile(file, ndjson(Array.from({ length: 6 }, (_, i) => run(`o${i}`))));
    api.failAfter = 1;
    const interrupted = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url, '--key', 'k', '--batch', '3');
    assert.equal(interrupted.code, 1);
    api.failAfter = Infinity;

    const otherTenant = await cli('import', 'workflow_runs', file, '--tenant', 'globex', '--url', api.url, '--key', 'k', '--batch', '3');
    assert.match(otherTenant.stderr, /checkpoint other\.ndjson\.atom-import\.json is for --tenant acme, not this import; starting from line 1/);
    assert.doesNotMatch(otherTenant.stderr, /resuming/);
    assert.match(otherTenant.stdout, /6 records read/);

    api.reset();
    api.failAfter = 1;
    await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url, '--key', 'k', '--batch', '3');
    const local = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--batch', '3');
    assert.match(local.stderr, /is for another destination \(http:\/\/127\.0\.0\.1:\d+\), not this import; starting from line 1/);
    assert.match(local.stdout, /6 records read, 6 inserted/);
    assert.equal(local.code, 0);
  });

  it('takes the --url key from ATOM_API_KEY, and asks for one when neither is given', async () => {
    const file = join(dir, 'env-key.ndjson');
    await writeFile(file, ndjson([run('e1')]));
    const missing = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--url needs an API key: set ATOM_API_KEY/);
    const r = await cliWithEnv({ ATOM_API_KEY: 'atom_tk_from_env' }, 'import', 'workflow_runs', file, '--tenant', 'acme', '--url', api.url);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(api.authorizations, ['Bearer atom_tk_from_env']);
  });

  it('through --url: refuses records without a tenant under an admin key, and sends them under a tenant key', async () => {
    const file = join(dir, 'url-no-tenant.ndjson');
    await writeFile(file, ndjson([run('t1'), run('t2')]));
    const admin = await cli('import', 'workflow_runs', file, '--url', api.url, '--key', 'admin');
    assert.equal(admin.code, 2);
    assert.match(admin.stderr, /line 1 has no tenant_id and no --tenant was given/);
    assert.equal(api.posts, 0);
    api.tenantsStatus = 403;
    const tenantKey = await cli('import', 'workflow_runs', file, '--url', api.url, '--key', 'tenant');
    assert.equal(tenantKey.code, 0, tenantKey.stderr);
    assert.match(tenantKey.stdout, /2 inserted/);
  });

  it('says which server cannot be reached instead of "fetch failed"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const file = join(dir, 'down.ndjson');
    await writeFile(file, ndjson([run('x1')]));
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--url', url, '--key', 'k');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `atom-analytics: cannot reach the server at ${url} (ECONNREFUSED); is it running?`);
  });

  it('keeps a piped stderr free of progress redraws', async () => {
    const file = join(dir, 'quiet.ndjson');
    await writeFile(file, ndjson(Array.from({ length: 50 }, (_, i) => run(`p${i}`))));
    const r = await cli('import', 'workflow_runs', file, '--tenant', 'acme', '--batch', '7');
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
  });
});

describe('atom-analytics import --url against the real server', () => {
  it('refuses tenant-less records under the admin key, and imports them under a tenant key from ATOM_API_KEY with per-line rejections', async () => {
    const serverDir = await mkdtemp(join(tmpdir(), 'atom-cli-server-'));
    const admin = 'atom_admin_cli_test_key_0123456789';
    const server = await startChildServer({ DATA_DIR: join(serverDir, 'data'), ATOM_ADMIN_KEY: admin, DATABASE_URL: '' });
    try {
      const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
      assert.equal((await fetch(`${server.url}/tenants`, { method: 'POST', headers, body: JSON.stringify({ id: 'acme', name: 'Acme' }) })).status, 201);
      const key = ((await (await fetch(`${server.url}/tenants/acme/keys`, { method: 'POST', headers, body: '{}' })).json()) as { key: string }).key;
      const file = join(serverDir, 'runs.ndjson');
      await writeFile(file, ndjson([run('s1'), run('s2', { finished_at: null }), run('s3')]));
      const cliHere = cliIn(serverDir);

      const asAdmin = await cliHere(['import', 'workflow_runs', file, '--url', server.url], { ATOM_API_KEY: admin });
      assert.equal(asAdmin.code, 2);
      assert.match(asAdmin.stderr, /line 1 has no tenant_id and no --tenant was given/);

      const asTenant = await cliHere(['import', 'workflow_runs', file, '--url', server.url], { ATOM_API_KEY: key });
      assert.equal(asTenant.code, 1, asTenant.stderr);
      assert.match(asTenant.stdout, /3 records read, 2 inserted, 0 updated, 0 unchanged, 1 rejected/);
      assert.match(asTenant.stdout, /line 2: finished_at is required unless status is running/);

      const wrongKey = await cliHere(['import', 'workflow_runs', file, '--url', server.url, '--tenant', 'acme'], { ATOM_API_KEY: 'atom_tk_nope' });
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.stderr, /the server at http:\/\/127\.0\.0\.1:\d+ refused the API key \(401/);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
      await rm(serverDir, { recursive: true, force: true });
    }
  });
});
