import { buildCacheKey, normalizeScope } from './cache-key.ts';
import type { CacheMetricsSink, CachedAnswer, CachedComputation, ReportCache } from './types.ts';

type CachePrimitives = Pick<ReportCache, 'getGeneration' | 'get' | 'set'>;

/**
 * The reader side of the generation protocol, shared by the memory and Redis caches.
 * The generation is read before `compute` runs: if data is ingested meanwhile, the
 * answer is stored under the old generation and never served again.
 */
export async function getOrCompute(
  cache: CachePrimitives,
  metrics: CacheMetricsSink | undefined,
  computation: CachedComputation,
): Promise<CachedAnswer> {
  const generation = await cache.getGeneration(computation.scope);
  if (generation === null) {
    // Bypassed (disabled or Redis down): still a miss from the client's point of view.
    metrics?.recordCacheResult('miss');
    return { value: await computation.compute(), cache: 'miss' };
  }
  const key = buildCacheKey({ scope: normalizeScope(computation.scope), generation, parts: computation.parts });
  const cached = await cache.get(key);
  if (cached !== null) return { value: cached, cache: 'hit' };
  const value = await computation.compute();
  await cache.set(key, value, computation.ttlSeconds);
  return { value, cache: 'miss' };
}
