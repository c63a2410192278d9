import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorDetail } from '../../../src/domain/errors.ts';
import { parseIngestBody } from '../../../src/ingest/parse-body.ts';
import type { IngestKind } from '../../../src/ingest/records.ts';
import { INGEST_LIMITS, validateBatch } from '../../../src/ingest/validate.ts';
import type { IngestAuth } from '../../../src/ingest/validate.ts';

const ADMIN: IngestAuth = { tenantId: null };
const T1: IngestAuth = { tenantId: 't1' };
const NOON = Date.UTC(2026, 2, 1, 12, 0, 0);
const TS_EXAMPLE = 'e.g. 2026-03-01T12:00:00Z or 2026-03-01T14:00:00+02:00';

type Raw = Record<string, unknown>;

const RUN: Raw = {
  id: 'r1',
  tenant_id: 't1',
  workflow_id: 'wf',
  workflow_name: 'Nightly build',
  service: 'api',
  status: 'succeeded',
  started_at: '2026-03-01T12:00:00Z',
  finished_at: '2026-03-01T12:00:01.5Z',
};
const INCIDENT: Raw = {
  id: 'i1',
  tenant_id: 't1',
  service: 'api',
  severity: 'critical',
  title: 'API down',
  opened_at: '2026-03-01T12:00:00Z',
};
const METRIC: Raw = {
  tenant_id: 't1',
  service: 'api',
  ts: '2026-03-01T12:00:00Z',
  p95_latency_ms: 250.5,
  throughput_rps: 12,
  error_rate: 0.01,
};
const PREDICTION: Raw = {
  id: 'p1',
  tenant_id: 't1',
  model: 'gbm',
  predicted_at: '2026-03-01T12:00:00Z',
  failure_probability: 0.7,
};

const BASE: Record<IngestKind, Raw> = { workflow_runs: RUN, incidents: INCIDENT, metrics: METRIC, predictions: PREDICTION };

function errorsOf(kind: IngestKind, records: unknown[], auth: IngestAuth = ADMIN): ErrorDetail[] {
  return validateBatch(kind, records, auth).errors;
}

/** Errors of one record = base of the kind with `patch` applied (`undefined` deletes a field). */
function errorsFor(kind: IngestKind, patch: Raw, auth: IngestAuth = ADMIN): ErrorDetail[] {
  const rec: Raw = { ...BASE[kind] };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete rec[k];
    else rec[k] = v;
  }
  return errorsOf(kind, [rec], auth);
}

function one(field: string, message: string, index = 0): ErrorDetail[] {
  return [{ index, field, message }];
}

