import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mean, percentileCont, percentileOf, sortAscending } from '../../../src/reports/metrics/percentile.ts';
import { refMean, refPercentile } from '../../reference/metrics-reference.ts';

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('percentileCont', () => {
  it('median of 10, 20, 30, 40 is 25', () => {
    assert.equal(percentileCont([10, 20, 30, 40], 0.5), 25);
  });

  it('p95 of 1..20 is 19.05', () => {
    assert.equal(percentileCont(range(1, 20), 0.95), 19.05);
  });

  it('returns the exact value at whole ranks and the extremes', () => {
    assert.equal(percentileCont([1, 2, 3], 0.5), 2);
    assert.equal(percentileCont([5, 7, 9], 0), 5);
    assert.equal(percentileCont([5, 7, 9], 1), 9);
    assert.equal(percentileCont([42], 0.95), 42);
  });

  it('is null for an empty list', () => {
    assert.equal(percentileCont([], 0.5), null);
    assert.equal(percentileOf([], 0.95), null);
  });

  it('rejects fractions outside [0, 1]', () => {
    assert.throws(() => percentileCont([1], 1.5), RangeError);
    assert.throws(() => percentileCont([1], -0.1), RangeError);
    assert.throws(() => percentileCont([1], Number.NaN), RangeError);
  });

  it('percentileOf sorts numerically, not as strings', () => {
    assert.deepEqual(sortAscending([10, 9, 100, 1]), [1, 9, 10, 100]);
    assert.equal(percentileOf([40, 10, 30, 20], 0.5), 25);
  });

  it('matches the reference on random inputs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }), { maxLength: 60 }),
        fc.constantFrom(0, 0.25, 0.5, 0.9, 0.95, 0.99, 1),
        (values, p) => {
          const got = percentileOf(values, p);
          const want = refPercentile(values, p);
          if (want === null) return got === null;
          return got !== null && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));
        },
      ),
    );
  });

  it('lies between the neighbouring ranks and is monotone in p', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, p) => {
        const v = sortAscending(values);
        const got = percentileCont(v, p) as number;
        const lo = v[Math.floor(p * (v.length - 1))];
        const hi = v[Math.ceil(p * (v.length - 1))];
        return got >= lo && got <= hi && (percentileCont(v, Math.min(1, p + 0.01)) as number) >= got;
      }),
    );
  });
});

describe('mean', () => {
  it('averages and is null when empty', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(mean([]), null);
  });

  it('matches the reference', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 50 }), (values) => mean(values) === refMean(values)),
    );
  });
});
