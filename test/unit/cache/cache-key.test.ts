import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildCacheKey, normalizeScope } from '../../../src/cache/index.ts';

describe('buildCacheKey', () => {
  it('gives the same key whatever order the parameters were assembled in', () => {
    const a = buildCacheKey({ report: 'mttr', params: { from: '2024-01-01', to: '2024-02-01', group_by: 'service' } });
    const b = buildCacheKey({ params: { group_by: 'service', to: '2024-02-01', from: '2024-01-01' }, report: 'mttr' });
    assert.equal(a, b);
  });

  it('gives different keys for any different parameter value', () => {
    const base = { report: 'costs', tz: 'UTC', scope: ['t1'], generation: 'r.1.2' };
    const keys = new Set([
      buildCacheKey(base),
      buildCacheKey({ ...base, tz: 'Europe/Paris' }),
      buildCacheKey({ ...base, scope: ['t2'] }),
      buildCacheKey({ ...base, scope: ['t1', 't2'] }),
      buildCacheKey({ ...base, generation: 'r.1.3' }),
      buildCacheKey({ ...base, extra: null }),
      buildCacheKey({ ...base, extra: 0 }),
      buildCacheKey({ ...base, extra: -0 }),
      buildCacheKey({ ...base, extra: Number.NaN }),
      buildCacheKey({ ...base, extra: '0' }),
      buildCacheKey({ ...base, extra: 0n }),
      buildCacheKey({ ...base, extra: new Date(0) }),
      buildCacheKey({ ...base, extra: new Date(0).toISOString() }),
    ]);
    assert.equal(keys.size, 13);
  });

  it('treats an undefined parameter as absent', () => {
    assert.equal(buildCacheKey({ a: 1, b: undefined }), buildCacheKey({ a: 1 }));
  });

  it('keeps keys short however large the input', () => {
    const key = buildCacheKey({ tenants: Array.from({ length: 5000 }, (_, i) => `tenant-${i}`) });
    assert.match(key, /^v1:[0-9a-f]{64}$/);
  });

  it('rejects values it cannot encode faithfully', () => {
    assert.throws(() => buildCacheKey({ f: () => 1 }), TypeError);
    assert.throws(() => buildCacheKey({ m: new Map([['a', 1]]) }), TypeError);
    assert.throws(() => buildCacheKey({ s: Symbol('x') }), TypeError);
  });

  it('normalises tenant scopes to a sorted set', () => {
    assert.deepEqual(normalizeScope(['b', 'a', 'b']), ['a', 'b']);
    assert.equal(normalizeScope('all'), 'all');
  });
});