describe('validateBatch: valid records are normalized', () => {
  it('workflow run: timestamps to ms, duration defaulted, name redacted', () => {
    const result = validateBatch('workflow_runs', [{ ...RUN, workflow_name: 'deploy by alice@example.com' }], ADMIN);
    assert.deepEqual(result, {
      records: [
        {
          tenant_id: 't1',
          id: 'r1',
          workflow_id: 'wf',
          workflow_name: 'deploy by [redacted]',
          service: 'api',
          status: 'succeeded',
          started_at_ms: NOON,
          finished_at_ms: NOON + 1500,
          duration_ms: 1500,
        },
      ],
      errors: [],
      tenantIds: ['t1'],
      foreignTenant: false,
    });
  });

  it('workflow run: explicit duration_ms wins; running without finish has null finish and duration', () => {
    const [withDuration] = validateBatch('workflow_runs', [{ ...RUN, duration_ms: 1200 }], ADMIN).records;
    assert.equal(withDuration.duration_ms, 1200);
    const [running] = validateBatch('workflow_runs', [{ ...RUN, status: 'running', finished_at: undefined, workflow_name: null }], ADMIN).records;
    assert.equal(running.finished_at_ms, null);
    assert.equal(running.duration_ms, null);
    assert.equal(running.workflow_name, null);
    const [runningWithDuration] = validateBatch('workflow_runs', [{ ...RUN, status: 'running', finished_at: null, duration_ms: 40 }], ADMIN).records;
    assert.equal(runningWithDuration.duration_ms, 40);
  });

  it('workflow run: a running run with a finished_at is accepted and its duration defaulted', () => {
    const [rec] = validateBatch('workflow_runs', [{ ...RUN, status: 'running' }], ADMIN).records;
    assert.equal(rec.finished_at_ms, NOON + 1500);
    assert.equal(rec.duration_ms, 1500);
  });

  it('workflow run: finished_at equal to started_at gives duration 0', () => {
    const [rec] = validateBatch('workflow_runs', [{ ...RUN, finished_at: '2026-03-01T13:00:00+01:00' }], ADMIN).records;
    assert.equal(rec.duration_ms, 0);
  });

  it('incident: optional fields null, offsets converted, title redacted', () => {
    const result = validateBatch(
      'incidents',
      [{ ...INCIDENT, title: 'db 10.0.0.5 unreachable', acknowledged_at: '2026-03-01T13:05:00+01:00', resolved_at: null }],
      ADMIN,
    );
    assert.deepEqual(result.records, [
      {
        tenant_id: 't1',
        id: 'i1',
        service: 'api',
        severity: 'critical',
        title: 'db [redacted] unreachable',
        opened_at_ms: NOON,
        acknowledged_at_ms: NOON + 5 * 60_000,
        resolved_at_ms: null,
      },
    ]);
  });

  it('metric sample', () => {
    assert.deepEqual(validateBatch('metrics', [METRIC], ADMIN).records, [
      { tenant_id: 't1', service: 'api', ts_ms: NOON, p95_latency_ms: 250.5, throughput_rps: 12, error_rate: 0.01 },
    ]);
  });

  it('metric sample: bounds are inclusive and -0 becomes 0', () => {
    const [rec] = validateBatch('metrics', [{ ...METRIC, p95_latency_ms: 0, throughput_rps: -0, error_rate: 1 }], ADMIN).records;
    assert.equal(rec.error_rate, 1);
    assert.ok(Object.is(rec.throughput_rps, 0));
  });

  it('prediction', () => {
    assert.deepEqual(validateBatch('predictions', [{ ...PREDICTION, model_version: 'v3', workflow_run_id: 'r1', outcome: 'failed' }], ADMIN).records, [
      {
        tenant_id: 't1',
        id: 'p1',
        model: 'gbm',
        model_version: 'v3',
        workflow_run_id: 'r1',
        predicted_at_ms: NOON,
        failure_probability: 0.7,
        outcome: 'failed',
      },
    ]);
    const [bare] = validateBatch('predictions', [{ ...PREDICTION, failure_probability: 0 }], ADMIN).records;
    assert.deepEqual([bare.model_version, bare.workflow_run_id, bare.outcome, bare.failure_probability], [null, null, null, 0]);
  });

  it('an empty batch is valid', () => {
    assert.deepEqual(validateBatch('metrics', [], T1), { records: [], errors: [], tenantIds: [], foreignTenant: false });
  });
});

