/**
 * Issue 7: the one-step cache lookup (generation and entry together, one Redis round trip) and
 * the key base kept by callers: same protocol as getGeneration → get, on both caches.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { buildCacheKey, cacheKeyBase, createReportCache, entryKey, type ReportCache } from '../../../src/cache/index.ts';
import { type RedisServer, redisSkipReason, startRedisServer, waitFor } from '../../helpers/redis.ts';
import { createCountingSink, createSpyLogger } from './spy-logger.ts';

describe('cacheKeyBase', () => {
  it('depends on the scope and every part, not on their order, and never equals a v1 key', () => {
    const base = cacheKeyBase(['t1'], { report: 'overview', fromMs: 1, toMs: 2, tz: 'UTC', extra: {} });
    assert.equal(base, cacheKeyBase(['t1'], { extra: {}, tz: 'UTC', toMs: 2, fromMs: 1, report: 'overview' }));
    assert.equal(cacheKeyBase(['a', 'b'], {}), cacheKeyBase(['b', 'a', 'b'], {}));
    const others = [
      cacheKeyBase(['t2'], { report: 'overview', fromMs: 1, toMs: 2, tz: 'UTC', extra: {} }),
      cacheKeyBase('all', { report: 'overview', fromMs: 1, toMs: 2, tz: 'UTC', extra: {} }),
      cacheKeyBase(['t1'], { report: 'overview', fromMs: 1, toMs: 3, tz: 'UTC', extra: {} }),
      cacheKeyBase(['t1'], { report: 'overview', fromMs: 1, toMs: 2, tz: 'UTC', extra: { group_by: 'service' } }),
      cacheKeyBase(['t1'], { report: 'mttr', fromMs: 1, toMs: 2, tz: 'UTC', extra: {} }),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
    assert.match(base, /^v2:[0-9a-f]{64}$/);
    assert.notEqual(entryKey(base, 'm.0'), buildCacheKey({ scope: ['t1'], generation: 'm.0' }));
  });
});

function lookupSuite(name: string, make: () => Promise<{ cache: ReportCache; metrics: ReturnType<typeof createCountingSink> }>, skip?: string) {
  describe(name, { skip }, () => {
    it('finds the entry stored at the current generation, and only that one', async () => {
      const { cache, metrics } = await make();
      const base = cacheKeyBase(['t1'], { report: 'overview' });
      const first = await cache.lookup(['t1'], base);
      assert.notEqual(first.generation, null);
      assert.equal(first.value, null);
      assert.equal(first.generation, await cache.getGeneration(['t1']), 'the same generation getGeneration gives');
      await cache.set(entryKey(base, first.generation!), 'answer');
      assert.deepEqual(await cache.lookup(['t1'], base), { generation: first.generation, value: 'answer' });
      assert.deepEqual({ hit: metrics.hit, miss: metrics.miss }, { hit: 1, miss: 1 });

      // Another tenant's bump leaves it; its own bump makes it unreachable.
      await cache.bumpGeneration(['t2']);
      assert.equal((await cache.lookup(['t1'], base)).value, 'answer');
      await cache.bumpGeneration(['t1']);
      const after = await cache.lookup(['t1'], base);
      assert.notEqual(after.generation, first.generation);
      assert.equal(after.value, null);
      // The all-tenant scope changes with every bump.
      const allBase = cacheKeyBase('all', { report: 'overview' });
      const all = await cache.lookup('all', allBase);
      await cache.set(entryKey(allBase, all.generation!), 'everyone');
      assert.equal((await cache.lookup('all', allBase)).value, 'everyone');
      await cache.bumpGeneration(['t3']);
      assert.equal((await cache.lookup('all', allBase)).value, null);
      // Multi-tenant scopes: any member's bump invalidates.
      const pairBase = cacheKeyBase(['t1', 't2'], {});
      const pair = await cache.lookup(['t2', 't1'], pairBase);
      await cache.set(entryKey(pairBase, pair.generation!), 'pair');
      assert.equal((await cache.lookup(['t1', 't2'], pairBase)).value, 'pair');
      await cache.bumpGeneration(['t2']);
      assert.equal((await cache.lookup(['t1', 't2'], pairBase)).value, null);
      await cache.close();
    });

    it('getOrCompute with a kept key base never serves an answer computed before a bump', async () => {
      const { cache } = await make();
      const parts = { report: 'overview', tz: 'UTC' };
      const keyBase = cacheKeyBase(['t1'], parts);
      let n = 0;
      const computation = { scope: ['t1'], parts, keyBase, compute: async () => `answer ${++n}` };
      assert.deepEqual(await cache.getOrCompute(computation), { value: 'answer 1', cache: 'miss' });
      assert.deepEqual(await cache.getOrCompute(computation), { value: 'answer 1', cache: 'hit' });
      await cache.bumpGeneration(['t1']);
      // Computed while an ingest commits: stored under the old generation, never served.
      const racing = { ...computation, compute: async () => (await cache.bumpGeneration(['t1']), `answer ${++n}`) };
      assert.deepEqual(await cache.getOrCompute(racing), { value: 'answer 2', cache: 'miss' });
      assert.deepEqual(await cache.getOrCompute(computation), { value: 'answer 3', cache: 'miss' });
      // Without keyBase the same key base is derived from scope and parts.
      assert.deepEqual(await cache.getOrCompute({ scope: ['t1'], parts, compute: async () => 'other' }), { value: 'answer 3', cache: 'hit' });
      await cache.close();
    });

    it('bypasses after close: no generation, a miss, nothing stored', async () => {
      const { cache, metrics } = await make();
      await cache.close();
      assert.deepEqual(await cache.lookup(['t1'], cacheKeyBase(['t1'], {})), { generation: null, value: null });
      assert.equal(metrics.miss, 1);
    });
  });
}

lookupSuite('lookup on the memory cache', async () => {
  const metrics = createCountingSink();
  const cache = createReportCache({
    config: { redisUrl: undefined, redisKeyPrefix: 'atom:', cacheMaxEntries: 100, cacheTtlSeconds: 300 },
    logger: createSpyLogger(),
    metrics,
  });
  return { cache, metrics };
});

let server: RedisServer | undefined;
const redisSkip = redisSkipReason();
before(async () => {
  if (!redisSkip) server = await startRedisServer();
});
after(async () => server?.close());

lookupSuite(
  'lookup on the Redis cache',
  async () => {
    const metrics = createCountingSink();
    const cache = createReportCache({
      config: { redisUrl: server!.url, redisKeyPrefix: `test-${randomUUID()}:`, cacheMaxEntries: 100, cacheTtlSeconds: 300 },
      logger: createSpyLogger(),
      metrics,
    });
    await waitFor(() => cache.status() === 'redis-ok', 'the cache to reach redis');
    return { cache, metrics };
  },
  redisSkip,
);

describe('lookup when Redis is unavailable', { skip: redisSkip }, () => {
  it('answers no generation and a miss, and never throws', async () => {
    const own = await startRedisServer();
    const metrics = createCountingSink();
    const cache = createReportCache({
      config: { redisUrl: own.url, redisKeyPrefix: `test-${randomUUID()}:`, cacheMaxEntries: 100, cacheTtlSeconds: 300 },
      logger: createSpyLogger(),
      metrics,
    });
    try {
      await waitFor(() => cache.status() === 'redis-ok', 'the cache to reach redis');
      await own.close();
      const base = cacheKeyBase(['t1'], {});
      const deadline = Date.now() + 10_000;
      let result = await cache.lookup(['t1'], base);
      while (result.generation !== null && Date.now() < deadline) result = await cache.lookup(['t1'], base);
      assert.deepEqual(result, { generation: null, value: null });
      assert.equal(metrics.hit, 0);
    } finally {
      await cache.close();
    }
  });
});
