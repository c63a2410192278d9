import { createHash } from 'node:crypto';

import { redisClient } from './ioredis.ts';

import { entryKey as entryKeyOf, normalizeScope } from './cache-key.ts';
import { getOrCompute } from './get-or-compute.ts';
import type { CacheMetricsSink, Logger, ReportCache, TenantScope } from './types.ts';

export interface RedisCacheOptions {
  url: string;
  /** Prepended to every key we touch, so several deployments can share one Redis. */
  keyPrefix: string;
  defaultTtlSeconds: number;
  logger: Logger;
  metrics?: CacheMetricsSink;
  /** Tunables with production defaults; tests shorten them. */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  maxReconnectDelayMs?: number;
}

interface LuaScript {
  source: string;
  sha: string;
}

function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// A counter that is missing (never used, evicted, or lost in a Redis restart) starts
// from the server clock in microseconds, not from 0: counting up again from 0 could
// reach a value that an old, still-stored entry was keyed with and serve it.
const CLOCK_BASE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local base = t[1] .. string.format('%06d', tonumber(t[2]))
`;

/** Lua: `out` = the counters named by KEYS, creating missing ones (needs CLOCK_BASE's `base`). */
const READ_COUNTERS_INTO_OUT = `local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if not v then
    redis.call('SET', key, base)
    v = base
  end
  out[i] = v
