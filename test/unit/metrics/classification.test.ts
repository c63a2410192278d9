import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calibrationBinOf, classificationMetrics } from '../../../src/reports/metrics/classification.ts';
import type { ClassificationMetrics, ProbabilityGroup } from '../../../src/reports/metrics/classification.ts';
import { refBin, refClassification } from '../../reference/metrics-reference.ts';
import type { RefPrediction } from '../../reference/metrics-reference.ts';

/** What an engine would return: GROUP BY probability with outcome counts. */
function toGroups(records: readonly RefPrediction[]): ProbabilityGroup[] {
  const map = new Map<number, ProbabilityGroup>();
  for (const r of records) {
    const g = map.get(r.p) ?? { probability: r.p, positives: 0, negatives: 0 };
    if (r.failed) g.positives++;
    else g.negatives++;
    map.set(r.p, g);
  }
  return [...map.values()];
}

const close = (a: number | null, b: number | null): boolean =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function sameMetrics(got: ClassificationMetrics, want: ReturnType<typeof refClassification>): boolean {
  const scalar = ['accuracy', 'precision', 'recall', 'f1', 'brier_score', 'roc_auc'] as const;
  if (got.evaluated !== want.evaluated) return false;
  if (!scalar.every((k) => close(got[k], want[k]))) return false;
  return got.calibration.every((bin, k) => {
    const w = want.calibration[k];
    return (
      bin.bin_lower === w.bin_lower &&
      bin.bin_upper === w.bin_upper &&
      bin.count === w.count &&
      close(bin.mean_predicted, w.mean_predicted) &&
      close(bin.observed_failure_rate, w.observed_failure_rate)
    );
  });
}

