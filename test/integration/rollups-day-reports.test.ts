/**
 * Reports read whole UTC days from the day rollups, whole 15-minute slots of the partial days,
 * and raw rows for partial slots: for any period (cutting days and slots or not), in UTC and in
 * Asia/Kathmandu (+05:45), the per-tenant totals and the trend buckets equal the raw-row answer,
 * also after records were updated and moved between days. On DuckDB, the background compaction
 * after open leaves every answer unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config.ts';
import type { IngestKindName } from '../../src/ingest/kinds.ts';
import { bucketIndexFor, generateBuckets, type Granularity } from '../../src/reports/metrics/buckets.ts';
import { loadTenantTotals, splitNested, splitWeeksDays, WEEK_MS } from '../../src/reports/rollup-source.ts';
import { getTrends } from '../../src/reports/trends.ts';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { Storage } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, storeValidated, type TestDatabase } from '../helpers/engines.ts';
import { correctlyRoundedMean, scaled96 } from '../helpers/exact.ts';
import { join } from 'node:path';

const DAY = 86_400_000;
const SLOT = 900_000;
/** 22:10:00.123 UTC: data starts inside a slot, inside a day. */
const BASE = Date.UTC(2026, 2, 27, 22, 10, 0, 123);
const SPAN = 5 * DAY;
const TENANTS = ['da', 'db'];

interface Run { tenant: string; id: string; startMs: number; status: string; duration: number }
interface Sample { tenant: string; service: string; ts: number; latency: number; rps: number }
interface Prediction { tenant: string; id: string; at: number; p: number }

/** Final stored state, keyed like the stores' upsert keys. */
const runs = new Map<string, Run>();
const samples = new Map<string, Sample>();
const predictions = new Map<string, Prediction>();

let seed = 11;
const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;


function runRecord(r: Run): unknown {
  return {
    id: r.id,
    tenant_id: r.tenant,
    workflow_id: 'w',
    service: 's',
    status: r.status,
    started_at: new Date(r.startMs).toISOString(),
    ...(r.status === 'running' ? {} : { finished_at: new Date(r.startMs + r.duration).toISOString(), duration_ms: r.duration }),
  };
}

async function load(storage: Storage): Promise<void> {
  await storage.transaction(async (tx) => {
    for (const t of TENANTS) await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, 0)', [t, t]);
  });
  // Three batches of runs: the later ones re-send some ids with a new status, duration or start
  // (moving them between slots and days), so day cells see −1/+1 deltas.
  for (let batch = 0; batch < 3; batch++) {
    const records: Run[] = [];
    for (let i = 0; i < 700; i++) {
      const r: Run = {
        tenant: rnd() < 0.7 ? 'da' : 'db',
        id: `r${batch === 0 ? i : Math.floor(rnd() * 900)}`,
        startMs: BASE + Math.floor(rnd() * SPAN),
        status: pick(['succeeded', 'succeeded', 'failed', 'running', 'cancelled']),
        duration: Math.floor(Math.exp(rnd() * 12)),
      };
      if (records.some((x) => x.id === r.id && x.tenant === r.tenant)) continue;
      records.push(r);
    }
    await storeValidated(storage, 'workflow_runs', records.map(runRecord));
    for (const r of records) runs.set(`${r.tenant}|${r.id}`, r);
  }
  for (let batch = 0; batch < 2; batch++) {
    const records: Sample[] = [];
    for (let i = 0; i < 600; i++) {
      const s: Sample = {
        tenant: pick(TENANTS),
        service: pick(['api', 'db']),
        ts: BASE + Math.floor(rnd() * SPAN),
        latency: rnd() * 900,
        rps: rnd() * 50,
      };
      if (records.some((x) => x.tenant === s.tenant && x.service === s.service && x.ts === s.ts)) continue;
      records.push(s);
    }
    await storeValidated(
      storage,
      'metrics',
      records.map((s) => ({ tenant_id: s.tenant, service: s.service, ts: new Date(s.ts).toISOString(), p95_latency_ms: s.latency, throughput_rps: s.rps, error_rate: 0 })),
    );
    for (const s of records) samples.set(`${s.tenant}|${s.service}|${s.ts}`, s);
  }
  for (let batch = 0; batch < 2; batch++) {
    const records: Prediction[] = [];
    for (let i = 0; i < 500; i++) {
      const p: Prediction = { tenant: pick(TENANTS), id: `p${Math.floor(rnd() * 600)}`, at: BASE + Math.floor(rnd() * SPAN), p: rnd() };
      if (records.some((x) => x.id === p.id && x.tenant === p.tenant)) continue;
      records.push(p);
    }
    await storeValidated(
      storage,
      'predictions',
      records.map((p) => ({ id: p.id, tenant_id: p.tenant, model: 'm', predicted_at: new Date(p.at).toISOString(), failure_probability: p.p })),
    );
    for (const p of records) predictions.set(`${p.tenant}|${p.id}`, p);
  }
}

