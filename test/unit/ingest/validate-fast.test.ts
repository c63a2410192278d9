/**
 * validateBatch takes a fast path for records that pass every check. This checks that the whole
 * result (records and their order, every detail, tenant ids, the foreign-tenant flag) equals that
 * of the validation before the fast path (reference/validate-before-fast-path.ts) on batches of
 * valid, invalid and duplicate records.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateBatch } from '../../../src/ingest/validate.ts';
import { UnparsableRecord } from '../../../src/ingest/parse-body.ts';
import type { IngestKind } from '../../../src/ingest/records.ts';
import { validateBatch as reference } from './reference/validate-before-fast-path.ts';

const ABSENT = Symbol('absent');
type Maybe = unknown;

const ids = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('r1', 'r2', 'r3', 'run-000123', 'svc-00', 'svc 01', 'x') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', ' a', 'é-id', 'tab\tid', 'nul\u0000', 'del\u007f', '\ud800', '😀', 'x'.repeat(256), 'x'.repeat(257), '😀'.repeat(200)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(null), fc.integer(), fc.constant({}), fc.constant([])) },
);
const tenants = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('t1', 't2', 'tenant_A-9') },
  { weight: 1, arbitrary: fc.constantFrom('bad tenant', '', 'x'.repeat(65), 'é', null, 5) },
);
const texts = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('deploy api pipeline', 'high latency spike on svc-03', 'ping alice@example.com', 'call +44 20 7946 0958', 'from 10.0.0.1') },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 7, 'nul\u0000x', 'lone \udc00', 'pair 😀', 'x'.repeat(1000), 'x'.repeat(1001), '😀'.repeat(600)) },
);
const timestamps = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('2026-03-01T12:00:00Z', '2026-03-01T12:00:00.5Z', '2026-03-01T14:00:00+02:00', '2026-03-01T13:00:00.123456+01:00', '2026-03-01T12:30:00Z', '2026-03-01T11:00:00Z') },
  { weight: 1, arbitrary: fc.constantFrom('2026-03-01T12:00:00', '2026-03-01', '2026-02-30T00:00:00Z', '1969-12-31T23:59:59Z', '2026-03-01T12:00Z', '2026-03-01t12:00:00,5z', 'soon', null, 1772366400000) },
);
const numbers = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.constantFrom(0, -0, 1, 0.5, 1200, 3.25), fc.double({ min: 0, max: 1, noNaN: true })) },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constantFrom(-1, 1.5, 2, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e308, '5', null, true, Infinity, NaN)) },
);
const field = <T>(arb: fc.Arbitrary<T>, absent = 1) => fc.oneof({ weight: absent, arbitrary: fc.constant(ABSENT) }, { weight: 6, arbitrary: arb as fc.Arbitrary<Maybe> });

const SHAPES: Record<IngestKind, Record<string, fc.Arbitrary<Maybe>>> = {
  workflow_runs: {
    id: field(ids), tenant_id: field(tenants, 3), workflow_id: field(ids), workflow_name: field(texts, 3), service: field(ids),
    status: field(fc.oneof(fc.constantFrom('running', 'succeeded', 'failed', 'cancelled'), fc.constantFrom('done', 'RUNNING', null, 1))),
    started_at: field(timestamps), finished_at: field(timestamps, 3), duration_ms: field(numbers, 4),
  },
  incidents: {
    id: field(ids), tenant_id: field(tenants, 3), service: field(ids), severity: field(fc.constantFrom('critical', 'high', 'medium', 'low', 'urgent', null)),
    title: field(texts, 3), opened_at: field(timestamps), acknowledged_at: field(timestamps, 4), resolved_at: field(timestamps, 4),
  },
  metrics: {
    tenant_id: field(tenants, 3), service: field(ids), ts: field(timestamps), p95_latency_ms: field(numbers), throughput_rps: field(numbers), error_rate: field(numbers),
  },
  predictions: {
    id: field(ids), tenant_id: field(tenants, 3), model: field(ids), model_version: field(ids, 3), workflow_run_id: field(ids, 3),
    predicted_at: field(timestamps), failure_probability: field(numbers), outcome: field(fc.constantFrom('failed', 'succeeded', 'passed', null), 3),
  },
};

function recordOf(kind: IngestKind): fc.Arbitrary<unknown> {
  const rec = fc.record(SHAPES[kind]).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== ABSENT)));
  const extra = fc.tuple(rec, fc.constantFrom('extra', 'constructor', 'tenantId', 'id'), fc.constantFrom(1, 'x', undefined)).map(([r, k, v]) => ({ ...r, [k]: v }));
  const viaJson = rec.map((r) => JSON.parse(JSON.stringify(r)));
  const proto = rec.map((r) => JSON.parse(`{"__proto__": {"service": "x"}, ${JSON.stringify(r).slice(1)}`.replace(', }', '}')));
  return fc.oneof(
    { weight: 12, arbitrary: rec },
    { weight: 4, arbitrary: viaJson },
    { weight: 1, arbitrary: extra },
    { weight: 1, arbitrary: proto },
    { weight: 1, arbitrary: fc.constantFrom(null, 5, 'x', [], new UnparsableRecord('invalid JSON: x')) },
  );
}

const auths = fc.constantFrom({ tenantId: null }, { tenantId: 't1' }, { tenantId: 't2' });

describe('validateBatch: the fast path changes nothing', () => {
  for (const kind of ['workflow_runs', 'incidents', 'metrics', 'predictions'] as const) {
    it(`${kind}: same result as before on random batches`, () => {
      fc.assert(
        fc.property(fc.array(recordOf(kind), { maxLength: 12 }), auths, (batch, auth) => {
          assert.deepStrictEqual(validateBatch(kind, batch, auth), reference(kind, batch, auth));
        }),
        { numRuns: 4000 },
      );
    });
  }

  it('valid batches with duplicates keep the order of last occurrences', () => {
    const run = (id: string, tenant: string, minute: number) => ({
      id, tenant_id: tenant, workflow_id: 'w', service: 's', status: 'succeeded',
      started_at: `2026-03-01T12:${String(minute).padStart(2, '0')}:00Z`, finished_at: '2026-03-01T12:59:00Z',
    });
    const batch = [run('a', 't1', 1), run('b', 't1', 2), run('a', 't2', 3), run('a', 't1', 4), run('c', 't1', 5), run('b', 't1', 6)];
    const result = validateBatch('workflow_runs', batch, { tenantId: null });
    assert.deepStrictEqual(result, reference('workflow_runs', batch, { tenantId: null }));
    assert.deepEqual(result.records.map((r) => `${r.tenant_id}/${r.id}`), ['t2/a', 't1/a', 't1/c', 't1/b']);
    const metric = (service: string, minute: number) => ({ tenant_id: 't1', service, ts: `2026-03-01T12:${String(minute).padStart(2, '0')}:00Z`, p95_latency_ms: minute, throughput_rps: 1, error_rate: 0 });
    const metrics = [metric('s', 1), metric('s', 2), metric('t', 1), metric('s', 1)];
    assert.deepStrictEqual(validateBatch('metrics', metrics, { tenantId: null }), reference('metrics', metrics, { tenantId: null }));
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [, run('a', 't1', 1), undefined, , run('b', 't1', 2)];
    assert.deepStrictEqual(validateBatch('workflow_runs', sparse, { tenantId: null }), reference('workflow_runs', sparse, { tenantId: null }));
  });
});
