/**
 * Reports read from rollups plus raw edges give the raw-row answer for any period, aligned to
 * 15-minute slots or not; the p95 sketch (whole weeks, whole days, raw edges) stays within 1% of
 * the exact percentile.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { storeRecords, type Rec } from '../../src/ingest/ingest-service.ts';
import { validateBatch } from '../../src/ingest/validate.ts';
import { getOverview } from '../../src/reports/overview.ts';
import { loadP95Durations, loadTotalsWithP95 } from '../../src/reports/rollup-source.ts';
import { percentileOf } from '../../src/reports/metrics/percentile.ts';
import type { Storage } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, type TestDatabase } from '../helpers/engines.ts';

const BASE = Date.UTC(2026, 4, 1);
const DAY = 86_400_000;
/** Days of data: long enough for periods holding whole weeks of the week rollups (two or more). */
const SPAN_DAYS = 20;

interface RunSpec {
  tenant: string;
  startMs: number;
  status: string;
  duration: number;
}

await describeEachEngine('reports from rollups', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  const runs: RunSpec[] = [];

  before(async () => {
    db = await createTestDatabase(engine);
    storage = await openTestStorage(db);
    await storage.transaction(async (tx) => {
      for (const t of ['ta', 'tb']) await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, 0)', [t, t]);
    });
    // Deterministic pseudo-random runs over SPAN_DAYS, durations spread over several octaves.
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed', 'running', 'cancelled'];
    const records: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      const r: RunSpec = {
        tenant: rnd() < 0.7 ? 'ta' : 'tb',
        startMs: BASE + Math.floor(rnd() * SPAN_DAYS * DAY),
        status: statuses[Math.floor(rnd() * statuses.length)]!,
        duration: Math.floor(Math.exp(rnd() * 14)),
      };
      runs.push(r);
      records.push({
        id: `r${i}`,
        tenant_id: r.tenant,
        workflow_id: 'w',
        service: 's',
        status: r.status,
        started_at: new Date(r.startMs).toISOString(),
        ...(r.status === 'running' ? {} : { finished_at: new Date(r.startMs + r.duration).toISOString(), duration_ms: r.duration }),
      });
    }
    const v = validateBatch('workflow_runs', records, { tenantId: null });
    assert.deepEqual(v.errors, []);
    await storeRecords(storage, 'workflow_runs', v.records as unknown as Rec[]);
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  // Short periods (within a day or two) and long ones (up to three weeks, in any week alignment).
  const periodArb = fc
    .tuple(fc.integer({ min: -DAY, max: SPAN_DAYS * DAY }), fc.oneof(fc.integer({ min: 1, max: 2 * DAY }), fc.integer({ min: 1, max: (SPAN_DAYS + 2) * DAY })))
    .map(([off, len]) => ({ fromMs: BASE + off, toMs: BASE + off + len }));

  it('overview counts and averages equal the raw rows for any period', async () => {
    await fc.assert(
      fc.asyncProperty(periodArb, async ({ fromMs, toMs }) => {
        const rows = await getOverview(storage, { fromMs, toMs, tz: "UTC", tenantIds: null });
        for (const t of ['ta', 'tb']) {
          const mine = runs.filter((r) => r.tenant === t && r.startMs >= fromMs && r.startMs < toMs);
          const finished = mine.filter((r) => r.status === 'succeeded' || r.status === 'failed');
          const row = rows.find((r) => r.tenant_id === t)!;
          assert.equal(row.total_workflows, mine.length);
          assert.equal(row.failed_workflows, mine.filter((r) => r.status === 'failed').length);
          const avg = finished.length ? finished.reduce((s, r) => s + r.duration, 0) / finished.length : null;
          assert.equal(row.avg_duration_ms, avg);
          const p95 = percentileOf(finished.map((r) => r.duration), 0.95);
          if (p95 === null) assert.equal(row.p95_duration_ms, null);
          else assert.ok(Math.abs(row.p95_duration_ms! - p95) <= 1e-9 * p95, `exact p95 ${row.p95_duration_ms} vs ${p95}`);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the p95 sketch is within 1% of the exact answer for any period', async () => {
    await fc.assert(
      fc.asyncProperty(periodArb, async ({ fromMs, toMs }) => {
        const finished = new Map<string, number>();
        for (const t of ['ta', 'tb']) {
          finished.set(t, runs.filter((r) => r.tenant === t && r.startMs >= fromMs && r.startMs < toMs && (r.status === 'succeeded' || r.status === 'failed')).length);
        }
        const sketch = await loadP95Durations(storage, { fromMs, toMs, tz: 'UTC', tenantIds: null }, finished, 0);
        for (const t of ['ta', 'tb']) {
          const values = runs.filter((r) => r.tenant === t && r.startMs >= fromMs && r.startMs < toMs && (r.status === 'succeeded' || r.status === 'failed')).map((r) => r.duration);
          const exact = percentileOf(values, 0.95);
          if (exact === null) assert.equal(sketch.get(t), undefined);
          else assert.ok(Math.abs(sketch.get(t)! - exact) <= 0.01 * exact, `sketch ${sketch.get(t)} vs exact ${exact}`);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('totals with p95 side by side give the sequential answer, exact below the limit and sketch above it', async () => {
    await fc.assert(
      fc.asyncProperty(periodArb, fc.integer({ min: 0, max: 1200 }), async ({ fromMs, toMs }, limit) => {
        const q = { fromMs, toMs, tz: 'UTC', tenantIds: null };
        const { totals, p95 } = await loadTotalsWithP95(storage, q, limit);
        const finished = new Map(totals.map((t) => [t.tenant.tenant_id, t.finished]));
        assert.deepEqual(p95, await loadP95Durations(storage, q, finished, limit));
        for (const t of ['ta', 'tb']) {
          const values = runs.filter((r) => r.tenant === t && r.startMs >= fromMs && r.startMs < toMs && (r.status === 'succeeded' || r.status === 'failed')).map((r) => r.duration);
          assert.equal(finished.get(t), values.length);
          const exact = percentileOf(values, 0.95);
          if (exact === null) assert.equal(p95.get(t), undefined);
          else if (values.length <= limit) assert.ok(Math.abs(p95.get(t)! - exact) <= 1e-9 * exact, `exact p95 ${p95.get(t)} vs ${exact}`);
          else assert.ok(Math.abs(p95.get(t)! - exact) <= 0.01 * exact, `sketch ${p95.get(t)} vs exact ${exact}`);
        }
        // One tenant in scope reads the same as its row among all.
        const one = await loadTotalsWithP95(storage, { ...q, tenantIds: ['tb'] }, limit);
        assert.equal(one.p95.get('tb'), p95.get('tb'));
      }),
      { numRuns: 25 },
    );
  });
});