const finished = (r: Run) => r.status === 'succeeded' || r.status === 'failed';

function rawTotals(t: string, fromMs: number, toMs: number) {
  const rs = [...runs.values()].filter((r) => r.tenant === t && r.startMs >= fromMs && r.startMs < toMs);
  const ss = [...samples.values()].filter((s) => s.tenant === t && s.ts >= fromMs && s.ts < toMs);
  const ps = [...predictions.values()].filter((p) => p.tenant === t && p.at >= fromMs && p.at < toMs);
  return {
    runs: rs.length,
    failed: rs.filter((r) => r.status === 'failed').length,
    finished: rs.filter(finished).length,
    durationSum: rs.filter(finished).reduce((s, r) => s + r.duration, 0),
    samples: ss.length,
    // Exact sums (units of 2^-96), computed from the doubles' bits.
    latencySum: ss.reduce((s, x) => s + scaled96(x.latency), 0n),
    throughputSum: ss.reduce((s, x) => s + scaled96(x.rps), 0n),
    predictions: ps.length,
    probabilitySum: ps.reduce((s, x) => s + scaled96(x.p), 0n),
  };
}

/** Periods that cut days and slots anywhere, or sit on day / slot edges (aligned edges are likelier). */
const edgeArb = fc.oneof(
  fc.integer({ min: -DAY, max: SPAN + DAY }).map((off) => BASE + off),
  fc.integer({ min: -1, max: 7 }).map((d) => Math.ceil(BASE / DAY) * DAY + d * DAY),
  fc.integer({ min: -100, max: 600 }).map((s) => Math.ceil(BASE / SLOT) * SLOT + s * SLOT),
);
const periodArb = fc.tuple(edgeArb, edgeArb).filter(([a, b]) => a !== b).map(([a, b]) => ({ fromMs: Math.min(a, b), toMs: Math.max(a, b) }));

function checkTotals(storage: Storage, tz: string) {
  return fc.asyncProperty(periodArb, async ({ fromMs, toMs }) => {
    const totals = await loadTenantTotals(storage, { fromMs, toMs, tz, tenantIds: null });
    const one = await loadTenantTotals(storage, { fromMs, toMs, tz, tenantIds: ['db'] });
    assert.deepEqual(one.map((t) => t.tenant.tenant_id), ['db']);
    for (const t of TENANTS) {
      const got = totals.find((x) => x.tenant.tenant_id === t)!;
      const want = rawTotals(t, fromMs, toMs);
      for (const [k, v] of Object.entries(want)) {
        // Counts, integer sums and the exact sums of doubles: all equal, to the last bit.
        assert.equal(got[k as keyof typeof want], v, `${t} ${k} [${fromMs}, ${toMs})`);
        // The one-tenant query (equality filter, no edge join) gives the same answer.
        if (t === 'db') assert.equal(one[0]![k as keyof typeof want], v, `one tenant ${k}`);
      }
    }
  });
}