describe('validateBatch: record shape', () => {
  it('non-object records are one detail each with field ""', () => {
    assert.deepEqual(errorsOf('metrics', [null, 42, 'x', [METRIC], true, METRIC]), [
      { index: 0, field: '', message: 'record must be a JSON object, got null' },
      { index: 1, field: '', message: 'record must be a JSON object, got a number' },
      { index: 2, field: '', message: 'record must be a JSON object, got a string' },
      { index: 3, field: '', message: 'record must be a JSON object, got an array' },
      { index: 4, field: '', message: 'record must be a JSON object, got a boolean' },
    ]);
  });

  it('every unknown field is one detail', () => {
    assert.deepEqual(errorsFor('metrics', { p99: 1, ts_ms: 5 }), [
      { index: 0, field: 'p99', message: 'unknown field "p99"; metrics accepts tenant_id, service, ts, p95_latency_ms, throughput_rps, error_rate' },
      { index: 0, field: 'ts_ms', message: 'unknown field "ts_ms"; metrics accepts tenant_id, service, ts, p95_latency_ms, throughput_rps, error_rate' },
    ]);
  });

  it('prototype keys are unknown fields, never read through the prototype', () => {
    const rec = JSON.parse('{"__proto__": {"service": "x"}, "constructor": 1}') as Raw;
    const errors = errorsOf('metrics', [{ ...METRIC, ...rec }]);
    assert.deepEqual(errors.map((e) => e.field), ['__proto__', 'constructor']);
    // A record that lacks `service` does not pick one up from Object.prototype either.
    assert.deepEqual(errorsFor('metrics', { service: undefined }), one('service', 'service is required'));
  });

  it('reports every bad field of every bad record, in index then contract order', () => {
    const errors = errorsOf('workflow_runs', [
      RUN,
      { id: 5, status: 'done', extra: true, started_at: 'now', duration_ms: -1 },
      RUN,
      { ...RUN, service: '' },
    ]);
    assert.deepEqual(errors, [
      { index: 1, field: 'extra', message: 'unknown field "extra"; workflow_runs accepts id, tenant_id, workflow_id, workflow_name, service, status, started_at, finished_at, duration_ms' },
      { index: 1, field: 'id', message: 'id must be a string, got a number' },
      { index: 1, field: 'tenant_id', message: 'tenant_id is required with an admin key' },
      { index: 1, field: 'workflow_id', message: 'workflow_id is required' },
      { index: 1, field: 'service', message: 'service is required' },
      { index: 1, field: 'status', message: 'status must be one of running, succeeded, failed, cancelled; got "done"' },
      { index: 1, field: 'started_at', message: `started_at must be an ISO 8601 date-time with an explicit offset (${TS_EXAMPLE}); got "now"` },
      { index: 1, field: 'duration_ms', message: 'duration_ms must be >= 0, got -1' },
      { index: 3, field: 'service', message: 'service must not be empty' },
    ]);
  });
});

describe('validateBatch: required fields', () => {
  const required: Record<IngestKind, string[]> = {
    workflow_runs: ['id', 'workflow_id', 'service', 'status', 'started_at'],
    incidents: ['id', 'service', 'severity', 'opened_at'],
    metrics: ['service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate'],
    predictions: ['id', 'model', 'predicted_at', 'failure_probability'],
  };
  for (const [kind, fields] of Object.entries(required) as [IngestKind, string[]][]) {
    for (const field of fields) {
      it(`${kind}.${field} absent or null`, () => {
        assert.deepEqual(errorsFor(kind, { [field]: undefined }), one(field, `${field} is required`));
        assert.deepEqual(errorsFor(kind, { [field]: null }), one(field, `${field} is required`));
      });
    }
  }

  it('workflow_runs.finished_at is required unless running', () => {
    for (const status of ['succeeded', 'failed', 'cancelled']) {
      assert.deepEqual(
        errorsFor('workflow_runs', { status, finished_at: undefined }),
        one('finished_at', `finished_at is required unless status is running (status is "${status}")`),
      );
      assert.deepEqual(
        errorsFor('workflow_runs', { status, finished_at: null }),
        one('finished_at', `finished_at is required unless status is running (status is "${status}")`),
      );
    }
    assert.deepEqual(errorsFor('workflow_runs', { status: 'running', finished_at: undefined }), []);
  });

  it('an invalid status does not add a finished_at detail', () => {
    assert.deepEqual(
      errorsFor('workflow_runs', { status: 'Succeeded', finished_at: undefined }),
      one('status', 'status must be one of running, succeeded, failed, cancelled; got "Succeeded"'),
    );
  });
});

