// Pure dashboard logic: node --import tsx --test web/test/logic.test.ts (from the repo root).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aucFigure, change, costBreakdown, failureRateFigure, foldHourOfWeek, mttrFigure, sumTrends, sumUsd, totalCostFigure } from '../src/aggregate.ts';
import { filenameFromDisposition, buildUrl } from '../src/api.ts';
import { durationAxis, formatDuration, formatDurationShort } from '../src/format.ts';
import { addDays, currentZoneName, defaultInputs, periodFromInputs, previousPeriod, timeZones, todayIn, validateInputs } from '../src/period.ts';
import type { CostRow, MttrRow, OverviewRow, PredictionRow, TrendPoint } from '../src/types.ts';

const overview = (over: Partial<OverviewRow>): OverviewRow => ({
  tenant_id: 't',
  tenant_name: 'T',
  total_workflows: 0,
  failed_workflows: 0,
  failure_rate_percent: null,
  avg_duration_ms: null,
  p95_duration_ms: null,
  avg_p95_latency_ms: null,
  avg_throughput_rps: null,
  total_predictions: 0,
  avg_failure_probability: null,
  ...over,
});

test('periods: inclusive end date becomes an exclusive next-day `to`', () => {
  assert.deepEqual(periodFromInputs('2026-02-01', '2026-02-28'), { from: '2026-02-01', to: '2026-03-01' });
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.deepEqual(previousPeriod({ from: '2026-03-01', to: '2026-03-31' }), { from: '2026-01-30', to: '2026-03-01' });
  assert.deepEqual(defaultInputs('UTC', new Date('2026-03-30T10:00:00Z')), { from: '2026-03-01', through: '2026-03-30' });
  assert.equal(todayIn('Pacific/Kiritimati', new Date('2026-03-30T23:00:00Z')), '2026-03-31');
  assert.equal(validateInputs('2026-03-02', '2026-03-01'), 'The start date must be on or before the end date.');
  assert.equal(validateInputs('2026-03-01', '2026-03-01'), null);
  assert.match(validateInputs('2025-01-01', '2026-03-01') ?? '', /at most 400/);
  assert.equal(validateInputs('2025-01-01', '2026-02-04'), null); // exactly 400 days
});

test('failure rate: one tenant is its own value; several are weighted by finished runs', () => {
  assert.equal(failureRateFigure([overview({ failure_rate_percent: 12.5 })]).value, 12.5);
  const rows = [
    overview({ total_workflows: 100, failed_workflows: 0, failure_rate_percent: 0 }),
    overview({ total_workflows: 12, failed_workflows: 1, failure_rate_percent: 10 }), // 10 finished
    overview({ total_workflows: 3, failed_workflows: 0, failure_rate_percent: null }), // all running
  ];
  assert.equal(failureRateFigure(rows).value, (100 * 1) / 110);
  assert.equal(failureRateFigure([overview({}), overview({})]).value, null);
});

test('mttr: resolved-weighted mean across tenants, null when nothing resolved', () => {
  const row = (resolved: number, median: number | null): MttrRow => ({
    tenant_id: 't',
    incident_count: resolved,
    resolved_count: resolved,
    open_count: 0,
    mttr_avg_seconds: median,
    mttr_median_seconds: median,
    mttr_p95_seconds: median,
    mtta_avg_seconds: null,
    mtta_median_seconds: null,
  });
  assert.equal(mttrFigure([row(3, 60)], 'mttr_median_seconds').value, 60);
  assert.equal(mttrFigure([row(1, 60), row(3, 120), row(0, null)], 'mttr_median_seconds').value, 105);
  assert.equal(mttrFigure([row(0, null), row(0, null)], 'mttr_p95_seconds').value, null);
});

test('money sums are exact to the micro-dollar', () => {
  assert.equal(sumUsd([0.1, 0.2]), 0.3);
  const cost = (total: number): CostRow => ({
    tenant_id: 't',
    workflow_runs: 0,
    metric_samples: 0,
    predictions: 0,
    workflow_cost: total,
    monitoring_cost: 0,
    prediction_cost: 0,
    total_cost: total,
    cost_per_hour: 0,
    prices: { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 },
  });
  assert.equal(totalCostFigure([cost(0.07), cost(0.01)]).value, 0.08);
  assert.equal(costBreakdown([cost(0.07), cost(0.01)]).workflow, 0.08);
});