function checkTrends(storage: Storage, tz: string, granularity: Granularity) {
  return fc.asyncProperty(periodArb, async ({ fromMs, toMs }) => {
    const q = { fromMs, toMs, tz, tenantIds: ['da'] };
    const body = await getTrends({ storage, config: loadConfig({}) }, q, granularity);
    const buckets = generateBuckets(fromMs, toMs, tz, granularity);
    assert.equal(body.points.length, buckets.length);
    const want = buckets.map(() => ({ workflows: 0, failed: 0, finished: 0, duration: 0, predictions: 0, samples: 0, latencies: [] as number[] }));
    for (const r of runs.values()) {
      if (r.tenant !== 'da' || r.startMs < fromMs || r.startMs >= toMs) continue;
      const w = want[bucketIndexFor(buckets, r.startMs)]!;
      w.workflows++;
      if (r.status === 'failed') w.failed++;
      if (finished(r)) (w.finished++, (w.duration += r.duration));
    }
    for (const s of samples.values()) {
      if (s.tenant !== 'da' || s.ts < fromMs || s.ts >= toMs) continue;
      const w = want[bucketIndexFor(buckets, s.ts)]!;
      w.samples++;
      w.latencies.push(s.latency);
    }
    for (const p of predictions.values()) {
      if (p.tenant === 'da' && p.at >= fromMs && p.at < toMs) want[bucketIndexFor(buckets, p.at)]!.predictions++;
    }
    body.points.forEach((pt, i) => {
      const w = want[i]!;
      const at = `${granularity} ${tz} bucket ${pt.bucket_start} of [${fromMs}, ${toMs})`;
      assert.equal(pt.workflows, w.workflows, at);
      assert.equal(pt.failed_workflows, w.failed, at);
      assert.equal(pt.predictions, w.predictions, at);
      assert.equal(pt.avg_duration_ms, w.finished ? w.duration / w.finished : null, at);
      if (w.samples === 0) assert.equal(pt.avg_p95_latency_ms, null, at);
      else assert.equal(pt.avg_p95_latency_ms, correctlyRoundedMean(w.latencies), at);
    });
  });
}

/** The pieces, in any order, cover [fromMs, toMs) exactly, each non-empty, none overlapping. */
function assertPartition(fromMs: number, toMs: number, pieces: (readonly [number, number])[]): void {
  let at = fromMs;
  for (const [lo, hi] of [...pieces].sort((x, y) => x[0] - y[0])) {
    assert.equal(lo, at);
    assert.ok(hi > lo);
    at = hi;
  }
  assert.equal(at, toMs);
}

it('splitNested partitions a period into whole days, whole slots and raw edges', () => {
  fc.assert(
    fc.property(periodArb, ({ fromMs, toMs }) => {
      const { whole, raw } = splitNested(fromMs, toMs, [DAY, SLOT]);
      assertPartition(fromMs, toMs, [
        ...whole[0]!.map(([a, b]) => [a * DAY, b * DAY] as const),
        ...whole[1]!.map(([a, b]) => [a * SLOT, b * SLOT] as const),
        ...raw,
      ]);
      assert.ok(whole[0]!.length <= 1 && whole[1]!.length <= 2 && raw.length <= 2);
      for (const [lo, hi] of raw) assert.ok(Math.floor(lo / SLOT) === Math.floor((hi - 1) / SLOT), 'raw ranges lie within one slot');
    }),
    // A period shorter than a slot that crosses a slot edge (found by CI).
    { numRuns: 300, examples: [[{ fromMs: 1775095200001, toMs: 1775096100001 }]] },
  );
});