describe('validateBatch: identifiers and free text', () => {
  it('ids must be non-empty strings without control characters, at most 256 characters', () => {
    assert.deepEqual(errorsFor('incidents', { id: '' }), one('id', 'id must not be empty'));
    assert.deepEqual(errorsFor('incidents', { id: '   ' }), one('id', 'id must not be empty'));
    assert.deepEqual(errorsFor('incidents', { id: 12 }), one('id', 'id must be a string, got a number'));
    assert.deepEqual(errorsFor('incidents', { id: { a: 1 } }), one('id', 'id must be a string, got an object'));
    assert.deepEqual(errorsFor('incidents', { id: 'a\u0000b' }), one('id', 'id must not contain control characters'));
    assert.deepEqual(errorsFor('incidents', { service: 'api\n' }), one('service', 'service must not contain control characters'));
    assert.deepEqual(
      errorsFor('incidents', { id: 'x'.repeat(257) }),
      one('id', 'id must be at most 256 characters, got 257'),
    );
    assert.deepEqual(errorsFor('incidents', { id: 'x'.repeat(INGEST_LIMITS.idMaxLength) }), []);
    // Length is counted in characters (code points), not UTF-16 units.
    assert.deepEqual(errorsFor('incidents', { id: '😀'.repeat(256) }), []);
    assert.deepEqual(
      errorsFor('incidents', { id: 'a\ud800b' }),
      one('id', 'id must be valid Unicode text (it contains an unpaired surrogate)'),
    );
  });

  it('ids are kept verbatim (no trimming, case kept)', () => {
    const [rec] = validateBatch('incidents', [{ ...INCIDENT, id: ' INC-1 ' }], ADMIN).records;
    assert.equal(rec.id, ' INC-1 ');
  });

  it('optional ids accept null and are checked when present', () => {
    assert.deepEqual(errorsFor('predictions', { model_version: null, workflow_run_id: null }), []);
    assert.deepEqual(errorsFor('predictions', { model_version: 3 }), one('model_version', 'model_version must be a string, got a number'));
    assert.deepEqual(errorsFor('predictions', { workflow_run_id: '' }), one('workflow_run_id', 'workflow_run_id must not be empty'));
    assert.deepEqual(errorsFor('predictions', { model: 'm'.repeat(257) }), one('model', 'model must be at most 256 characters, got 257'));
  });

  it('free text: string or null, at most 1000 characters before redaction, no NUL', () => {
    assert.deepEqual(errorsFor('incidents', { title: 42 }), one('title', 'title must be a string, got a number'));
    assert.deepEqual(errorsFor('workflow_runs', { workflow_name: ['x'] }), one('workflow_name', 'workflow_name must be a string, got an array'));
    assert.deepEqual(errorsFor('incidents', { title: 't'.repeat(1001) }), one('title', 'title must be at most 1000 characters, got 1001'));
    assert.deepEqual(errorsFor('incidents', { title: 't'.repeat(1000) }), []);
    assert.deepEqual(errorsFor('incidents', { title: 'a\u0000b' }), one('title', 'title must not contain NUL characters'));
    assert.deepEqual(errorsFor('incidents', { title: '\ud83d' }), one('title', 'title must be valid Unicode text (it contains an unpaired surrogate)'));
    // Newlines and tabs are fine in free text.
    assert.deepEqual(errorsFor('incidents', { title: 'line 1\n\tline 2' }), []);
  });

  it('free text is redacted; empty text stays empty', () => {
    const [a, b] = validateBatch(
      'incidents',
      [
        { ...INCIDENT, title: 'call +44 20 7946 0958 or (555) 123-4567; peer 2001:db8::1; v1.2.3 took 1500 ms' },
        { ...INCIDENT, id: 'i2', title: '' },
      ],
      ADMIN,
    ).records;
    assert.equal(a.title, 'call [redacted] or [redacted]; peer [redacted]; v1.2.3 took 1500 ms');
    assert.equal(b.title, '');
  });
});

