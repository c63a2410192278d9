import type { Config } from '../config.ts';
import { createMemoryReportCache } from './memory-cache.ts';
import { createRedisReportCache } from './redis-cache.ts';
import type { CacheMetricsSink, Logger, ReportCache } from './types.ts';

export { buildCacheKey, cacheKeyBase, entryKey, normalizeScope } from './cache-key.ts';
export type {
  CacheMetricsSink,
  CacheLookup,
  CacheResult,
  CacheStatus,
  CachedAnswer,
  CachedComputation,
  Logger,
  ReportCache,
  TenantScope,
} from './types.ts';

export interface ReportCacheDeps {
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'cacheMaxEntries' | 'cacheTtlSeconds'>;
  logger: Logger;
  metrics?: CacheMetricsSink;
}

/**
 * Creates the report cache: shared Redis when `config.redisUrl` is set, otherwise an
 * in-process LRU of `config.cacheMaxEntries` entries (0 disables it). The Redis
 * connection is opened in the background; until it is up the cache is bypassed,
 * so startup never waits on Redis (`cacheMaxEntries` bounds only the in-process
 * LRU; Redis's own maxmemory bounds the shared one). Call `close()` on shutdown.
 */
export function createReportCache({ config, logger, metrics }: ReportCacheDeps): ReportCache {
  if (config.redisUrl) {
    return createRedisReportCache({
      url: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      defaultTtlSeconds: config.cacheTtlSeconds,
      logger,
      metrics,
    });
  }
  return createMemoryReportCache({
    maxEntries: config.cacheMaxEntries,
    defaultTtlSeconds: config.cacheTtlSeconds,
    metrics,
  });
}
