import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../../src/domain/errors.ts';
import { PREDICTION_CSV_COLUMNS, parseThreshold, predictionsReport, type PredictionRow } from '../../../src/reports/predictions.ts';
import { parseGranularity, trendsReport, type TrendsBody } from '../../../src/reports/trends.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.details[0]?.field;
  }
  return undefined;
};

describe('parseGranularity', () => {
  it('defaults to day and accepts hour, day and week', () => {
    assert.equal(parseGranularity(undefined), 'day');
    assert.equal(parseGranularity(''), 'day');
    for (const g of ['hour', 'day', 'week'] as const) assert.equal(parseGranularity(g), g);
  });

  it('rejects anything else, naming granularity', () => {
    for (const bad of ['month', 'Day', ' day', ['day']]) assert.equal(fieldOf(() => parseGranularity(bad)), 'granularity');
  });
});

describe('parseThreshold', () => {
  it('defaults to 0.5 and reads plain decimals within [0, 1]', () => {
    assert.equal(parseThreshold(undefined), 0.5);
    assert.equal(parseThreshold(''), 0.5);
    assert.equal(parseThreshold('0'), 0);
    assert.ok(Object.is(parseThreshold('-0'), 0));
    assert.equal(parseThreshold('1'), 1);
    assert.equal(parseThreshold('.25'), 0.25);
    assert.equal(parseThreshold('5e-1'), 0.5);
  });

  it('rejects non-numbers, non-finite values and values outside [0, 1], naming threshold', () => {
    for (const bad of ['abc', 'NaN', 'Infinity', '0x1', ' 0.5', '0.5 ', '1.0000001', '-0.1', '1e3', '0,5', ['0.5']]) {
      assert.equal(fieldOf(() => parseThreshold(bad)), 'threshold', String(bad));
    }
  });
});

describe('CSV shapes (contract reading 1)', () => {
  it('flattens trends as tenant_id then the point fields, one row per point', () => {
    const body: TrendsBody = {
      tenant_id: 't1',
      granularity: 'day',
      tz: 'UTC',
      points: [
        {
          bucket_start: '2026-01-01T00:00:00+00:00',
          workflows: 2,
          failed_workflows: 1,
          failure_rate_percent: 50,
          avg_duration_ms: 10,
          incidents_opened: 0,
          predictions: 3,
          avg_p95_latency_ms: null,
        },
      ],
    };
    const csv = trendsReport.csv!(body);
    assert.deepEqual(csv.columns, [
      'tenant_id',
      'bucket_start',
      'workflows',
      'failed_workflows',
      'failure_rate_percent',
      'avg_duration_ms',
      'incidents_opened',
      'predictions',
      'avg_p95_latency_ms',
    ]);
    assert.deepEqual(csv.rows, [{ tenant_id: 't1', ...body.points[0] }]);
  });

  it('flattens calibration as calibration_<k>_<field> for k = 0..9', () => {
    assert.equal(PREDICTION_CSV_COLUMNS.length, 10 + 10 * 5);
    assert.deepEqual(PREDICTION_CSV_COLUMNS.slice(0, 12), [
      'tenant_id',
      'model',
      'predictions',
      'evaluated',
      'accuracy',
      'precision',
      'recall',
      'f1',
      'brier_score',
      'roc_auc',
      'calibration_0_bin_lower',
      'calibration_0_bin_upper',
    ]);
    assert.equal(PREDICTION_CSV_COLUMNS.at(-1), 'calibration_9_observed_failure_rate');
    const calibration = Array.from({ length: 10 }, (_, k) => ({
      bin_lower: k / 10,
      bin_upper: (k + 1) / 10,
      count: k,
      mean_predicted: k === 0 ? null : k / 10 + 0.05,
      observed_failure_rate: null,
    }));
    const row: PredictionRow = {
      tenant_id: 't1',
      model: 'm',
      predictions: 9,
      evaluated: 5,
      accuracy: 1,
      precision: 1,
      recall: 1,
      f1: 1,
      brier_score: 0,
      roc_auc: null,
      calibration,
    };
    const csv = predictionsReport.csv!({ period: { from: '', to: '' }, rows: [row] });
    assert.deepEqual(csv.columns, [...PREDICTION_CSV_COLUMNS]);
    assert.deepEqual(Object.keys(csv.rows[0]), csv.columns);
    assert.equal(csv.rows[0].calibration_3_count, 3);
    assert.equal(csv.rows[0].calibration_0_mean_predicted, null);
  });
});