describe('validateBatch: enums', () => {
  it('status, severity, outcome are case-sensitive enums', () => {
    assert.deepEqual(errorsFor('workflow_runs', { status: 'done' }), one('status', 'status must be one of running, succeeded, failed, cancelled; got "done"'));
    assert.deepEqual(errorsFor('workflow_runs', { status: 1 }), one('status', 'status must be one of running, succeeded, failed, cancelled; got a number'));
    assert.deepEqual(errorsFor('incidents', { severity: 'CRITICAL' }), one('severity', 'severity must be one of critical, high, medium, low; got "CRITICAL"'));
    assert.deepEqual(errorsFor('incidents', { severity: '' }), one('severity', 'severity must be one of critical, high, medium, low; got ""'));
    assert.deepEqual(errorsFor('predictions', { outcome: 'cancelled' }), one('outcome', 'outcome must be one of failed, succeeded; got "cancelled"'));
    assert.deepEqual(errorsFor('predictions', { outcome: true }), one('outcome', 'outcome must be one of failed, succeeded; got a boolean'));
    assert.deepEqual(errorsFor('predictions', { outcome: null }), []);
    for (const severity of ['critical', 'high', 'medium', 'low']) assert.deepEqual(errorsFor('incidents', { severity }), []);
    for (const status of ['succeeded', 'failed', 'cancelled']) assert.deepEqual(errorsFor('workflow_runs', { status }), []);
  });
});

describe('validateBatch: timestamps', () => {
  it('no offset is rejected, never guessed', () => {
    assert.deepEqual(
      errorsFor('metrics', { ts: '2026-03-01T12:00:00' }),
      one('ts', `ts must carry an explicit UTC offset (Z or ±hh:mm), ${TS_EXAMPLE}; got "2026-03-01T12:00:00", which has none`),
    );
    assert.deepEqual(
      errorsFor('metrics', { ts: '2026-03-01 12:00:00.250' }),
      one('ts', `ts must carry an explicit UTC offset (Z or ±hh:mm), ${TS_EXAMPLE}; got "2026-03-01 12:00:00.250", which has none`),
    );
  });

  it('a date alone, a number or garbage is rejected', () => {
    assert.deepEqual(
      errorsFor('incidents', { opened_at: '2026-03-01' }),
      one('opened_at', `opened_at must be a date-time with an offset, not a date (${TS_EXAMPLE}); got "2026-03-01"`),
    );
    assert.deepEqual(
      errorsFor('incidents', { opened_at: NOON }),
      one('opened_at', `opened_at must be an ISO 8601 timestamp string (${TS_EXAMPLE}), got a number`),
    );
    assert.deepEqual(
      errorsFor('incidents', { opened_at: 'March 1st' }),
      one('opened_at', `opened_at must be an ISO 8601 date-time with an explicit offset (${TS_EXAMPLE}); got "March 1st"`),
    );
  });

  it('impossible dates and times are rejected', () => {
    assert.deepEqual(
      errorsFor('predictions', { predicted_at: '2026-02-30T00:00:00Z' }),
      one('predicted_at', 'predicted_at is not a valid date-time (no such date, time or offset): "2026-02-30T00:00:00Z"'),
    );
    assert.deepEqual(
      errorsFor('predictions', { predicted_at: '2026-03-01T25:00:00Z' }),
      one('predicted_at', 'predicted_at is not a valid date-time (no such date, time or offset): "2026-03-01T25:00:00Z"'),
    );
  });

  it('instants outside 1970..9999 are rejected', () => {
    const msg = (v: string) => `ts must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z; got "${v}"`;
    assert.deepEqual(errorsFor('metrics', { ts: '1969-12-31T23:59:59.999Z' }), one('ts', msg('1969-12-31T23:59:59.999Z')));
    assert.deepEqual(errorsFor('metrics', { ts: '9999-12-31T23:30:00-01:00' }), one('ts', msg('9999-12-31T23:30:00-01:00')));
    assert.deepEqual(errorsFor('metrics', { ts: '1970-01-01T00:00:00Z' }), []);
    assert.deepEqual(errorsFor('metrics', { ts: '9999-12-31T23:59:59.999Z' }), []);
  });

  it('long values are truncated in messages', () => {
    const [detail] = errorsFor('metrics', { ts: 'x'.repeat(500) });
    assert.equal(detail.message, `ts must be an ISO 8601 date-time with an explicit offset (${TS_EXAMPLE}); got "${'x'.repeat(77)}..."`);
  });

  it('finished_at must not be before started_at (compared as instants)', () => {
    assert.deepEqual(
      errorsFor('workflow_runs', { finished_at: '2026-03-01T11:59:59.999Z' }),
      one('finished_at', 'finished_at must not be before started_at'),
    );
    // 12:30+01:00 is 11:30Z: before started_at although its wall clock is later.
    assert.deepEqual(
      errorsFor('workflow_runs', { finished_at: '2026-03-01T12:30:00+01:00' }),
      one('finished_at', 'finished_at must not be before started_at'),
    );
  });

  it('acknowledged_at and resolved_at must not be before opened_at', () => {
    assert.deepEqual(errorsFor('incidents', { acknowledged_at: '2026-03-01T11:00:00Z', resolved_at: '2026-03-01T10:00:00Z' }), [
      { index: 0, field: 'acknowledged_at', message: 'acknowledged_at must not be before opened_at' },
      { index: 0, field: 'resolved_at', message: 'resolved_at must not be before opened_at' },
    ]);
    // Equal to opened_at is fine; resolved before acknowledged is not a contract rule.
    assert.deepEqual(errorsFor('incidents', { acknowledged_at: '2026-03-01T13:00:00Z', resolved_at: '2026-03-01T12:00:00Z' }), []);
  });

  it('an invalid finished_at is reported once (not also as missing)', () => {
    assert.deepEqual(
      errorsFor('workflow_runs', { status: 'failed', finished_at: '2026-03-01T12:00:00' }),
      one('finished_at', `finished_at must carry an explicit UTC offset (Z or ±hh:mm), ${TS_EXAMPLE}; got "2026-03-01T12:00:00", which has none`),
    );
  });

  it('a running run with finished_at before started_at is rejected too', () => {
    assert.deepEqual(
      errorsFor('workflow_runs', { status: 'running', finished_at: '2026-03-01T11:00:00Z' }),
      one('finished_at', 'finished_at must not be before started_at'),
    );
  });

  it('cross-field rules are skipped when a side is itself invalid', () => {
    assert.deepEqual(
      errorsFor('workflow_runs', { started_at: 'bad', finished_at: '2000-01-01T00:00:00Z' }),
      one('started_at', `started_at must be an ISO 8601 date-time with an explicit offset (${TS_EXAMPLE}); got "bad"`),
    );
  });
});

