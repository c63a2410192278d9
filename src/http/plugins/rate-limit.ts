import { createHash } from 'node:crypto';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redisClient } from '../../cache/ioredis.ts';
import { LRUCache } from 'lru-cache';
import { hashKey } from '../../tenancy/keys.ts';
import { bearerKey } from './auth.ts';

/** The subset of a pino logger the limiter needs. */
interface LimiterLogger {
  info(obj: object, msg?: string): void;
}

/**
 * Request counters of the rate limiter: fixed windows of `windowMs`, shared through Redis when
 * configured so several nodes enforce one limit. `close()` releases the Redis connection.
 */
export interface RateLimitCounter {
  /** Counts one request under `key`; resolves to the count so far in this window and the ms until it ends. */
  incr(key: string): Promise<{ current: number; ttl: number }>;
  /**
   * Counts one request at once when this can be done without I/O (counts kept in this node's
   * memory), else returns undefined without counting: the caller then uses `incr`.
   */
  incrNow?(key: string): { current: number; ttl: number } | undefined;
  close(): Promise<void>;
}

export interface RateLimitCounterOptions {
  windowMs: number;
  /** Shared counters in Redis; unset, counts are per node. */
  redisUrl?: string;
  /** Prepended to Redis keys (the deployment's `REDIS_KEY_PREFIX`). */
  keyPrefix: string;
  logger: LimiterLogger;
  /** How many keys/addresses one node tracks in memory; the least recently seen are forgotten. */
  maxLocalKeys?: number;
}

// INCR and (first hit) PEXPIRE in one step; a key that lost its TTL gets one again.
const INCR_WINDOW = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;
const INCR_WINDOW_SHA = createHash('sha1').update(INCR_WINDOW).digest('hex');

/**
 * Creates the counters. With Redis, a Redis outage never fails or blocks a request: counting
 * falls back to this node's memory (limits become per node) and returns to Redis when it is back,
 * so limits keep holding instead of failing open.
 */
export function createRateLimitCounter(options: RateLimitCounterOptions): RateLimitCounter {
  const { windowMs, logger } = options;
  const local = new LRUCache<string, { count: number; resetAt: number }>({ max: options.maxLocalKeys ?? 10_000 });

  function incrLocal(key: string): { current: number; ttl: number } {
    const now = Date.now();
    let entry = local.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + windowMs };
      local.set(key, entry);
    }
    entry.count += 1;
    return { current: entry.count, ttl: entry.resetAt - now };
  }

  if (!options.redisUrl) {
    return { incr: async (key) => incrLocal(key), incrNow: incrLocal, close: async () => undefined };
  }

  const Redis = redisClient();
  const redis = new Redis(options.redisUrl, {
    // Never queue behind a dead connection: the local counter answers instead.
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 500,
    maxRetriesPerRequest: 0,
    // Concurrent requests' counts issued in one event-loop tick share one write to Redis.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2000),
  });
  const windowArg = String(windowMs);
  let usingRedis = false;
  let closed = false;
  // Outages are reported by the report cache (one warning); here an info line says what changed.
  redis.on('ready', () => {
    usingRedis = true;
    logger.info({}, 'rate limits shared through redis');
  });
  // ioredis reports every failed reconnect here; the fallback above already handles them.
  redis.on('error', () => undefined);
  redis.on('close', () => {
    if (!usingRedis || closed) return;
    usingRedis = false;
    logger.info({}, 'redis unavailable: rate limits counted per node until it returns');
  });
  const redisKey = (key: string): string => `${options.keyPrefix}rl:${key}`;

  // EVALSHA: Redis neither receives nor hashes the script text on every request; EVAL loads it
  // again after a Redis restart forgot it (NOSCRIPT).
  async function incrWindow(key: string): Promise<[number, number]> {
    try {
      return (await redis.evalsha(INCR_WINDOW_SHA, 1, redisKey(key), windowArg)) as [number, number];
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return (await redis.eval(INCR_WINDOW, 1, redisKey(key), windowArg)) as [number, number];
      }
      throw err;
    }
  }

  return {
    async incr(key) {
      if (redis.status === 'ready') {
        try {
          const reply = await incrWindow(key);
          return { current: Number(reply[0]), ttl: Number(reply[1]) };
        } catch {
          // Fall through to the local count for this request.
        }
      }
      return incrLocal(key);
    },
    async close() {
      closed = true;
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** The bucket a request counts in: its key's hash when the key is valid, else the client address. */
export function rateLimitKey(req: FastifyRequest): string {
  // The auth hook already hashed the key (it sets keyHash whenever it resolved an actor).
  if (req.actor && req.keyHash) return `key:${req.keyHash}`;
  const key = req.actor ? bearerKey(req) : null;
  return key ? `key:${hashKey(key)}` : `ip:${req.ip}`;
}

/** Adapts a counter to @fastify/rate-limit's store interface (one bucket per key across all routes). */
function storeFor(counter: RateLimitCounter): FastifyRateLimitStoreCtor {
  const store: FastifyRateLimitStore = {
    incr(key, callback) {
      // In-memory counts answer synchronously: no promise on every request.
      const now = counter.incrNow?.(key);
      if (now !== undefined) return callback(null, now);
      counter.incr(key).then(
        (result) => callback(null, result),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
    child: () => store,
  };
  // The plugin instantiates the store class itself; returning an object from a constructor hands it ours.
  return function RateLimitStore() {
    return store;
  } as unknown as FastifyRateLimitStoreCtor;
}

export interface RateLimitOptions {
  /** Requests per window and key; 0 disables rate limiting. */
  max: number;
  windowMs: number;
  counter: RateLimitCounter;
}

/**
 * Per-key rate limits on every route that needs a key (public routes — probes, metrics, docs,
 * dashboard files — are exempt). Over the limit: 429 `rate_limited` with Retry-After. Must be
 * registered after auth (it reads the resolved actor) and before the routes.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max === 0) return;
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: options.max,
    timeWindow: options.windowMs,
    store: storeFor(options.counter),
    keyGenerator: rateLimitKey,
    allowList: (req) => req.routeOptions.config?.public === true || req.routeOptions.url === undefined,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(`Too many requests: the limit is ${ctx.max} per ${options.windowMs / 1000} s; retry in ${ctx.after}`), {
        statusCode: 429,
      }),
  });
}