it('splitWeeksDays partitions a period into whole weeks, whole days and partial days', () => {
  const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 3, 1) });
  fc.assert(
    fc.property(instant, instant, (x, y) => {
      fc.pre(x !== y);
      const [fromMs, toMs] = [Math.min(x, y), Math.max(x, y)];
      const { whole, raw } = splitWeeksDays(fromMs, toMs);
      const weeks = whole.filter((r) => r.grain === 'week');
      const days = whole.filter((r) => r.grain === 'day');
      const grainMs = { week: WEEK_MS, day: DAY };
      assertPartition(fromMs, toMs, [...whole.map(({ grain, a, b }): [number, number] => [a * grainMs[grain], b * grainMs[grain]]), ...raw]);
      assert.ok(weeks.length <= 1 && days.length <= 2 && raw.length <= 2);
      // Weeks are 7 UTC days from the epoch (Thursdays), so day d is in week floor(d / 7).
      for (const { a, b } of weeks) assert.ok(b > a && new Date(a * WEEK_MS).getUTCDay() === 4);
      for (const [lo, hi] of raw) assert.ok(Math.floor(lo / DAY) === Math.floor((hi - 1) / DAY), 'raw ranges lie within one day');
      // A period of 14 days or more always holds a whole week.
      if (toMs - fromMs >= 14 * DAY) assert.equal(weeks.length, 1);
    }),
    { numRuns: 500 },
  );
});

await describeEachEngine('reports from day rollups', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  before(async () => {
    runs.clear();
    samples.clear();
    predictions.clear();
    seed = 11;
    db = await createTestDatabase(engine);
    storage = await openTestStorage(db);
    await load(storage);
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  for (const tz of ['UTC', 'Asia/Kathmandu']) {
    it(`per-tenant totals equal the raw rows for any period (${tz})`, async () => {
      await fc.assert(checkTotals(storage, tz), { numRuns: 40 });
    });
    for (const granularity of ['day', 'week', 'hour'] as const) {
      it(`${granularity} trends equal the raw rows for any period (${tz})`, async () => {
        await fc.assert(checkTrends(storage, tz, granularity), { numRuns: granularity === 'hour' ? 8 : 20 });
      });
    }
  }
  // Local midnight early in the UTC day (New York: 04:00 UTC), and a DST change inside the data
  // (London, 29 March 2026: midnight moves from 00:00 to 23:00 UTC).
  for (const tz of ['America/New_York', 'Europe/London']) {
    it(`day trends equal the raw rows for any period (${tz})`, async () => {
      await fc.assert(checkTrends(storage, tz, 'day'), { numRuns: 20 });
    });
  }

  if (engine === 'duckdb') {
    it('the compaction after open merges pending delta rows and changes no answer', async () => {
      const path = join(db.env.DATA_DIR!, 'atom.duckdb');
      const count = async (s: Storage) => Number((await s.query<{ n: number }>('SELECT count(*) AS n FROM rollup_runs_day'))[0]!.n);
      const keys = async (s: Storage) => Number((await s.query<{ n: number }>('SELECT count(DISTINCT day * 100 + (tenant_id = \'da\')::INT) AS n FROM rollup_runs_day'))[0]!.n);
      const before = await count(storage);
      const distinct = await keys(storage);
      assert.ok(before > distinct, `the load left delta rows (${before} rows, ${distinct} keys)`);
      const q = { fromMs: BASE - DAY, toMs: BASE + SPAN + DAY, tz: 'UTC', tenantIds: null };
      const answer = await loadTenantTotals(storage, q);
      await storage.close();
      storage = await createDuckDbStorage({ path, memoryLimit: '512MB', threads: 2, startupCompactDelayMs: 0, startupCompactMinDeltas: 1 });
      await storage.migrate();
      assert.ok(storage.startupWork().includes('rollup_compaction'), 'reported as start-up work until it has run');
      // The check runs in the background shortly after open; wait for it.
      for (let i = 0; i < 100 && storage.startupWork().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(storage.startupWork(), []);
      assert.equal(await count(storage), distinct);
      const after = await loadTenantTotals(storage, q);
      for (const t of TENANTS) {
        const a = answer.find((x) => x.tenant.tenant_id === t)!;
        const b = after.find((x) => x.tenant.tenant_id === t)!;
        for (const k of ['runs', 'failed', 'finished', 'durationSum', 'samples', 'predictions', 'latencySum', 'throughputSum', 'probabilitySum'] as const) assert.equal(b[k], a[k], k);
      }
    });
  }
});
