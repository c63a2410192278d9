/**
 * Rollups maintained at ingest equal rollups rebuilt from raw rows, after random sequences of
 * inserts and updates (a run moving running → failed, durations and start times changing, also
 * across UTC days), for the 15-minute slot tables and the day tables alike; and the day tables
 * equal the slot tables summed per day. Predictions' outcomes taken from linked runs (stored
 * before or after them, changing status later) are kept the same way: run_outcome, the waiting
 * list and the scores rollup equal their rebuild from raw rows.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { IngestKindName } from '../../src/ingest/kinds.ts';
import { rebuildRollups } from '../../src/ingest/rollups.ts';
import type { Storage } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, storeValidated, type TestDatabase } from '../helpers/engines.ts';

const fx = (name: string) => ['i', 'a', 'b', 'c'].map((p) => `${name}_${p}`);

/** Rollup tables, their keys and value columns; readers sum per key (DuckDB stores deltas). */
const ROLLUPS: [string, string, string[]][] = [
  ['rollup_runs', 'tenant_id, slot', ['runs', 'failed', 'finished', 'duration_sum_ms']],
  ['rollup_durations_day', 'tenant_id, day, bucket', ['n']],
  ['rollup_metrics', 'tenant_id, slot', ['samples', ...fx('latency'), ...fx('throughput')]],
  ['rollup_predictions', 'tenant_id, slot', ['predictions', ...fx('probability')]],
  ['tenant_services', 'tenant_id, service', ['records', 'samples']],
  // Day rollups (per UTC day): maintained from the same deltas, rebuilt straight from raw rows.
  ['rollup_runs_day', 'tenant_id, day', ['runs', 'failed', 'finished', 'duration_sum_ms']],
  ['rollup_metrics_day', 'tenant_id, day', ['samples', ...fx('latency'), ...fx('throughput')]],
  ['rollup_predictions_day', 'tenant_id, day', ['predictions', ...fx('probability')]],
  // Predictions by effective outcome (own, else the linked run's), kept as runs arrive and change.
  ['rollup_prediction_scores_day', 'tenant_id, day, model, probability', ['predictions', 'positives', 'negatives']],
  // Week level (week = day // 7) of the two day tables read most per period.
  ['rollup_durations_week', 'tenant_id, week, bucket', ['n']],
  ['rollup_prediction_scores_week', 'tenant_id, week, model, probability', ['predictions', 'positives', 'negatives']],
];

const BASE = Date.UTC(2026, 2, 7, 20, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const runArb = fc.record({
  id: fc.integer({ min: 0, max: 25 }),
  tenant: fc.constantFrom('ra', 'rb'),
  status: fc.constantFrom('running', 'succeeded', 'failed', 'cancelled'),
  // Nine days from a Saturday: across a week edge (weeks start on Thursdays).
  startOffsetMin: fc.integer({ min: 0, max: 9 * 24 * 60 }),
  durationMs: fc.integer({ min: 0, max: 5_000_000 }),
  service: fc.constantFrom('api', 'web'),
});
const metricArb = fc.record({
  tenant: fc.constantFrom('ra', 'rb'),
  service: fc.constantFrom('api', 'db'),
  slot: fc.integer({ min: 0, max: 40 }),
  // Huge values replaced by small ones are where double sums drifted (1e15 + 0.5 − 1e15 ≠ 0.5).
  latency: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(9e15, 1e15 + 0.5, 2 ** -40)),
  rps: fc.oneof(fc.double({ min: 0, max: 500, noNaN: true }), fc.constantFrom(9e15, 0.1, 0.2)),
});
const predictionArb = fc.record({
  id: fc.integer({ min: 0, max: 15 }),
  tenant: fc.constantFrom('ra', 'rb'),
  offsetMin: fc.integer({ min: 0, max: 9 * 24 * 60 }),
  p: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, -0, 1, 0.1, 1e-20)),
  model: fc.constantFrom('m', 'n'),
  // Linked runs come and go, change status, and may be stored before or after the prediction.
  run: fc.option(fc.integer({ min: 0, max: 25 })),
  outcome: fc.constantFrom(null, null, 'failed', 'succeeded'),
});


