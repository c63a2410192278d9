import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import pino from 'pino';

import { buildCacheKey, createReportCache, type Logger } from '../../../src/cache/index.ts';
import { createCountingSink, createSpyLogger } from './spy-logger.ts';

function memoryConfig(cacheMaxEntries: number) {
  return { redisUrl: undefined, redisKeyPrefix: 'atom:', cacheMaxEntries, cacheTtlSeconds: 300 };
}

describe('memory report cache', () => {
  it('accepts a pino logger as its Logger', () => {
    const logger: Logger = pino({ level: 'silent' });
    const cache = createReportCache({ config: memoryConfig(10), logger });
    assert.equal(cache.status(), 'memory');
  });

  it('misses, then hits after set, and counts both', async () => {
    const metrics = createCountingSink();
    const cache = createReportCache({ config: memoryConfig(10), logger: createSpyLogger(), metrics });
    const generation = await cache.getGeneration(['t1']);
    assert.notEqual(generation, null);
    const key = buildCacheKey({ report: 'overview', scope: ['t1'], generation });
    assert.equal(await cache.get(key), null);
    await cache.set(key, '{"rows":[]}', 60);
    assert.equal(await cache.get(key), '{"rows":[]}');
    assert.deepEqual({ hit: metrics.hit, miss: metrics.miss }, { hit: 1, miss: 1 });
  });

  it('keeps at most cacheMaxEntries entries, evicting the least recently used', async () => {
    const cache = createReportCache({ config: memoryConfig(2), logger: createSpyLogger() });
    await cache.set('a', 'A');
    await cache.set('b', 'B');
    assert.equal(await cache.get('a'), 'A'); // a is now more recent than b
    await cache.set('c', 'C');
    assert.equal(await cache.get('b'), null);
    assert.equal(await cache.get('a'), 'A');
    assert.equal(await cache.get('c'), 'C');
  });

  it('makes entries of a tenant unreachable once its generation is bumped', async () => {
    const cache = createReportCache({ config: memoryConfig(10), logger: createSpyLogger() });
    const before = await cache.getGeneration(['t1']);
    const oldKey = buildCacheKey({ scope: ['t1'], generation: before });
    await cache.set(oldKey, 'old answer');

    await cache.bumpGeneration(['t1']);
    const after = await cache.getGeneration(['t1']);
    assert.notEqual(after, before);
    assert.equal(await cache.get(buildCacheKey({ scope: ['t1'], generation: after })), null);
  });

  it('changes the all-tenant generation on every bump but leaves other tenants alone', async () => {
    const cache = createReportCache({ config: memoryConfig(10), logger: createSpyLogger() });
    const all = await cache.getGeneration('all');
    const t2 = await cache.getGeneration(['t2']);
    await cache.bumpGeneration(['t1']);
    assert.notEqual(await cache.getGeneration('all'), all);
    assert.equal(await cache.getGeneration(['t2']), t2);
    assert.notEqual(await cache.getGeneration(['t1', 't2']), await cache.getGeneration(['t2']));
  });

  it('getOrCompute serves a hit until the data changes, then recomputes', async () => {
    const cache = createReportCache({ config: memoryConfig(10), logger: createSpyLogger() });
    let computed = 0;
    const request = { scope: ['t1'], parts: { report: 'mttr', tz: 'UTC' }, compute: async () => `answer ${++computed}` };
    assert.deepEqual(await cache.getOrCompute(request), { value: 'answer 1', cache: 'miss' });
    assert.deepEqual(await cache.getOrCompute(request), { value: 'answer 1', cache: 'hit' });
    assert.deepEqual(await cache.getOrCompute({ ...request, parts: { report: 'mttr', tz: 'Europe/Paris' } }), {
      value: 'answer 2',
      cache: 'miss',
    });
    await cache.bumpGeneration(['t1']);
    assert.deepEqual(await cache.getOrCompute(request), { value: 'answer 3', cache: 'miss' });
  });

  it('does not cache an answer computed while the data changed underneath', async () => {
    const cache = createReportCache({ config: memoryConfig(10), logger: createSpyLogger() });
    const request = {
      scope: ['t1'],
      parts: { report: 'overview' },
      compute: async () => {
        // An ingest commits and bumps while this (old) answer is being computed.
        await cache.bumpGeneration(['t1']);
        return 'computed before the ingest';
      },
    };
    await cache.getOrCompute(request);
    const next = await cache.getOrCompute({ ...request, compute: async () => 'fresh' });
    assert.deepEqual(next, { value: 'fresh', cache: 'miss' });
  });

  it('is disabled with cacheMaxEntries 0: no generation, every lookup a miss', async () => {
    const metrics = createCountingSink();
    const cache = createReportCache({ config: memoryConfig(0), logger: createSpyLogger(), metrics });
    assert.equal(await cache.getGeneration(['t1']), null);
    await cache.set('k', 'v');
    assert.equal(await cache.get('k'), null);
    let computed = 0;
    const request = { scope: 'all' as const, parts: {}, compute: async () => String(++computed) };
    await cache.getOrCompute(request);
    assert.deepEqual(await cache.getOrCompute(request), { value: '2', cache: 'miss' });
    assert.equal(metrics.hit, 0);
  });
});
