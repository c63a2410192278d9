import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COSTS_COLUMNS, toCostsCsvRow, type CostsRow } from '../../../src/reports/costs.ts';
import { healthStatus, type HealthSignals } from '../../../src/reports/health.ts';
import { mttrColumns, parseMttrGroupBy } from '../../../src/reports/mttr.ts';

const thresholds = { downErrorRate: 0.5, degradedErrorRate: 0.05, degradedP95LatencyMs: 1000 };
const quiet: HealthSignals = { latestErrorRate: null, latestP95LatencyMs: null, openIncidents: 0, openCriticalIncidents: 0 };

describe('healthStatus', () => {
  it('is healthy without samples or open incidents', () => {
    assert.equal(healthStatus(quiet, thresholds), 'healthy');
  });

  it('is down with an open critical incident or an error rate at the down threshold', () => {
    assert.equal(healthStatus({ ...quiet, openIncidents: 1, openCriticalIncidents: 1 }, thresholds), 'down');
    assert.equal(healthStatus({ ...quiet, latestErrorRate: 0.5 }, thresholds), 'down');
  });

  it('is degraded with any open incident, error rate ≥ 0.05 or p95 latency strictly above 1000 ms', () => {
    assert.equal(healthStatus({ ...quiet, openIncidents: 2 }, thresholds), 'degraded');
    assert.equal(healthStatus({ ...quiet, latestErrorRate: 0.05 }, thresholds), 'degraded');
    assert.equal(healthStatus({ ...quiet, latestErrorRate: 0.0499 }, thresholds), 'healthy');
    assert.equal(healthStatus({ ...quiet, latestP95LatencyMs: 1000 }, thresholds), 'healthy');
    assert.equal(healthStatus({ ...quiet, latestP95LatencyMs: 1000.001 }, thresholds), 'degraded');
  });

  it('follows configured thresholds', () => {
    const strict = { downErrorRate: 0.1, degradedErrorRate: 0.01, degradedP95LatencyMs: 100 };
    assert.equal(healthStatus({ ...quiet, latestErrorRate: 0.1 }, strict), 'down');
    assert.equal(healthStatus({ ...quiet, latestP95LatencyMs: 101 }, strict), 'degraded');
  });

  it('never reports a service with an open critical incident as better than down', () => {
    fc.assert(
      fc.property(
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.option(fc.double({ min: 0, max: 1e4, noNaN: true })),
        fc.nat(5),
        (errorRate, latency, extra) => {
          const s = { latestErrorRate: errorRate, latestP95LatencyMs: latency, openIncidents: 1 + extra, openCriticalIncidents: 1 };
          return healthStatus(s, thresholds) === 'down';
        },
      ),
    );
  });
});

describe('mttr group_by', () => {
  it('accepts service and severity, absent means per tenant', () => {
    assert.equal(parseMttrGroupBy(undefined), null);
    assert.equal(parseMttrGroupBy('service'), 'service');
    assert.equal(parseMttrGroupBy('severity'), 'severity');
  });

  it('rejects anything else as a validation error naming group_by', () => {
    for (const v of ['', 'tenant', 'Service', 'service,severity']) {
      assert.throws(() => parseMttrGroupBy(v), (err: { code?: string; details?: { field?: string }[] }) => {
        return err.code === 'validation_error' && err.details?.[0]?.field === 'group_by';
      });
    }
  });

  it('puts the group column right after tenant_id in the CSV header', () => {
    assert.deepEqual(mttrColumns('service').slice(0, 3), ['tenant_id', 'service', 'incident_count']);
    assert.equal(mttrColumns(null).length, 9);
  });
});

describe('costs CSV', () => {
  it('flattens prices into prices_<unit> columns in header order', () => {
    const row: CostsRow = {
      tenant_id: 't',
      workflow_runs: 1,
      metric_samples: 2,
      predictions: 3,
      workflow_cost: 0.01,
      monitoring_cost: 0.01,
      prediction_cost: 0.06,
      total_cost: 0.08,
      cost_per_hour: 0.08 / 24,
      prices: { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 },
    };
    const flat = toCostsCsvRow(row);
    assert.deepEqual(Object.keys(flat), [...COSTS_COLUMNS]);
    assert.equal(flat.prices_prediction, 0.02);
  });
});
