import { LRUCache } from 'lru-cache';

import { entryKey, normalizeScope } from './cache-key.ts';
import { getOrCompute } from './get-or-compute.ts';
import type { CacheMetricsSink, ReportCache, TenantScope } from './types.ts';

export interface MemoryCacheOptions {
  /** 0 disables caching: every lookup is a miss and `getGeneration` returns null. */
  maxEntries: number;
  defaultTtlSeconds: number;
  metrics?: CacheMetricsSink;
}

/**
 * In-process LRU report cache. Generations live in this process only, so this mode
 * is correct for a single node; several nodes must share Redis, or one node would
 * keep serving answers another node's ingest has made stale.
 */
export function createMemoryReportCache(options: MemoryCacheOptions): ReportCache {
  const { maxEntries, defaultTtlSeconds, metrics } = options;
  const enabled = maxEntries > 0;
  // lru-cache refuses max: 0, and a disabled cache needs no store at all.
  const entries = enabled ? new LRUCache<string, string>({ max: maxEntries }) : undefined;
  // One counter per tenant id, plus the all-tenant one; tenant ids are a bounded set.
  const generations = new Map<string, number>();
  let allGeneration = 0;
  let closed = false;

  function generationOf(scope: TenantScope): string | null {
    if (!enabled || closed) return null;
    if (scope === 'all') return `m.${allGeneration}`;
    // The common single-tenant scope without building arrays.
    if (scope.length === 1) return `m.${generations.get(scope[0]!) ?? 0}`;
    const normalized = normalizeScope(scope) as readonly string[];
    return ['m', ...normalized.map((t) => generations.get(t) ?? 0)].join('.');
  }

  function entryOf(key: string): string | null {
    const value = entries && !closed ? entries.get(key) : undefined;
    metrics?.recordCacheResult(value === undefined ? 'miss' : 'hit');
    return value ?? null;
  }

  const cache: ReportCache = {
    async getGeneration(scope: TenantScope) {
      return generationOf(scope);
    },

    async bumpGeneration(tenantIds: readonly string[]) {
      if (tenantIds.length === 0) return;
      for (const t of new Set(tenantIds)) generations.set(t, (generations.get(t) ?? 0) + 1);
      allGeneration += 1;
    },

    async get(key: string) {
      return entryOf(key);
    },

    async lookup(scope: TenantScope, keyBase: string) {
      const generation = generationOf(scope);
      if (generation === null) {
        metrics?.recordCacheResult('miss');
        return { generation, value: null };
      }
      return { generation, value: entryOf(entryKey(keyBase, generation)) };
    },

    async set(key: string, value: string, ttlSeconds = defaultTtlSeconds) {
      if (!entries || closed) return;
      entries.set(key, value, { ttl: ttlSeconds * 1000 });
    },

    getOrCompute: (computation) => getOrCompute(cache, computation),

    status: () => 'memory',

    async close() {
      closed = true;
      entries?.clear();
    },
  };
  return cache;
}