async function snapshot(storage: Storage): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const [table, keys, values] of ROLLUPS) {
    // As text: exact sums (HUGEINT, NUMERIC) must not pass through doubles.
    const sums = values.map((v) => `CAST(sum(${v}) AS TEXT) AS ${v}`).join(', ');
    const rows = await storage.query<Record<string, unknown>>(
      `SELECT ${keys}, ${sums} FROM ${table} GROUP BY ${keys} ORDER BY ${storage.dialect.binaryText('tenant_id')}, ${keys.split(', ').slice(1).join(', ')}`,
    );
    // Cells whose contributions cancelled out are equivalent to absent cells.
    out[table] = rows.filter((r) => values.some((v) => Number(r[v]) !== 0));
  }
  const byId = (t: string) => `ORDER BY ${storage.dialect.binaryText('tenant_id')}, ${storage.dialect.binaryText(t)}`;
  out.predictions = await storage.query(`SELECT tenant_id, id, run_outcome FROM predictions ${byId('id')}`);
  out.prediction_waits = await storage.query(
    `SELECT tenant_id, prediction_id, run_id, model, predicted_at_ms, failure_probability FROM prediction_waits ${byId('prediction_id')}`,
  );
  return out;
}

function assertSameRollups(a: Record<string, Record<string, unknown>[]>, b: Record<string, Record<string, unknown>[]>): void {
  for (const table of [...ROLLUPS.map(([t]) => t), 'predictions', 'prediction_waits']) {
    assert.equal(a[table]!.length, b[table]!.length, `${table} row count`);
    a[table]!.forEach((row, i) => {
      const other = b[table]![i]!;
      // Every value is an integer sum now, compared exactly (floats were summed exactly too).
      for (const [k, v] of Object.entries(row)) assert.equal(String(v), String(other[k]), `${table}.${k}`);
    });
  }
}

/** Each day table equals its slot table summed per UTC day (96 slots). */
function assertDaysEqualSlots(snap: Record<string, Record<string, unknown>[]>): void {
  for (const [slotTable, dayTable] of [
    ['rollup_runs', 'rollup_runs_day'],
    ['rollup_metrics', 'rollup_metrics_day'],
    ['rollup_predictions', 'rollup_predictions_day'],
  ] as const) {
    const values = ROLLUPS.find(([t]) => t === dayTable)![2];
    const folded = new Map<string, Record<string, bigint>>();
    for (const row of snap[slotTable]!) {
      const key = `${String(row.tenant_id)}|${Math.floor(Number(row.slot) / 96)}`;
      const cell = folded.get(key) ?? Object.fromEntries(values.map((v) => [v, 0n]));
      for (const v of values) cell[v]! += BigInt(String(row[v]));
      folded.set(key, cell);
    }
    const days = snap[dayTable]!;
    const nonEmpty = [...folded].filter(([, c]) => c[values[0]!] !== 0n);
    assert.equal(days.length, nonEmpty.length, `${dayTable} row count`);
    for (const row of days) {
      const cell = folded.get(`${String(row.tenant_id)}|${Number(row.day)}`);
      assert.ok(cell, `${dayTable} ${String(row.tenant_id)} day ${String(row.day)} has no slots`);
      for (const v of values) assert.equal(BigInt(String(row[v])), cell[v], `${dayTable}.${v}`);
    }
  }
}