test('auc: single model as is, several evaluated-weighted', () => {
  const p = (model: string, evaluated: number, roc_auc: number | null): PredictionRow => ({
    tenant_id: 't',
    model,
    predictions: evaluated,
    evaluated,
    accuracy: null,
    precision: null,
    recall: null,
    f1: null,
    brier_score: null,
    roc_auc,
    calibration: [],
  });
  assert.deepEqual(aucFigure([p('m', 10, 0.8)]), { value: 0.8, note: 'model m' });
  assert.equal(aucFigure([p('a', 10, 0.8), p('b', 30, 0.6), p('c', 5, null)]).value, (8 + 18) / 40);
  assert.equal(aucFigure([]).value, null);
  assert.deepEqual(change(0.9, 0.8)?.delta.toFixed(2), '0.10');
  assert.equal(change(5, 0)?.relative, null);
  assert.equal(change(null, 3), null);
});

test('trends: summed by bucket; heatmap folds the local hour and weekday of bucket_start', () => {
  const pt = (bucket_start: string, workflows: number): TrendPoint => ({
    bucket_start,
    workflows,
    failed_workflows: 0,
    failure_rate_percent: null,
    avg_duration_ms: null,
    incidents_opened: 0,
    predictions: 0,
    avg_p95_latency_ms: null,
  });
  const summed = sumTrends([
    { tenant_id: 'a', granularity: 'hour', tz: 'Asia/Kolkata', points: [pt('2026-03-02T00:00:00+05:30', 2), pt('2026-03-02T01:00:00+05:30', 1)] },
    { tenant_id: 'b', granularity: 'hour', tz: 'Asia/Kolkata', points: [pt('2026-03-02T00:00:00+05:30', 3), pt('2026-03-02T01:00:00+05:30', 0)] },
  ]);
  assert.deepEqual(summed.map((p) => p.workflows), [5, 1]);
  // 2026-03-02 is a Monday; 00:00 local even though it is the previous day in UTC.
  const grid = foldHourOfWeek(summed);
  assert.equal(grid[0][0], 5);
  assert.equal(grid[0][1], 1);
  // fall-back night: two 01:00 buckets both land in hour 1 (Sunday).
  const fallBack = foldHourOfWeek([pt('2026-11-01T01:00:00-04:00', 2), pt('2026-11-01T01:00:00-05:00', 3)]);
  assert.equal(fallBack[6][1], 5);
});

test('formatting and headers', () => {
  assert.equal(formatDuration(3725), '1h 2m 5s');
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(0.4), '0.4s');
  assert.equal(formatDuration(null), '—');
  assert.equal(filenameFromDisposition('attachment; filename=costs_report.csv', 'x.csv'), 'costs_report.csv');
  assert.equal(filenameFromDisposition('attachment; filename="raw_metrics_report.csv"', 'x.csv'), 'raw_metrics_report.csv');
  assert.equal(filenameFromDisposition("attachment; filename*=UTF-8''trends_report.csv", 'x.csv'), 'trends_report.csv');
  assert.equal(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x.csv'), '.._.._etc_passwd');
  assert.equal(filenameFromDisposition(null, 'x.csv'), 'x.csv');
  assert.equal(buildUrl('/reports/mttr', { from: '2026-03-01', tenant_id: undefined, tz: 'Asia/Kolkata' }), '/reports/mttr?from=2026-03-01&tz=Asia%2FKolkata');
});

test('zones: the old CLDR names ICU browsers report become current IANA names', () => {
  assert.equal(currentZoneName('Asia/Calcutta'), 'Asia/Kolkata');
  assert.equal(currentZoneName('Asia/Katmandu'), 'Asia/Kathmandu');
  assert.equal(currentZoneName('Europe/Kiev'), 'Europe/Kyiv');
  assert.equal(currentZoneName('Europe/Paris'), 'Europe/Paris');
  const zones = timeZones('UTC');
  assert.ok(zones.includes('Asia/Kolkata') && zones.includes('Asia/Kathmandu') && zones.includes('UTC'));
  assert.ok(!zones.includes('Asia/Calcutta'));
  assert.deepEqual(zones, [...new Set(zones)].sort((a, b) => a.localeCompare(b)));
});

test('durations: short form for tiles, whole-unit ticks for axes', () => {
  assert.equal(formatDurationShort(8551.568703703702), '2h 23m');
  assert.equal(formatDurationShort(3600), '1h');
  assert.equal(formatDurationShort(754), '12m 34s');
  assert.equal(formatDurationShort(42.4), '42s');
  assert.equal(formatDurationShort(200_000), '2d 8h');
  assert.equal(formatDurationShort(-5400), '−1h 30m');
  assert.equal(formatDurationShort(null), '—');
  const hours = durationAxis(38_000); // ≈ 10.6 h
  assert.equal(hours.interval, 3 * 3600);
  assert.equal(hours.formatter(0), '0');
  assert.equal(hours.formatter(6 * 3600), '6h');
  const minutes = durationAxis(1500);
  assert.equal(minutes.interval, 5 * 60);
  assert.equal(minutes.formatter(600), '10m');
  assert.equal(durationAxis(40).interval, 10);
  assert.equal(durationAxis(0).interval, 1);
});