describe('validateBatch: numbers', () => {
  it('numbers sent as strings are rejected', () => {
    assert.deepEqual(
      errorsFor('metrics', { error_rate: '0.1' }),
      one('error_rate', 'error_rate must be a JSON number, not a string (got "0.1"); send it unquoted'),
    );
    assert.deepEqual(
      errorsFor('workflow_runs', { duration_ms: '1500' }),
      one('duration_ms', 'duration_ms must be a JSON number, not a string (got "1500"); send it unquoted'),
    );
    assert.deepEqual(errorsFor('predictions', { failure_probability: true }), one('failure_probability', 'failure_probability must be a number, got a boolean'));
  });

  it('non-finite numbers (JSON overflow) are rejected', () => {
    const [rec] = JSON.parse('[{"p95_latency_ms": 1e400}]') as Raw[];
    assert.deepEqual(errorsFor('metrics', rec), one('p95_latency_ms', 'p95_latency_ms must be a finite number'));
    assert.deepEqual(errorsFor('metrics', { throughput_rps: Number.NaN }), one('throughput_rps', 'throughput_rps must be a finite number'));
  });

  it('ranges: >= 0 quantities, 0..1 rates and probabilities', () => {
    assert.deepEqual(errorsFor('metrics', { p95_latency_ms: -0.1 }), one('p95_latency_ms', 'p95_latency_ms must be >= 0, got -0.1'));
    assert.deepEqual(errorsFor('metrics', { throughput_rps: -1 }), one('throughput_rps', 'throughput_rps must be >= 0, got -1'));
    assert.deepEqual(errorsFor('metrics', { error_rate: 1.0001 }), one('error_rate', 'error_rate must be between 0 and 1, got 1.0001'));
    assert.deepEqual(errorsFor('metrics', { error_rate: -0.5 }), one('error_rate', 'error_rate must be between 0 and 1, got -0.5'));
    assert.deepEqual(errorsFor('predictions', { failure_probability: 2 }), one('failure_probability', 'failure_probability must be between 0 and 1, got 2'));
    assert.deepEqual(errorsFor('predictions', { failure_probability: 1 }), []);
  });

  it('huge quantities are rejected', () => {
    assert.deepEqual(
      errorsFor('metrics', { p95_latency_ms: 1e300 }),
      one('p95_latency_ms', 'p95_latency_ms must be at most 9007199254740991, got 1e+300'),
    );
    assert.deepEqual(errorsFor('metrics', { throughput_rps: Number.MAX_SAFE_INTEGER }), []);
  });

  it('duration_ms is a whole number of milliseconds >= 0', () => {
    assert.deepEqual(errorsFor('workflow_runs', { duration_ms: 1.5 }), one('duration_ms', 'duration_ms must be a whole number of milliseconds, got 1.5'));
    assert.deepEqual(errorsFor('workflow_runs', { duration_ms: -1 }), one('duration_ms', 'duration_ms must be >= 0, got -1'));
    assert.deepEqual(errorsFor('workflow_runs', { duration_ms: 0 }), []);
    assert.deepEqual(errorsFor('workflow_runs', { duration_ms: null }), []);
  });
});

