/**
 * Shared types of the report cache. Kept free of ioredis / lru-cache so callers
 * (http, cli, reports) can depend on the contract without the implementations.
 */

/**
 * The subset of a pino logger the cache needs; a pino `Logger` satisfies it, and
 * tests can pass a small spy.
 */
export interface Logger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Where counts of cache lookups go; `AppMetrics` from src/observability satisfies it. */
export interface CacheMetricsSink {
  recordCacheResult(result: CacheResult): void;
}

export type CacheResult = 'hit' | 'miss';

/**
 * Which tenants' data an answer depends on: a list of tenant ids, or `'all'` for
 * the admin all-tenant scope (which also changes when tenants are added).
 */
export type TenantScope = readonly string[] | 'all';

/** `memory`: in-process LRU; `redis-ok`: shared Redis in use; `redis-down`: Redis configured but bypassed. */
export type CacheStatus = 'memory' | 'redis-ok' | 'redis-down';

/** One cached computation, see {@link ReportCache.getOrCompute}. */
export interface CachedComputation {
  /** Tenants whose data the answer is computed from. */
  scope: TenantScope;
  /**
   * Everything else the answer depends on: report type, every query parameter
   * (period, tz, group_by, format…), and the caller's identity if it changes the answer.
   */
  parts: Record<string, unknown>;
  /** Computes the answer from the database; only called on a miss. */
  compute: () => Promise<string>;
  /** Defaults to `config.cacheTtlSeconds`. */
  ttlSeconds?: number;
  /**
   * `cacheKeyBase(scope, parts)` when the caller already has it (it depends on nothing else,
   * so it may be kept across requests); computed from `scope` and `parts` when absent.
   */
  keyBase?: string;
}

/** What {@link ReportCache.lookup} found. */
export interface CacheLookup {
  /** As from `getGeneration`: null when the cache is not to be used for this request. */
  generation: string | null;
  /** The entry stored under `entryKey(keyBase, generation)`, or null (always null without a generation). */
  value: string | null;
}

export interface CachedAnswer {
  value: string;
  /** For the `X-Cache` header. */
  cache: CacheResult;
}

/**
 * Report cache keyed by tenant data generations.
 *
 * Protocol that keeps answers fresh (the contract: an answer never misses
 * acknowledged data): readers call `getGeneration` BEFORE querying the database
 * and put the generation into the key; writers call `bumpGeneration` AFTER their
 * transaction commits and BEFORE acknowledging. A reader racing a writer then
 * stores its answer under the old generation, which no later reader looks up.
 * `getOrCompute` implements the reader side.
 */
export interface ReportCache {
  /**
   * Opaque token of the current data generation of `scope`, to be part of the cache key.
   * `null` means "do not use the cache for this request" (cache disabled, or Redis
   * unavailable so the generation cannot be trusted).
   */
  getGeneration(scope: TenantScope): Promise<string | null>;
  /** Marks the tenants' data as changed (and the all-tenant scope with them). Never throws. */
  bumpGeneration(tenantIds: readonly string[]): Promise<void>;
  /** Cached value or `null` on a miss (including when the cache is unavailable). Never throws. */
  get(key: string): Promise<string | null>;
  /** Stores a value; silently does nothing when the cache is unavailable. Never throws. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /**
   * `getGeneration(scope)` then `get(entryKey(keyBase, generation))` in one step: one Redis round
   * trip instead of two. Counts one hit or miss (a miss when there is no generation).
   */
  lookup(scope: TenantScope, keyBase: string): Promise<CacheLookup>;
  /** Reader side of the protocol: generation and entry (`lookup`) → compute → set. */
  getOrCompute(computation: CachedComputation): Promise<CachedAnswer>;
  /** For /readyz: `redis-down` means degraded (answers still served, uncached). */
  status(): CacheStatus;
  /** Releases the Redis connection / memory. Operations afterwards bypass the cache. */
  close(): Promise<void>;
}