end
`;

/** Reads the counters named by KEYS, creating missing ones. */
const READ_COUNTERS = luaScript(`${CLOCK_BASE}
${READ_COUNTERS_INTO_OUT}return out
`);

/**
 * READ_COUNTERS, then the entry computed at that generation, in one round trip: KEYS are the
 * counters, ARGV[1] the entry key without its generation (see entryKey). Returns the counters
 * followed by the entry (nil when absent). The entry key is not declared in KEYS because it is
 * only known inside the script: fine on a single Redis (with or without replicas), not on Redis
 * Cluster, which this cache does not support anyway (its counters and entries share no slot).
 */
const LOOKUP = luaScript(`${CLOCK_BASE}
${READ_COUNTERS_INTO_OUT}out[#KEYS + 1] = redis.call('GET', ARGV[1] .. 'r.' .. table.concat(out, '.'))
return out
`);

/** Increments every counter named by KEYS in one atomic step. */
const BUMP_COUNTERS = luaScript(`${CLOCK_BASE}
for _, key in ipairs(KEYS) do
  redis.call('SET', key, base, 'NX')
  redis.call('INCR', key)
end
return #KEYS
`);

/** Where the link to Redis stands; anything but `up` bypasses the cache. */
type Link = 'connecting' | 'up' | 'down' | 'closed';

/**
 * Report cache shared by all nodes through Redis.
 *
 * Keys (under `keyPrefix`): `gen:<tenant>` and `gen:all` data generations,
 * `epoch` (see below), `c:<cache key>` entries with a TTL.
 *
 * Outages: Redis being unreachable never fails a request. While it is down,
 * `get` misses, `set` does nothing, `getGeneration` returns null (callers skip
 * the cache) and `bumpGeneration` is counted as lost. Bumps lost by this node, and
 * bumps lost inside Redis itself (a restart from an older snapshot, a failover to
 * a lagging replica), would let an old entry look current again once Redis is
 * back. So every time this node (re)gains Redis, before it serves anything from
 * it, it increments a global `epoch` counter that is part of every generation:
 * all entries written before are unreachable for every node, and caching resumes
 * on its own. Flushing our prefix instead would need a SCAN over a shared keyspace
 * and could race other nodes' writes; the epoch costs one INCR and old entries
 * simply age out through their TTL. The price is a cold cache after each outage or
 * node start, which is acceptable for a cache.
 *
 * Known limit: if only THIS node loses Redis (a one-sided partition) while others
 * still reach it, the others cannot learn about the bumps this node lost until it
 * reconnects and bumps the epoch; until then they may serve answers computed
 * before those ingests (at most `cacheTtlSeconds` old). Redis must also not evict
 * generation keys: use a `volatile-*` maxmemory-policy (only entries have a TTL).
 */
export function createRedisReportCache(options: RedisCacheOptions): ReportCache {
  const { keyPrefix, defaultTtlSeconds, logger, metrics } = options;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2000;
  const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 10), maxReconnectDelayMs);

  const Redis = redisClient();
  const client = new Redis(options.url, {
    lazyConnect: true,
    // Fail fast instead of queueing while disconnected: a request must never wait on the cache.
    enableOfflineQueue: false,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: 1,
    // Commands issued in the same event-loop tick (concurrent requests' lookups) share one write
    // and one read: fewer system calls per cache hit under load, same round trips otherwise.
    enableAutoPipelining: true,
    // Returning a number means "retry after that many ms", forever: caching resumes by itself.
    retryStrategy: backoff,
  });

  const epochKey = `${keyPrefix}epoch`;
  const allKey = `${keyPrefix}gen:all`;
  const genKey = (tenantId: string): string => `${keyPrefix}gen:${tenantId}`;
  const entryKey = (key: string): string => `${keyPrefix}c:${key}`;

  let link: Link = 'connecting';
  /** Incremented on every loss of an `up` link, so replies that straddle an outage are discarded. */
  let outages = 0;
  /** Incremented for every bump that may not have reached Redis; recovery must bump the epoch after the last one. */
  let lostBumps = 0;
  /** One warning per outage. */
  let warned = false;
  let recovery: Promise<void> | undefined;
  let recoveryTimer: NodeJS.Timeout | undefined;
  let recoveryAttempts = 0;
  // A function, not an inline comparison: `link` changes across awaits, which TS narrowing cannot see.
  const isClosed = (): boolean => link === 'closed';

  function markDown(err: unknown): void {
    if (link === 'closed') return;
    if (link === 'up') outages += 1;
    link = 'down';
    if (!warned) {
      warned = true;
      logger.warn({ err }, 'redis unavailable, caching disabled');
    }
    // A command-level failure (timeout, OOM…) leaves the connection "ready", so no
    // 'ready' event will come to trigger recovery: retry it on a timer instead.
    if (client.status === 'ready') scheduleRecovery();
  }

  function scheduleRecovery(): void {
    if (recoveryTimer !== undefined || link === 'closed') return;
    recoveryAttempts += 1;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = undefined;
      if (client.status === 'ready') void recover();
    }, backoff(recoveryAttempts));
    // Never keep the process alive just to retry the cache.
    recoveryTimer.unref();
  }

  function recover(): Promise<void> {
    if (recovery) return recovery;
    if (link === 'up' || link === 'closed') return Promise.resolve();
    recovery = (async () => {
      try {
        let seen: number;
        do {
          seen = lostBumps;
          await runScript(BUMP_COUNTERS, [epochKey]);
          // A bump lost while this epoch bump was in flight may not be covered by it.
        } while (seen !== lostBumps && !isClosed());
        if (isClosed()) return;
        const afterOutage = warned;
        link = 'up';
        warned = false;
        recoveryAttempts = 0;
        logger.info({}, afterOutage ? 'redis available again, caching resumed' : 'redis connected, caching enabled');
      } catch (err) {
        markDown(err);
      } finally {
        recovery = undefined;
      }
    })();
    return recovery;
  }

  async function runScript(script: LuaScript, keys: string[], args: string[] = []): Promise<unknown> {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // Scripts are forgotten when Redis restarts; EVAL loads it again.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return client.eval(script.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }

  /** Counter keys of a scope, the epoch first: their values joined by '.' after 'r' are the generation. */
  function counterKeys(scope: TenantScope): string[] {
    if (scope === 'all') return [epochKey, allKey];
    if (scope.length === 1) return [epochKey, genKey(scope[0]!)];
    return [epochKey, ...(normalizeScope(scope) as readonly string[]).map(genKey)];
  }

  client.on('ready', () => void recover());
  client.on('close', () => markDown(new Error('redis connection closed')));
  // ioredis emits 'error' on every failed reconnect; markDown logs only the first.
  client.on('error', (err: Error) => markDown(err));
  // Errors surface through the events above; the promise only needs to not be unhandled.
  client.connect().catch(() => undefined);

  const cache: ReportCache = {
    async getGeneration(scope: TenantScope) {
      if (link !== 'up') return null;
      const ticket = outages;
      const keys = counterKeys(scope);
      try {
        const values = await runScript(READ_COUNTERS, keys);
        if (!Array.isArray(values) || values.length !== keys.length || !values.every((v) => typeof v === 'string')) {
          throw new Error('unexpected reply reading generations');
        }
        if (ticket !== outages || link !== 'up') return null;
        return ['r', ...(values as string[])].join('.');
      } catch (err) {
        markDown(err);
        return null;
      }
    },

    async bumpGeneration(tenantIds: readonly string[]) {
      if (tenantIds.length === 0) return;
      if (link === 'closed') {
        logger.error({ tenants: tenantIds.length }, 'report cache closed: generation bump lost');
        return;
      }
      if (link !== 'up') {
        lostBumps += 1;
        return;
      }
      const keys = [...new Set(tenantIds)].sort().map(genKey);
      keys.push(allKey);
      try {
        await runScript(BUMP_COUNTERS, keys);
      } catch (err) {
        // It may or may not have been applied; treat it as lost so recovery bumps the epoch.
        lostBumps += 1;
        markDown(err);
      }
    },

    async get(key: string) {
      let value: string | null = null;
      if (link === 'up') {
        const ticket = outages;
        try {
          value = await client.get(entryKey(key));
          if (ticket !== outages) value = null;
        } catch (err) {
          markDown(err);
        }
      }
      metrics?.recordCacheResult(value === null ? 'miss' : 'hit');
      return value;
    },

    async lookup(scope: TenantScope, keyBase: string) {
      let generation: string | null = null;
      let value: string | null = null;
      if (link === 'up') {
        const ticket = outages;
        const keys = counterKeys(scope);
        try {
          const reply = await runScript(LOOKUP, keys, [entryKey(entryKeyOf(keyBase, ''))]);
          if (!Array.isArray(reply) || reply.length < keys.length || reply.length > keys.length + 1) {
            throw new Error('unexpected reply reading generations');
          }
          const counters = reply.slice(0, keys.length);
          if (!counters.every((v) => typeof v === 'string')) throw new Error('unexpected reply reading generations');
          // Redis ends a reply at its first nil, so an absent entry may leave the last element out.
          const entry: unknown = reply[keys.length] ?? null;
          if (entry !== null && typeof entry !== 'string') throw new Error('unexpected reply reading an entry');
          if (ticket === outages && link === 'up') {
            generation = ['r', ...(counters as string[])].join('.');
            value = entry;
          }
        } catch (err) {
          markDown(err);
        }
      }
      metrics?.recordCacheResult(value === null ? 'miss' : 'hit');
      return { generation, value };
    },

    async set(key: string, value: string, ttlSeconds = defaultTtlSeconds) {
      if (link !== 'up') return;
      try {
        await client.set(entryKey(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      } catch (err) {
        markDown(err);
      }
    },

    getOrCompute: (computation) => getOrCompute(cache, computation),

    status: () => (link === 'up' ? 'redis-ok' : 'redis-down'),

    async close() {
      if (link === 'closed') return;
      link = 'closed';
      clearTimeout(recoveryTimer);
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      client.disconnect();
    },
  };
  return cache;
}
