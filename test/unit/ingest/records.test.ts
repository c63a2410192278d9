import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  INGEST_FIELDS,
  INGEST_KINDS,
  RECORD_FIELDS,
  isIngestKind,
  parseIsoTimestamp,
  recordKey,
  recordsEqual,
} from '../../../src/ingest/records.ts';
import type { IncidentRecord, MetricSampleRecord, WorkflowRunRecord } from '../../../src/ingest/records.ts';

const MARCH_1_NOON = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('parseIsoTimestamp', () => {
  it('accepts Z, ±hh:mm and ±hhmm offsets and converts to the UTC instant', () => {
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00Z'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00z'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01t12:00:00Z'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T14:00:00+02:00'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T14:00:00+0200'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T07:00:00-05:00'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T17:30:00+05:30'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T17:45:00+0545'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00+00:00'), MARCH_1_NOON);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00-00:00'), MARCH_1_NOON);
  });

  it('crosses day, month and year boundaries through the offset', () => {
    assert.equal(parseIsoTimestamp('2026-01-01T01:00:00+02:00'), Date.UTC(2025, 11, 31, 23, 0, 0));
    assert.equal(parseIsoTimestamp('2025-12-31T23:00:00-01:00'), Date.UTC(2026, 0, 1, 0, 0, 0));
  });

  it('allows minutes-only precision', () => {
    assert.equal(parseIsoTimestamp('2026-03-01T12:00Z'), MARCH_1_NOON);
  });

  it('truncates fractional seconds to milliseconds (never rounds)', () => {
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.5Z'), MARCH_1_NOON + 500);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.12Z'), MARCH_1_NOON + 120);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.123Z'), MARCH_1_NOON + 123);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.123999999Z'), MARCH_1_NOON + 123);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.9999Z'), MARCH_1_NOON + 999);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00,250Z'), MARCH_1_NOON + 250);
  });

  it('rejects timestamps without an offset', () => {
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00'), null);
    assert.equal(parseIsoTimestamp('2026-03-01T12:00:00.000'), null);
    assert.equal(parseIsoTimestamp('2026-03-01 12:00:00'), null);
  });

  it('rejects plain dates and other shapes', () => {
    for (const bad of [
      '2026-03-01',
      '2026-03-01T12Z',
      '2026-03-01T12:00:00+02',
      '2026-03-01T12:00:00 Z',
      '2026-03-01 12:00:00Z',
      '20260301T120000Z',
      '2026-3-1T12:00:00Z',
      '26-03-01T12:00:00Z',
      '+2026-03-01T12:00:00Z',
      '2026-03-01T12:00:00.Z',
      '2026-03-01T12:00.5Z',
      ' 2026-03-01T12:00:00Z',
      '2026-03-01T12:00:00Z ',
      '2026-03-01T12:00:00Z\n',
      '1772366400000',
      '',
      'yesterday',
    ]) {
      assert.equal(parseIsoTimestamp(bad), null, bad);
    }
  });

  it('rejects impossible calendar values', () => {
    for (const bad of [
      '2026-02-29T00:00:00Z', // not a leap year
      '2026-02-30T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-32T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T25:00:00Z',
      '2026-03-01T12:60:00Z',
      '2026-03-01T12:00:60Z', // leap seconds are not representable as epoch ms
      '2026-03-01T12:00:00+24:00',
      '2026-03-01T12:00:00+02:60',
      '1900-02-29T00:00:00Z', // century, not a leap year
    ]) {
      assert.equal(parseIsoTimestamp(bad), null, bad);
    }
    assert.equal(parseIsoTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    assert.equal(parseIsoTimestamp('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29));
  });

  it('handles years below 100 without the Date.UTC 19xx mapping', () => {
    assert.equal(parseIsoTimestamp('0050-01-01T00:00:00Z'), new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('rejects non-strings and absurdly long input', () => {
    assert.equal(parseIsoTimestamp(MARCH_1_NOON), null);
    assert.equal(parseIsoTimestamp(null), null);
    assert.equal(parseIsoTimestamp(undefined), null);
    assert.equal(parseIsoTimestamp(`2026-03-01T12:00:00.${'1'.repeat(100)}Z`), null);
  });
});

describe('kinds and field lists', () => {
  it('lists the four kinds', () => {
    assert.deepEqual([...INGEST_KINDS], ['workflow_runs', 'incidents', 'metrics', 'predictions']);
    for (const k of INGEST_KINDS) assert.ok(isIngestKind(k));
    assert.equal(isIngestKind('metric'), false);
    assert.equal(isIngestKind('__proto__'), false);
    assert.equal(isIngestKind(undefined), false);
  });

  it('has ingest and record fields for every kind', () => {
    assert.deepEqual(INGEST_FIELDS.metrics, ['tenant_id', 'service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate']);
    assert.deepEqual(RECORD_FIELDS.metrics, ['tenant_id', 'service', 'ts_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate']);
    for (const k of INGEST_KINDS) assert.equal(INGEST_FIELDS[k].length, RECORD_FIELDS[k].length, k);
  });
});

const run: WorkflowRunRecord = {
  tenant_id: 't1',
  id: 'r1',
  workflow_id: 'w1',
  workflow_name: null,
  service: 'api',
  status: 'failed',
  started_at_ms: MARCH_1_NOON,
  finished_at_ms: MARCH_1_NOON + 1000,
  duration_ms: 1000,
};

describe('recordKey', () => {
  it('is the id for keyed kinds', () => {
    assert.equal(recordKey('workflow_runs', run), 'r1');
    const incident: IncidentRecord = {
      tenant_id: 't1', id: 'i1', service: 'api', severity: 'low', title: null,
      opened_at_ms: 0, acknowledged_at_ms: null, resolved_at_ms: null,
    };
    assert.equal(recordKey('incidents', incident), 'i1');
  });

  it('is service NUL ts_ms for metrics', () => {
    const m: MetricSampleRecord = { tenant_id: 't1', service: 'api', ts_ms: 5, p95_latency_ms: 1, throughput_rps: 1, error_rate: 0 };
    assert.equal(recordKey('metrics', m), 'api\u00005');
  });
});

describe('recordsEqual', () => {
  it('is true for identical records and false when any field differs', () => {
    assert.equal(recordsEqual('workflow_runs', run, { ...run }), true);
    assert.equal(recordsEqual('workflow_runs', run, { ...run, status: 'succeeded' }), false);
    assert.equal(recordsEqual('workflow_runs', run, { ...run, workflow_name: 'x' }), false);
    assert.equal(recordsEqual('workflow_runs', run, { ...run, finished_at_ms: null }), false);
    assert.equal(recordsEqual('workflow_runs', run, { ...run, duration_ms: 1001 }), false);
    assert.equal(recordsEqual('workflow_runs', run, { ...run, tenant_id: 't2' }), false);
  });

  it('compares timestamps as instants, tolerating bigint and missing NULL columns from drivers', () => {
    const fromDb = { ...run, started_at_ms: BigInt(MARCH_1_NOON), finished_at_ms: BigInt(MARCH_1_NOON + 1000) } as unknown as WorkflowRunRecord;
    assert.equal(recordsEqual('workflow_runs', run, fromDb), true);
    const noName = { ...run } as Partial<WorkflowRunRecord>;
    delete noName.workflow_name;
    assert.equal(recordsEqual('workflow_runs', run, noName as WorkflowRunRecord), true);
  });

  it('treats 0 and -0 as equal', () => {
    const m: MetricSampleRecord = { tenant_id: 't1', service: 'api', ts_ms: 5, p95_latency_ms: 0, throughput_rps: 1, error_rate: 0 };
    assert.equal(recordsEqual('metrics', m, { ...m, error_rate: -0 }), true);
    assert.equal(recordsEqual('metrics', m, { ...m, error_rate: 0.1 }), false);
  });
});
