/**
 * Defence in depth: a query that forgets its WHERE tenant_id still sees only the tenants in
 * scope (PostgreSQL row-level security; DuckDB's guard refuses rows of other tenants).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';

const run = (id: string) => ({
  id,
  workflow_id: 'wf',
  service: 'api',
  status: 'succeeded',
  started_at: '2026-03-01T10:00:00Z',
  finished_at: '2026-03-01T10:00:01Z',
});

await describeEachEngine('tenant guard', (engine) => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp(engine);
    const a = await app.createTenant('guard-a');
    const b = await app.createTenant('guard-b');
    await app.request('POST', '/ingest/workflow_runs', { key: a.key, body: [run('1'), run('2')] });
    await app.request('POST', '/ingest/workflow_runs', { key: b.key, body: [run('1'), run('2'), run('3')] });
  });
  after(async () => app?.close());

  it('limits a query without WHERE tenant_id to the scope, or refuses it', async () => {
    const scoped = app.server.storage.scoped(['guard-a']);
    if (engine === 'postgres') {
      const rows = await scoped.query<{ tenant_id: string }>('SELECT tenant_id, id FROM workflow_runs');
      assert.equal(rows.length, 2);
      assert.ok(rows.every((r) => r.tenant_id === 'guard-a'));
      const n = await scoped.query<{ n: number }>('SELECT count(*) AS n FROM workflow_runs');
      assert.equal(n[0]!.n, 2);
      const tenants = await scoped.query<{ tenant_id: string }>('SELECT tenant_id FROM tenants');
      assert.deepEqual(tenants.map((t) => t.tenant_id), ['guard-a']);
      await assert.rejects(scoped.query('SELECT key_hash FROM api_keys'), 'the scoped role cannot read keys');
    } else {
      await assert.rejects(scoped.query('SELECT tenant_id, id FROM workflow_runs'), /tenant guard/);
      const own = await scoped.query<{ tenant_id: string }>("SELECT tenant_id FROM workflow_runs WHERE tenant_id = 'guard-a'");
      assert.equal(own.length, 2);
    }
    const all = await app.server.storage.scoped(null).query<{ n: number }>('SELECT count(*) AS n FROM workflow_runs');
    assert.equal(all[0]!.n, 5);
  });
});