describe('classificationMetrics', () => {
  it('computes the confusion-matrix metrics', () => {
    // TP: 0.9 failed, 0.8 failed; FP: 0.7 succeeded; FN: 0.2 failed; TN: 0.1 and 0.3 succeeded
    const m = classificationMetrics([
      { probability: 0.9, positives: 1, negatives: 0 },
      { probability: 0.8, positives: 1, negatives: 0 },
      { probability: 0.7, positives: 0, negatives: 1 },
      { probability: 0.2, positives: 1, negatives: 0 },
      { probability: 0.1, positives: 0, negatives: 1 },
      { probability: 0.3, positives: 0, negatives: 1 },
    ], 0.5);
    assert.equal(m.evaluated, 6);
    assert.equal(m.accuracy, 4 / 6);
    assert.equal(m.precision, 2 / 3);
    assert.equal(m.recall, 2 / 3);
    assert.ok(Math.abs((m.f1 as number) - 2 / 3) < 1e-15);
    // Pairs: positives {0.9,0.8,0.2} vs negatives {0.7,0.1,0.3}: 3 + 3 + 1 = 7 of 9
    assert.equal(m.roc_auc, 7 / 9);
    const brier = (0.01 + 0.04 + 0.49 + 0.64 + 0.01 + 0.09) / 6;
    assert.ok(Math.abs((m.brier_score as number) - brier) < 1e-15);
  });

  it('threshold is inclusive: p = threshold is predicted positive', () => {
    const m = classificationMetrics([{ probability: 0.5, positives: 1, negatives: 0 }], 0.5);
    assert.equal(m.precision, 1);
    assert.equal(m.recall, 1);
  });

  it('AUC gives ties half credit', () => {
    const m = classificationMetrics([{ probability: 0.5, positives: 1, negatives: 1 }]);
    assert.equal(m.roc_auc, 0.5);
    const split = classificationMetrics([
      { probability: 0.5, positives: 1, negatives: 0 },
      { probability: 0.5, positives: 0, negatives: 1 },
    ]);
    assert.equal(split.roc_auc, 0.5, 'duplicate probability groups are merged');
    const mixed = classificationMetrics([
      { probability: 0.2, positives: 0, negatives: 1 },
      { probability: 0.6, positives: 1, negatives: 1 },
      { probability: 0.9, positives: 1, negatives: 0 },
    ]);
    // pos 0.6: beats 0.2, ties 0.6 → 1.5; pos 0.9: beats both → 2; total 3.5 / 4
    assert.equal(mixed.roc_auc, 3.5 / 4);
  });

  it('AUC is null when one class is absent', () => {
    assert.equal(classificationMetrics([{ probability: 0.3, positives: 4, negatives: 0 }]).roc_auc, null);
    assert.equal(classificationMetrics([{ probability: 0.3, positives: 0, negatives: 4 }]).roc_auc, null);
  });

  it('precision/recall are null over empty denominators and f1 follows', () => {
    // nothing predicted positive → precision null; recall 0
    const noPredictedPositive = classificationMetrics([{ probability: 0.1, positives: 2, negatives: 1 }], 0.5);
    assert.equal(noPredictedPositive.precision, null);
    assert.equal(noPredictedPositive.recall, 0);
    assert.equal(noPredictedPositive.f1, null);
    // no actual failures → recall null
    const noFailures = classificationMetrics([{ probability: 0.9, positives: 0, negatives: 2 }], 0.5);
    assert.equal(noFailures.recall, null);
    assert.equal(noFailures.precision, 0);
    assert.equal(noFailures.f1, null);
    // both 0 → f1 0
    const allWrong = classificationMetrics([
      { probability: 0.9, positives: 0, negatives: 1 },
      { probability: 0.1, positives: 1, negatives: 0 },
    ], 0.5);
    assert.equal(allWrong.precision, 0);
    assert.equal(allWrong.recall, 0);
    assert.equal(allWrong.f1, 0);
  });

  it('everything but the empty bins is null when nothing is evaluated', () => {
    const m = classificationMetrics([]);
    assert.equal(m.evaluated, 0);
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'brier_score', 'roc_auc'] as const) assert.equal(m[k], null, k);
    assert.equal(m.calibration.length, 10);
    assert.ok(m.calibration.every((b) => b.count === 0 && b.mean_predicted === null && b.observed_failure_rate === null));
  });

  it('calibration has 10 decimal bins; p = 1.0 is in the last, p = 0.1 in bin 1', () => {
    const m = classificationMetrics([
      { probability: 1.0, positives: 1, negatives: 0 },
      { probability: 0.1, positives: 0, negatives: 1 },
      { probability: 0, positives: 0, negatives: 1 },
      { probability: 0.05, positives: 1, negatives: 0 },
    ]);
    assert.deepEqual(m.calibration.map((b) => b.bin_lower), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assert.deepEqual(m.calibration.map((b) => b.bin_upper), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.deepEqual(m.calibration[9], { bin_lower: 0.9, bin_upper: 1, count: 1, mean_predicted: 1, observed_failure_rate: 1 });
    assert.deepEqual(m.calibration[1], { bin_lower: 0.1, bin_upper: 0.2, count: 1, mean_predicted: 0.1, observed_failure_rate: 0 });
    assert.deepEqual(m.calibration[0], { bin_lower: 0, bin_upper: 0.1, count: 2, mean_predicted: 0.025, observed_failure_rate: 0.5 });
    assert.deepEqual(m.calibration[5], { bin_lower: 0.5, bin_upper: 0.6, count: 0, mean_predicted: null, observed_failure_rate: null });
  });

  it('every decimal boundary lands in the upper bin', () => {
    const boundaries = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    boundaries.forEach((p, k) => {
      assert.equal(calibrationBinOf(p), k, `p=${p}`);
      assert.equal(calibrationBinOf(Number(`0.${k}`)), k);
    });
    assert.equal(calibrationBinOf(1), 9);
    assert.equal(calibrationBinOf(0.30000000000000004), 3);
    assert.equal(calibrationBinOf(0.29999999999999993), 2);
    assert.equal(calibrationBinOf(0.7 - Number.EPSILON), 6);
  });

  it('does not depend on the order or splitting of groups', () => {
    const a = classificationMetrics([
      { probability: 0.3, positives: 2, negatives: 1 },
      { probability: 0.8, positives: 1, negatives: 3 },
    ]);
    const b = classificationMetrics([
      { probability: 0.8, positives: 1, negatives: 0 },
      { probability: 0.3, positives: 2, negatives: 1 },
      { probability: 0.8, positives: 0, negatives: 3 },
    ]);
    assert.deepEqual(a, b);
  });

  it('rejects probabilities outside [0, 1]', () => {
    assert.throws(() => classificationMetrics([{ probability: 1.2, positives: 1, negatives: 0 }]), RangeError);
  });

  it('matches the record-by-record reference', () => {
    // Mix coarse decimals (ties, bin boundaries) with arbitrary doubles.
    const probability = fc.oneof(
      fc.integer({ min: 0, max: 20 }).map((i) => i / 20),
      fc.integer({ min: 0, max: 10 }).map((i) => Number(`0.${i}`) || (i === 10 ? 1 : 0)),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    const record = fc.record({ p: probability, failed: fc.boolean() });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 80 }), fc.constantFrom(0, 0.3, 0.5, 0.7, 1), (records, threshold) => {
        return sameMetrics(classificationMetrics(toGroups(records), threshold), refClassification(records, threshold));
      }),
      { numRuns: 300 },
    );
  });

  it('bins agree with the reference binning for any probability', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => calibrationBinOf(p) === refBin(p)));
  });
});
