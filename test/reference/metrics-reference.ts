/**
 * Deliberately naive reference implementations of the report metrics, over plain arrays of
 * records. They favour obviousness over speed and share no code with src/reports/metrics, so
 * property tests (and report integration tests) can check production code against them.
 */
import { DateTime } from 'luxon';

/** percentile_cont by its textbook definition: 1-based rank r = 1 + p(n−1), interpolate. */
export function refPercentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const rank = 1 + p * (v.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const fraction = rank - below;
  return v[below - 1] + (v[above - 1] - v[below - 1]) * fraction;
}

/** Mean, null when empty. */
export function refMean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** A prediction with a known outcome. */
export interface RefPrediction {
  p: number;
  failed: boolean;
}

/** ROC AUC by comparing every (failed, succeeded) pair: 1 if ranked right, 0.5 for a tie. */
export function refAuc(records: readonly RefPrediction[]): number | null {
  const pos = records.filter((r) => r.failed);
  const neg = records.filter((r) => !r.failed);
  if (pos.length === 0 || neg.length === 0) return null;
  let score = 0;
  for (const a of pos) {
    for (const b of neg) {
      if (a.p > b.p) score += 1;
      else if (a.p === b.p) score += 0.5;
    }
  }
  return score / (pos.length * neg.length);
}

/** Calibration bin by scanning the decimal ranges [k/10, (k+1)/10); 1.0 goes to the last bin. */
export function refBin(p: number): number {
  for (let k = 0; k < 10; k++) {
    const lower = k / 10;
    const upper = (k + 1) / 10;
    if (p >= lower && (p < upper || k === 9)) return k;
  }
  throw new Error(`probability out of range: ${p}`);
}

export interface RefClassification {
  evaluated: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  brier_score: number | null;
  roc_auc: number | null;
  calibration: {
    bin_lower: number;
    bin_upper: number;
    count: number;
    mean_predicted: number | null;
    observed_failure_rate: number | null;
  }[];
}

/** All prediction-quality metrics, record by record. */
export function refClassification(records: readonly RefPrediction[], threshold: number): RefClassification {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const r of records) {
    const predicted = r.p >= threshold;
    if (predicted && r.failed) tp++;
    else if (predicted && !r.failed) fp++;
    else if (!predicted && r.failed) fn++;
    else tn++;
  }
  const n = records.length;
  const precision = tp + fp === 0 ? null : tp / (tp + fp);
  const recall = tp + fn === 0 ? null : tp / (tp + fn);
  const f1 =
    precision === null || recall === null ? null : precision === 0 && recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const calibration = [];
  for (let k = 0; k < 10; k++) {
    const inBin = records.filter((r) => refBin(r.p) === k);
    calibration.push({
      bin_lower: k / 10,
      bin_upper: (k + 1) / 10,
      count: inBin.length,
      mean_predicted: refMean(inBin.map((r) => r.p)),
      observed_failure_rate: refMean(inBin.map((r) => (r.failed ? 1 : 0))),
    });
  }
  return {
    evaluated: n,
    accuracy: n === 0 ? null : (tp + tn) / n,
    precision,
    recall,
    f1,
    brier_score: refMean(records.map((r) => (r.p - (r.failed ? 1 : 0)) ** 2)),
    roc_auc: refAuc(records),
    calibration,
  };
}

/** An incident as uptime sees it. */
export interface RefIncident {
  openedMs: number;
  resolvedMs: number | null;
}

/**
 * Down time by elementary segments: cut the period at every interval end point and count a
 * segment as down when any interval covers it. O(n²), obviously right.
 */
export function refDowntime(intervals: readonly (readonly [number, number])[], fromMs: number, toMs: number): number {
  const cuts = new Set<number>([fromMs, toMs]);
  for (const [s, e] of intervals) {
    if (s > fromMs && s < toMs) cuts.add(s);
    if (e > fromMs && e < toMs) cuts.add(e);
  }
  const points = [...cuts].sort((a, b) => a - b);
  let down = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    if (intervals.some(([s, e]) => s <= a && e >= b && e > s)) down += b - a;
  }
  return down;
}

/** Uptime percent of [fromMs, toMs) given critical incidents (open ones last until `to`). */
export function refUptime(incidents: readonly RefIncident[], fromMs: number, toMs: number): number | null {
  if (toMs <= fromMs) return null;
  const down = refDowntime(
    incidents.map((i) => [i.openedMs, i.resolvedMs ?? toMs] as const),
    fromMs,
    toMs,
  );
  return 100 * (1 - down / (toMs - fromMs));
}

export interface RefBucket {
  startMs: number;
  endMs: number;
  bucketStart: string;
}

/**
 * Trend buckets by walking the period quarter hour by quarter hour with luxon and starting a
 * bucket whenever the local clock enters a new hour (or is set back), a later day, or a later
 * ISO week. Assumes zone transitions and local hour starts fall on UTC quarter hours (true for
 * every zone's current rules, including +05:30, +05:45, +12:45 and Lord Howe's 30-minute DST).
 */
export function refBuckets(fromMs: number, toMs: number, tz: string, granularity: 'hour' | 'day' | 'week'): RefBucket[] {
  if (toMs <= fromMs) return [];
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: tz });
  const keyOf = (d: DateTime): string =>
    granularity === 'hour'
      ? d.toFormat('yyyy-MM-dd HH')
      : granularity === 'day'
        ? d.toFormat('yyyy-MM-dd')
        : (d.startOf('week').toISODate() as string);
  const label = (ms: number): string => {
    const d = local(ms);
    return d.toFormat(d.millisecond === 0 ? "yyyy-MM-dd'T'HH:mm:ssZZ" : "yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
  };

  const starts = [fromMs];
  let previous = local(fromMs);
  let currentKey = keyOf(previous);
  const step = 15 * 60_000;
  for (let t = Math.floor(fromMs / step) * step + step; t < toMs; t += step) {
    const d = local(t);
    const key = keyOf(d);
    const opens = granularity === 'hour' ? key !== currentKey || d.offset < previous.offset : key > currentKey;
    if (opens) {
      starts.push(t);
      currentKey = key;
    }
    previous = d;
  }
  return starts.map((s, i) => ({ startMs: s, endMs: starts[i + 1] ?? toMs, bucketStart: label(s) }));
}
