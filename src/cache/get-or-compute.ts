import { cacheKeyBase, entryKey } from './cache-key.ts';
import type { CachedAnswer, CachedComputation, ReportCache } from './types.ts';

type CachePrimitives = Pick<ReportCache, 'lookup' | 'set'>;

/**
 * The reader side of the generation protocol, shared by the memory and Redis caches.
 * The generation is read (in the same step as the entry) before `compute` runs: if data is
 * ingested meanwhile, the answer is stored under the old generation and never served again.
 * `lookup` counts the hit or miss.
 */
export async function getOrCompute(cache: CachePrimitives, computation: CachedComputation): Promise<CachedAnswer> {
  const keyBase = computation.keyBase ?? cacheKeyBase(computation.scope, computation.parts);
  const { generation, value } = await cache.lookup(computation.scope, keyBase);
  if (value !== null) return { value, cache: 'hit' };
  const computed = await computation.compute();
  // No generation: bypassed (disabled or Redis down), still a miss from the client's point of view.
  if (generation !== null) await cache.set(entryKey(keyBase, generation), computed, computation.ttlSeconds);
  return { value: computed, cache: 'miss' };
}
