import { LRUCache } from 'lru-cache';

import { normalizeScope } from './cache-key.ts';
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

  const cache: ReportCache = {
    async getGeneration(scope: TenantScope) {
      if (!enabled || closed) return null;
      const normalized = normalizeScope(scope);
      if (normalized === 'all') return `m.${allGeneration}`;
      return ['m', ...normalized.map((t) => generations.get(t) ?? 0)].join('.');
    },

    async bumpGeneration(tenantIds: readonly string[]) {
      if (tenantIds.length === 0) return;
      for (const t of new Set(tenantIds)) generations.set(t, (generations.get(t) ?? 0) + 1);
      allGeneration += 1;
    },

    async get(key: string) {
      const value = entries && !closed ? entries.get(key) : undefined;
      metrics?.recordCacheResult(value === undefined ? 'miss' : 'hit');
      return value ?? null;
    },

    async set(key: string, value: string, ttlSeconds = defaultTtlSeconds) {
      if (!entries || closed) return;
      entries.set(key, value, { ttl: ttlSeconds * 1000 });
    },

    getOrCompute: (computation) => getOrCompute(cache, metrics, computation),

    status: () => 'memory',

    async close() {
      closed = true;
      entries?.clear();
    },
  };
  return cache;
}
