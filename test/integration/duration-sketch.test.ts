import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { bucketBounds, durationBucket, sketchPercentile } from '../../src/reports/metrics/duration-sketch.ts';
import { percentileOf } from '../../src/reports/metrics/percentile.ts';
import type { Storage } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, type TestDatabase } from '../helpers/engines.ts';

it('puts every value inside its bucket and stays within 1% of the exact percentile', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 400 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, p) => {
      const counts = new Map<number, number>();
      for (const v of values) {
        const b = durationBucket(v);
        const [lo, hi] = bucketBounds(b);
        assert.ok(v >= lo && v < hi, `${v} in [${lo}, ${hi})`);
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
      const exact = percentileOf(values, p)!;
      const approx = sketchPercentile(counts, p)!;
      assert.ok(Math.abs(approx - exact) <= 0.01 * Math.abs(exact) + 1e-9, `p=${p} exact=${exact} approx=${approx}`);
    }),
    { numRuns: 300 },
  );
});

await describeEachEngine('duration sketch in SQL', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  before(async () => {
    db = await createTestDatabase(engine);
    storage = await openTestStorage(db);
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  it('computes the same bucket index as JavaScript', async () => {
    const values = [0, 1, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 65535, 65536, 65537, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, 2 ** 50 - 1];
    for (let i = 0; i < 300; i++) values.push(Math.floor(Math.exp(Math.random() * 36)));
    const rows = await storage.query<{ v: number; b: number }>(
      `SELECT v, ${storage.dialect.durationBucket('v')} AS b FROM (SELECT unnest($1::BIGINT[]) AS v) t`,
      [values],
    );
    assert.equal(rows.length, values.length);
    for (const r of rows) assert.equal(Number(r.b), durationBucket(Number(r.v)), `bucket of ${r.v}`);
  });
});