/** Each week table equals its day table summed per week (day // 7), cells that cancel out left out. */
function assertWeeksEqualDays(snap: Record<string, Record<string, unknown>[]>): void {
  for (const [dayTable, weekTable] of [
    ['rollup_durations_day', 'rollup_durations_week'],
    ['rollup_prediction_scores_day', 'rollup_prediction_scores_week'],
  ] as const) {
    const [, keyList, values] = ROLLUPS.find(([t]) => t === weekTable)!;
    const otherKeys = keyList.split(', ').slice(2);
    const keyOf = (row: Record<string, unknown>, week: number) => JSON.stringify([row.tenant_id, week, ...otherKeys.map((k) => String(row[k]))]);
    const folded = new Map<string, Record<string, bigint>>();
    for (const row of snap[dayTable]!) {
      const key = keyOf(row, Math.floor(Number(row.day) / 7));
      const cell = folded.get(key) ?? Object.fromEntries(values.map((v) => [v, 0n]));
      for (const v of values) cell[v]! += BigInt(String(row[v]));
      folded.set(key, cell);
    }
    const nonEmpty = [...folded].filter(([, c]) => values.some((v) => c[v] !== 0n));
    const weeks = snap[weekTable]!;
    assert.equal(weeks.length, nonEmpty.length, `${weekTable} row count`);
    for (const row of weeks) {
      const cell = folded.get(keyOf(row, Number(row.week)));
      assert.ok(cell, `${weekTable} ${keyOf(row, Number(row.week))} has no days`);
      for (const v of values) assert.equal(BigInt(String(row[v])), cell[v], `${weekTable}.${v}`);
    }
  }
}

await describeEachEngine('rollups', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  before(async () => {
    db = await createTestDatabase(engine);
    storage = await openTestStorage(db);
    await storage.transaction(async (tx) => {
      for (const t of ['ra', 'rb']) await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, 0)', [t, t]);
    });
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  it('equal the rollups rebuilt from raw rows after random inserts and updates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(runArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.array(metricArb, { maxLength: 20 }),
        fc.array(predictionArb, { maxLength: 12 }),
        async (runBatches, metrics, predictions) => {
          // Half of the predictions before the runs (they wait for them), half after.
          const predictionBatch = (list: typeof predictions) =>
            list.length === 0
              ? Promise.resolve()
              : storeValidated(
                  storage,
                  'predictions',
                  list.map((p) => ({
                    id: `p-${p.id}`,
                    tenant_id: p.tenant,
                    model: p.model,
                    predicted_at: iso(BASE + p.offsetMin * 60_000),
                    failure_probability: p.p,
                    ...(p.run === null ? {} : { workflow_run_id: `run-${p.run}` }),
                    ...(p.outcome === null ? {} : { outcome: p.outcome }),
                  })),
                );
          await predictionBatch(predictions.slice(0, predictions.length >> 1));
          for (const batch of runBatches) {
            await storeValidated(
              storage,
              'workflow_runs',
              batch.map((r) => {
                const started = BASE + r.startOffsetMin * 60_000;
                return {
                  id: `run-${r.id}`,
                  tenant_id: r.tenant,
                  workflow_id: 'wf',
                  service: r.service,
                  status: r.status,
                  started_at: iso(started),
                  ...(r.status === 'running' ? {} : { finished_at: iso(started + r.durationMs), duration_ms: r.durationMs }),
                };
              }),
            );
          }
          await predictionBatch(predictions.slice(predictions.length >> 1));
          if (metrics.length) {
            await storeValidated(
              storage,
              'metrics',
              metrics.map((m) => ({ tenant_id: m.tenant, service: m.service, ts: iso(BASE + m.slot * 300_000), p95_latency_ms: m.latency, throughput_rps: m.rps, error_rate: 0.01 })),
            );
          }
          const maintained = await snapshot(storage);
          assertDaysEqualSlots(maintained);
          assertWeeksEqualDays(maintained);
          await rebuildRollups(storage);
          const rebuilt = await snapshot(storage);
          assertSameRollups(maintained, rebuilt);
          assertDaysEqualSlots(rebuilt);
          assertWeeksEqualDays(rebuilt);
        },
      ),
      { numRuns: 12, endOnFailure: true },
    );
  });

  it('the week migration fills the week tables from the day tables of an existing database', async () => {
    // Back to the state before the migration, on the rows the test above left.
    const name = engine === 'duckdb' ? '009-week-rollups.sql' : '010-week-rollups.sql';
    const before = await snapshot(storage);
    assert.ok(before.rollup_durations_week!.length > 0 && before.rollup_prediction_scores_week!.length > 0);
    await storage.query('DROP TABLE rollup_durations_week');
    await storage.query('DROP TABLE rollup_prediction_scores_week');
    await storage.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
    assert.deepEqual(await storage.migrate(), [name]);
    const after = await snapshot(storage);
    assertWeeksEqualDays(after);
    assertSameRollups(before, after);
  });
});