describe('validateBatch: tenants', () => {
  it('a tenant key fills in an omitted tenant_id', () => {
    const result = validateBatch('metrics', [{ ...METRIC, tenant_id: undefined }, { ...METRIC, tenant_id: null, ts: '2026-03-01T12:01:00Z' }], T1);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.records.map((r) => r.tenant_id), ['t1', 't1']);
    assert.deepEqual(result.tenantIds, ['t1']);
    assert.equal(result.foreignTenant, false);
  });

  it('a tenant key naming its own tenant is fine', () => {
    const result = validateBatch('metrics', [METRIC], T1);
    assert.deepEqual([result.errors, result.foreignTenant, result.tenantIds], [[], false, ['t1']]);
  });

  it('a tenant key naming another tenant sets foreignTenant, with no detail', () => {
    const result = validateBatch('metrics', [METRIC, { ...METRIC, tenant_id: 't2' }], T1);
    assert.equal(result.foreignTenant, true);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.tenantIds, ['t1', 't2']);
  });

  it('tenant ids are case-sensitive', () => {
    assert.equal(validateBatch('metrics', [{ ...METRIC, tenant_id: 'T1' }], T1).foreignTenant, true);
  });

  it('an admin record without tenant_id is a detail naming its index', () => {
    assert.deepEqual(errorsOf('metrics', [METRIC, { ...METRIC, tenant_id: undefined }, { ...METRIC, tenant_id: null }], ADMIN), [
      { index: 1, field: 'tenant_id', message: 'tenant_id is required with an admin key' },
      { index: 2, field: 'tenant_id', message: 'tenant_id is required with an admin key' },
    ]);
  });

  it('tenant_id must match ^[A-Za-z0-9_-]{1,64}$ (for admin and tenant keys alike)', () => {
    for (const auth of [ADMIN, T1]) {
      assert.deepEqual(errorsFor('metrics', { tenant_id: 'a b' }, auth), one('tenant_id', 'tenant_id must match ^[A-Za-z0-9_-]{1,64}$; got "a b"'));
      assert.deepEqual(errorsFor('metrics', { tenant_id: '' }, auth), one('tenant_id', 'tenant_id must match ^[A-Za-z0-9_-]{1,64}$; got ""'));
      assert.deepEqual(
        errorsFor('metrics', { tenant_id: 'x'.repeat(65) }, auth),
        one('tenant_id', `tenant_id must match ^[A-Za-z0-9_-]{1,64}$; got "${'x'.repeat(65)}"`),
      );
      assert.deepEqual(errorsFor('metrics', { tenant_id: 7 }, auth), one('tenant_id', 'tenant_id must be a string, got a number'));
    }
    assert.deepEqual(errorsFor('metrics', { tenant_id: `A-z_0${'9'.repeat(59)}` }), []);
  });

  it('tenantIds lists distinct tenants in order of first appearance, including records with other errors', () => {
    const result = validateBatch('metrics', [{ ...METRIC, tenant_id: 'b' }, { ...METRIC, tenant_id: 'a', error_rate: 9 }, { ...METRIC, tenant_id: 'b', ts: '2026-03-02T00:00:00Z' }], ADMIN);
    assert.deepEqual(result.tenantIds, ['b', 'a']);
    assert.equal(result.errors.length, 1);
  });
});

