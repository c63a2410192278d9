/**
 * RollupDeltas finds a record's cells through nested maps instead of a joined string key. This
 * checks that the delta rows it writes (content and order) are those of the string-keyed version
 * it replaced (kept below as the reference, with the exact sums of metrics and predictions and the
 * samples count of tenant_services since added) for random mixes of inserts and updates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RollupDeltas, SLOT_MS } from '../../../src/ingest/rollups.ts';
import { durationBucket } from '../../../src/reports/metrics/duration-sketch.ts';
import type { IngestKind } from '../../../src/ingest/records.ts';
import type { SqlValue, Transaction } from '../../../src/storage/types.ts';
import { scaled96 } from '../../helpers/exact.ts';

const DAY_MS = 86_400_000;

// ---- reference: RollupDeltas.add before the nested maps ----
type Rec = Record<string, unknown>;
const FINISHED = new Set(['succeeded', 'failed']);
class Sums {
  readonly rows = new Map<string, { keys: SqlValue[]; values: (number | bigint)[] }>();
  constructor(private readonly width: number) {}
  add(keys: SqlValue[], values: (number | bigint)[]): void {
    const k = keys.join('\u0000');
    let row = this.rows.get(k);
    if (!row) {
      const zeros: (number | bigint)[] = new Array<number>(this.width).fill(0);
      values.forEach((v, i) => typeof v === 'bigint' && (zeros[i] = 0n));
      this.rows.set(k, (row = { keys, values: zeros }));
    }
    for (let i = 0; i < values.length; i++) row.values[i] = (row.values[i] as number) + (values[i] as number);
  }
  list(): SqlValue[][] {
    return [...this.rows.values()].map((r) => [...r.keys, ...r.values]);
  }
}
class ReferenceDeltas {
  readonly runs = new Sums(4);
  readonly days = new Sums(1);
  readonly metrics = new Sums(9);
  readonly predictions = new Sums(5);
  readonly services = new Sums(2);
  add(kind: IngestKind, r: Rec, sign: 1 | -1): void {
    const t = r.tenant_id as string;
    if (kind === 'workflow_runs') {
      const started = r.started_at_ms as number;
      const finished = FINISHED.has(r.status as string);
      const duration = finished ? Math.round(Number(r.duration_ms ?? 0)) : 0;
      this.runs.add([t, Math.floor(started / SLOT_MS)], [sign, r.status === 'failed' ? sign : 0, finished ? sign : 0, sign * duration]);
      if (finished) this.days.add([t, Math.floor(started / DAY_MS), durationBucket(duration)], [sign]);
    } else if (kind === 'metrics') {
      this.metrics.add([t, Math.floor((r.ts_ms as number) / SLOT_MS)], [sign, ...exactParts(r.p95_latency_ms as number, sign), ...exactParts(r.throughput_rps as number, sign)]);
    } else if (kind === 'predictions') {
      this.predictions.add([t, Math.floor((r.predicted_at_ms as number) / SLOT_MS)], [sign, ...exactParts(r.failure_probability as number, sign)]);
    }
    if (typeof r.service === 'string') this.services.add([t, r.service], [sign, kind === 'metrics' ? sign : 0]);
  }
  tables(): Record<string, SqlValue[][]> {
    return {
      rollup_runs: this.runs.list(),
      rollup_durations_day: this.days.list(),
      rollup_metrics: this.metrics.list(),
      rollup_predictions: this.predictions.list(),
      tenant_services: this.services.list(),
    };
  }
}
// ---- end of reference ----
// Since exact sums (metrics/exact-sum.ts), a value's contribution is its ⌊v·2^96⌋ cut into the
// integer part (a bigint) and three 32-bit fraction blocks, from the double's bits here.
function exactParts(v: number, sign: 1 | -1): [bigint, number, number, number] {
  const total = scaled96(v);
  const block = (shift: bigint) => Number((total >> shift) & 0xffffffffn);
  return [BigInt(sign) * (total >> 96n), sign * block(64n), sign * block(32n), sign * block(0n)];
}

async function written(deltas: RollupDeltas): Promise<Record<string, SqlValue[][]>> {
  const out: Record<string, SqlValue[][]> = {};
  const tx = { addToRollup: async (table: string, _k: string[], _v: string[], rows: SqlValue[][]) => void (out[table] = rows) } as unknown as Transaction;
  await deltas.write(tx);
  return out;
}

const BASE = Date.UTC(2026, 2, 1);
const time = fc.oneof(fc.integer({ min: BASE - 2 * DAY_MS, max: BASE + 2 * DAY_MS }), fc.constantFrom(0, BASE, BASE + SLOT_MS - 1, BASE + SLOT_MS, BASE - 1));
const common = { tenant_id: fc.constantFrom('t1', 't2', 't3'), service: fc.constantFrom('api', 'db', 'web') };
const RECORDS: Record<IngestKind, fc.Arbitrary<Rec>> = {
  workflow_runs: fc.record({
    ...common,
    status: fc.constantFrom('running', 'succeeded', 'failed', 'cancelled'),
    started_at_ms: time,
    duration_ms: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 0, max: 1e9, noNaN: true })),
  }),
  incidents: fc.record({ ...common, opened_at_ms: time }),
  metrics: fc.record({ ...common, ts_ms: time, p95_latency_ms: fc.double({ min: 0, max: 1e4, noNaN: true }), throughput_rps: fc.double({ min: 0, max: 1e4, noNaN: true }) }),
  predictions: fc.record({ tenant_id: common.tenant_id, predicted_at_ms: time, failure_probability: fc.double({ min: 0, max: 1, noNaN: true }) }),
};

describe('RollupDeltas: same delta rows as the string-keyed version', () => {
  for (const kind of ['workflow_runs', 'incidents', 'metrics', 'predictions'] as const) {
    it(kind, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(RECORDS[kind], fc.constantFrom(1, 1, -1) as fc.Arbitrary<1 | -1>), { maxLength: 60 }), async (changes) => {
          const deltas = new RollupDeltas();
          const reference = new ReferenceDeltas();
          for (const [rec, sign] of changes) {
            deltas.add(kind, rec, sign);
            reference.add(kind, rec, sign);
          }
          const got = await written(deltas);
          for (const [table, rows] of Object.entries(reference.tables())) assert.deepStrictEqual(got[table], rows, table);
        }),
        { numRuns: 1500 },
      );
    });
  }
});
