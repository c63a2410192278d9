/**
 * Crash durability: concurrent ingest clients, SIGKILL at a random moment, restart, and check
 * that nothing acknowledged was lost and nothing unacknowledged was half-stored.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { startChildServer, freePort, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase, describeEachEngine, type TestDatabase } from '../helpers/engines.ts';

const CLIENTS = 3;
const BATCH = 200;
const KILL_POINTS_MS = [250, 700, 1300];

interface BatchState {
  ids: string[];
  acknowledged: boolean;
}

function batchOf(client: number, round: number, seq: number): Record<string, unknown>[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `k${round}-c${client}-b${seq}-r${i}`,
    workflow_id: 'wf',
    service: `svc-${i % 4}`,
    status: i % 5 === 0 ? 'failed' : 'succeeded',
    started_at: new Date(Date.UTC(2026, 2, 1) + (seq * BATCH + i) * 1000).toISOString(),
    finished_at: new Date(Date.UTC(2026, 2, 1) + (seq * BATCH + i) * 1000 + 500).toISOString(),
  }));
}

await describeEachEngine('crash durability', (engine) => {
  let db: TestDatabase;
  const adminKey = `atom_admin_${randomBytes(12).toString('hex')}`;
  let tenantKey = '';
  let server: ChildServer | null = null;
  let port = 0;

  const env = () => ({ ...(db.env as Record<string, string>), ATOM_ADMIN_KEY: adminKey, RATE_LIMIT_MAX: '1000000' });

  before(async () => {
    db = await createTestDatabase(engine);
    port = await freePort();
    server = await startChildServer(env(), port);
    await fetch(`${server.url}/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'crash', name: 'Crash test' }),
    });
    const k = await fetch(`${server.url}/tenants/crash/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    tenantKey = ((await k.json()) as { key: string }).key;
  });
  after(async () => {
    server?.proc.kill('SIGKILL');
    await server?.exited;
    await db?.dispose();
  });

  for (const [round, killAt] of KILL_POINTS_MS.entries()) {
    it(`loses no acknowledged record and stores no partial batch when killed after ${killAt} ms`, async () => {
      const srv = server!;
      const batches: BatchState[] = [];
      let stop = false;
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        for (let seq = 0; !stop; seq++) {
          const records = batchOf(c, round, seq);
          const state: BatchState = { ids: records.map((r) => r.id as string), acknowledged: false };
          batches.push(state);
          try {
            const res = await fetch(`${srv.url}/ingest/workflow_runs`, {
              method: 'POST',
              headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
              body: JSON.stringify(records),
            });
            if (res.status === 200) state.acknowledged = true;
            else await res.text();
          } catch {
            return; // the server died mid-request
          }
        }
      });
      await new Promise((r) => setTimeout(r, killAt + Math.floor(Math.random() * 200)));
      srv.proc.kill('SIGKILL');
      stop = true;
      await srv.exited;
      await Promise.all(clients);
      const acked = batches.filter((b) => b.acknowledged);
      assert.ok(acked.length > 0, 'some batches were acknowledged before the kill');

      server = await startChildServer(env(), port);
      const csv = await fetch(`${server.url}/export/csv/raw_workflow_runs?from=2026-01-01&to=2026-12-01`, {
        headers: { authorization: `Bearer ${tenantKey}` },
      });
      assert.equal(csv.status, 200);
      const rows = parse(await csv.text(), { columns: true }) as { id: string }[];
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      for (const [id, n] of counts) assert.equal(n, 1, `record ${id} stored ${n} times`);
      for (const b of batches) {
        const present = b.ids.filter((id) => counts.has(id)).length;
        if (b.acknowledged) assert.equal(present, b.ids.length, 'an acknowledged batch is wholly present');
        else assert.ok(present === 0 || present === b.ids.length, `an unacknowledged batch is all or nothing (found ${present}/${b.ids.length})`);
      }
      // Reports agree with the raw rows after recovery.
      const ov = await fetch(`${server.url}/reports/overview?from=2026-01-01&to=2026-12-01`, {
        headers: { authorization: `Bearer ${tenantKey}`, 'cache-control': 'no-cache' },
      });
      const body = (await ov.json()) as { rows: { total_workflows: number }[] };
      assert.equal(body.rows[0]!.total_workflows, rows.length);
    });
  }
});