describe('validateBatch: duplicates within a batch', () => {
  it('the last occurrence of an id wins, in the order of last occurrences', () => {
    const result = validateBatch(
      'workflow_runs',
      [
        { ...RUN, id: 'a', status: 'running', finished_at: undefined },
        { ...RUN, id: 'b' },
        { ...RUN, id: 'a', status: 'failed' },
        { ...RUN, id: 'c' },
      ],
      ADMIN,
    );
    assert.deepEqual(result.records.map((r) => [r.id, r.status]), [
      ['b', 'succeeded'],
      ['a', 'failed'],
      ['c', 'succeeded'],
    ]);
  });

  it('the same id in two tenants is two records', () => {
    const result = validateBatch('incidents', [INCIDENT, { ...INCIDENT, tenant_id: 't2' }, { ...INCIDENT, title: 'later' }], ADMIN);
    assert.deepEqual(result.records.map((r) => [r.tenant_id, r.id, r.title]), [
      ['t2', 'i1', 'API down'],
      ['t1', 'i1', 'later'],
    ]);
  });

  it('metrics are keyed by (tenant, service, ts instant)', () => {
    const result = validateBatch(
      'metrics',
      [METRIC, { ...METRIC, ts: '2026-03-01T13:00:00+01:00', error_rate: 0.5 }, { ...METRIC, service: 'web' }],
      ADMIN,
    );
    assert.deepEqual(result.records.map((r) => [r.service, r.error_rate]), [
      ['api', 0.5],
      ['web', 0.01],
    ]);
  });

  it('an invalid earlier duplicate still rejects the batch', () => {
    const result = validateBatch('predictions', [{ ...PREDICTION, failure_probability: 3 }, PREDICTION], ADMIN);
    assert.deepEqual(result.errors, one('failure_probability', 'failure_probability must be between 0 and 1, got 3'));
  });
});

describe('validateBatch with parseIngestBody (NDJSON)', () => {
  it('indexes NDJSON records from 0, blank lines not counted; bad JSON comes from the parser only', () => {
    const lines = [
      JSON.stringify(METRIC),
      '',
      '{"service": "api",',
      JSON.stringify({ ...METRIC, error_rate: '0.2' }),
      '   ',
      '[]',
    ];
    const parsed = parseIngestBody(lines.join('\n'), 'application/x-ndjson');
    const result = validateBatch('metrics', parsed.records, T1);
    assert.deepEqual(
      parsed.errors.map((e) => [e.index, e.field]),
      [[1, '']],
    );
    assert.match(parsed.errors[0].message, /^invalid JSON: /);
    assert.deepEqual(result.errors, [
      { index: 2, field: 'error_rate', message: 'error_rate must be a JSON number, not a string (got "0.2"); send it unquoted' },
      { index: 3, field: '', message: 'record must be a JSON object, got an array' },
    ]);
    // The unparsable line yields no record, so the merged errors are what makes the batch fail.
    assert.deepEqual(result.records.map((r) => r.ts_ms), [NOON]);
  });

  it('an unparsable line alone leaves validateBatch without errors (callers merge parse errors)', () => {
    const parsed = parseIngestBody(`${JSON.stringify(METRIC)}
{oops
`, 'application/x-ndjson');
    const result = validateBatch('metrics', parsed.records, T1);
    assert.deepEqual(result.errors, []);
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0].index, 1);
  });
});
