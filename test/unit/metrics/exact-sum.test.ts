import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { fxMean, fxParts, fxTotal, ratioToDouble } from '../../../src/reports/metrics/exact-sum.ts';
import { correctlyRoundedMean, scaled96 } from '../../helpers/exact.ts';

const total = (values: readonly number[]) => values.reduce((t, v) => t + fxTotal(...fxParts(v)), 0n);

/** Doubles the parts hold exactly: 0 and everything from 2^-44 up to the ingest limit. */
const exactDouble = fc.oneof(
  fc.constant(0),
  fc.double({ min: 2 ** -44, max: Number.MAX_SAFE_INTEGER, noNaN: true }),
  fc.double({ min: 0, max: 1, noNaN: true }).filter((v) => v === 0 || v >= 2 ** -44),
  fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000),
);

it('cuts a double into parts whose total is ⌊v·2^96⌋, exactly', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: Number.MAX_SAFE_INTEGER, noNaN: true }), (v) => {
      const parts = fxParts(v);
      assert.ok(parts.every((p) => Number.isSafeInteger(p) && p >= 0));
      assert.ok(parts.slice(1).every((p) => p < 2 ** 32));
      assert.equal(fxTotal(...parts), scaled96(v));
    }),
    { numRuns: 2000 },
  );
});

it('gives the correctly rounded mean, whatever the order of the values', () => {
  fc.assert(
    fc.property(fc.array(exactDouble, { minLength: 1, maxLength: 40 }), (values) => {
      const want = correctlyRoundedMean(values);
      assert.equal(fxMean(total(values), values.length), want);
      assert.equal(fxMean(total([...values].reverse()), values.length), want);
    }),
    { numRuns: 1000 },
  );
});

it('stays exact when a huge value is added and taken away again (an upsert)', () => {
  const small = [0.5, 0.1, 0.2];
  const churned = total(small) + total([9e15]) - total([9e15]);
  assert.equal(fxMean(churned, 3), correctlyRoundedMean(small));
  // A plain double sum loses the small values: 0.5 + 9e15 − 9e15 = 0.
  assert.notEqual(0.5 + 9e15 - 9e15, 0.5);
  assert.equal(fxMean(total([0.1, 0.2]), 2), 0.15000000000000002);
});

it('answers null over nothing and divides exactly', () => {
  assert.equal(fxMean(0n, 0), null);
  assert.equal(ratioToDouble(1n, 3n), 1 / 3);
  assert.equal(ratioToDouble(-1n, 3n), -1 / 3);
  assert.equal(ratioToDouble(10n ** 30n, 7n), 1e30 / 7);
  // Ties go to even: 2^53 + 1 is halfway between two doubles.
  assert.equal(ratioToDouble(2n ** 53n + 1n, 1n), 2 ** 53);
  assert.equal(ratioToDouble(2n ** 53n + 3n, 1n), 2 ** 53 + 4);
});
