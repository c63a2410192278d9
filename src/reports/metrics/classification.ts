/**
 * Prediction quality (contract "GET /reports/predictions", precise readings 8 and 9).
 *
 * Engines only group evaluated predictions by probability and count outcomes; everything
 * else is computed here from those counts, so both backends give identical numbers.
 * Positive = the outcome failed; predicted positive = probability ≥ threshold.
 */

/** Evaluated predictions sharing one probability. Several groups may share a probability. */
export interface ProbabilityGroup {
  probability: number;
  /** how many of them failed */
  positives: number;
  /** how many of them succeeded */
  negatives: number;
}

/** One of the 10 equal-width calibration bins [bin_lower, bin_upper). */
export interface CalibrationBin {
  bin_lower: number;
  bin_upper: number;
  count: number;
  mean_predicted: number | null;
  observed_failure_rate: number | null;
}

export interface ClassificationMetrics {
  evaluated: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  brier_score: number | null;
  roc_auc: number | null;
  calibration: CalibrationBin[];
}

export const CALIBRATION_BINS = 10;
export const DEFAULT_THRESHOLD = 0.5;

/**
 * Calibration bin (0–9) of a probability: the largest k with p ≥ k/10, capped at 9 so p = 1.0
 * lands in the last bin. Comparing with k/10 rather than computing ⌊p·10⌋ keeps decimal
 * boundaries exact: k/10 is the same double as the literal 0.k, so p = 0.1 is in bin 1, whereas
 * p·10 can be off by one ulp in either direction.
 */
export function calibrationBinOf(p: number): number {
  for (let k = CALIBRATION_BINS - 1; k > 0; k--) {
    if (p >= k / CALIBRATION_BINS) return k;
  }
  return 0;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/**
 * Accuracy, precision, recall, F1, Brier score, ROC AUC and calibration of evaluated predictions.
 * - accuracy and brier_score are null when nothing is evaluated;
 * - precision / recall are null over an empty denominator; f1 is their harmonic mean, null if
 *   either is null and 0 if both are 0;
 * - roc_auc gives ties half credit (average rank) and is null when either class is absent;
 * - calibration always has 10 bins; an empty bin has count 0 and null means.
 * Sums run over probabilities in ascending order, independent of the order engines return groups.
 */
export function classificationMetrics(groups: readonly ProbabilityGroup[], threshold: number = DEFAULT_THRESHOLD): ClassificationMetrics {
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be a finite number, got ${threshold}`);

  // Merge duplicate probabilities and sort, so results do not depend on engine grouping/order.
  const byProbability = new Map<number, { pos: number; neg: number }>();
  for (const g of groups) {
    const p = g.probability;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be within [0, 1], got ${p}`);
    if (!(Number.isInteger(g.positives) && g.positives >= 0 && Number.isInteger(g.negatives) && g.negatives >= 0)) {
      throw new RangeError('positives and negatives must be non-negative integers');
    }
    if (g.positives === 0 && g.negatives === 0) continue;
    const key = p === 0 ? 0 : p; // −0 and 0 are one probability
    const entry = byProbability.get(key);
    if (entry) {
      entry.pos += g.positives;
      entry.neg += g.negatives;
    } else {
      byProbability.set(key, { pos: g.positives, neg: g.negatives });
    }
  }
  const sorted = [...byProbability.entries()].sort((a, b) => a[0] - b[0]);

  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let squaredError = 0;
  let aucNumerator = 0;
  let negativesBelow = 0;
  const binCount = new Array<number>(CALIBRATION_BINS).fill(0);
  const binProbabilitySum = new Array<number>(CALIBRATION_BINS).fill(0);
  const binPositives = new Array<number>(CALIBRATION_BINS).fill(0);

  for (const [p, { pos, neg }] of sorted) {
    if (p >= threshold) {
      tp += pos;
      fp += neg;
    } else {
      fn += pos;
      tn += neg;
    }
    squaredError += pos * (p - 1) * (p - 1) + neg * p * p;
    // Positives here outrank every negative with a lower probability and tie with those here.
    aucNumerator += negativesBelow * pos + 0.5 * pos * neg;
    negativesBelow += neg;
    const k = calibrationBinOf(p);
    binCount[k] += pos + neg;
    binProbabilitySum[k] += p * (pos + neg);
    binPositives[k] += pos;
  }

  const positives = tp + fn;
  const negatives = fp + tn;
  const evaluated = positives + negatives;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  let f1: number | null = null;
  if (precision !== null && recall !== null) {
    f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }

  const calibration: CalibrationBin[] = [];
  for (let k = 0; k < CALIBRATION_BINS; k++) {
    calibration.push({
      bin_lower: k / CALIBRATION_BINS,
      bin_upper: (k + 1) / CALIBRATION_BINS,
      count: binCount[k],
      mean_predicted: ratio(binProbabilitySum[k], binCount[k]),
      observed_failure_rate: ratio(binPositives[k], binCount[k]),
    });
  }

  return {
    evaluated,
    accuracy: ratio(tp + tn, evaluated),
    precision,
    recall,
    f1,
    brier_score: ratio(squaredError, evaluated),
    roc_auc: positives === 0 || negatives === 0 ? null : aucNumerator / (positives * negatives),
    calibration,
  };
}
