import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { Redis } from 'ioredis';

import { buildCacheKey, createReportCache, type ReportCache } from '../../../src/cache/index.ts';
import { createRedisReportCache } from '../../../src/cache/redis-cache.ts';
import { type RedisServer, getFreePort, redisSkipReason, startRedisServer, startTcpProxy, waitFor } from '../../helpers/redis.ts';
import { createCountingSink, createSpyLogger } from './spy-logger.ts';

const UNAVAILABLE = 'redis unavailable, caching disabled';
const RESUMED = 'redis available again, caching resumed';

function redisConfig(redisUrl: string, redisKeyPrefix = `test-${randomUUID()}:`) {
  return { redisUrl, redisKeyPrefix, cacheMaxEntries: 1000, cacheTtlSeconds: 300 };
}

async function ready(cache: ReportCache): Promise<void> {
  await waitFor(() => cache.status() === 'redis-ok', 'the cache to reach redis');
}

async function down(cache: ReportCache): Promise<void> {
  await waitFor(() => cache.status() === 'redis-down', 'the cache to notice redis is down');
}

/** Reads and writes an entry the way a report route would, returning whether it was served from cache. */
async function cachedLookup(cache: ReportCache, tenant: string): Promise<{ generation: string | null; value: string | null }> {
  const generation = await cache.getGeneration([tenant]);
  if (generation === null) return { generation, value: null };
  return { generation, value: await cache.get(buildCacheKey({ scope: [tenant], generation })) };
}

describe('redis report cache', { skip: redisSkipReason() }, () => {
  let server: RedisServer;
  const caches: ReportCache[] = [];
  const track = (cache: ReportCache): ReportCache => {
    caches.push(cache);
    return cache;
  };

  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await server?.close();
  });

  it('misses, then hits after set, through Redis', async () => {
    const metrics = createCountingSink();
    const cache = track(createReportCache({ config: redisConfig(server.url), logger: createSpyLogger(), metrics }));
    await ready(cache);
    const generation = await cache.getGeneration(['t1']);
    assert.match(generation ?? '', /^r\./);
    const key = buildCacheKey({ scope: ['t1'], generation });
    assert.equal(await cache.get(key), null);
    await cache.set(key, 'answer', 60);
    assert.equal(await cache.get(key), 'answer');
    assert.deepEqual({ hit: metrics.hit, miss: metrics.miss }, { hit: 1, miss: 1 });
  });

  it('stores entries under the key prefix with a TTL, and generation counters without one', async () => {
    const prefix = `test-${randomUUID()}:`;
    const cache = track(createReportCache({ config: redisConfig(server.url, prefix), logger: createSpyLogger() }));
    await ready(cache);
    await cache.getGeneration(['t1']);
    await cache.bumpGeneration(['t1']);
    await cache.set('k', 'v', 42);
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      assert.deepEqual((await admin.keys(`${prefix}*`)).sort(), [`${prefix}c:k`, `${prefix}epoch`, `${prefix}gen:all`, `${prefix}gen:t1`]);
      const ttl = await admin.ttl(`${prefix}c:k`);
      assert.ok(ttl > 0 && ttl <= 42, `ttl ${ttl}`);
      assert.equal(await admin.ttl(`${prefix}gen:t1`), -1);
    } finally {
      admin.disconnect();
    }
  });

  it('lets a second node see a bump made on the first', async () => {
    const prefix = `test-${randomUUID()}:`;
    const nodeA = track(createReportCache({ config: redisConfig(server.url, prefix), logger: createSpyLogger() }));
    const nodeB = track(createReportCache({ config: redisConfig(server.url, prefix), logger: createSpyLogger() }));
    await ready(nodeA);
    await ready(nodeB);

    const t1 = await nodeB.getGeneration(['t1']);
    const t2 = await nodeB.getGeneration(['t2']);
    const all = await nodeB.getGeneration('all');
    assert.equal(await nodeA.getGeneration(['t1']), t1, 'both nodes agree on the generation');
    await nodeB.set(buildCacheKey({ scope: ['t1'], generation: t1 }), 'before ingest');

    await nodeA.bumpGeneration(['t1']);

    const t1After = await nodeB.getGeneration(['t1']);
    assert.notEqual(t1After, t1);
    assert.notEqual(await nodeB.getGeneration('all'), all);
    assert.equal(await nodeB.getGeneration(['t2']), t2);
    assert.equal(await nodeB.get(buildCacheKey({ scope: ['t1'], generation: t1After })), null);
  });

  it('degrades while Redis is down, warns once, and resumes without serving stale entries', async () => {
    const own = await startRedisServer();
    const logger = createSpyLogger();
    const prefix = `test-${randomUUID()}:`;
    const cache = createReportCache({ config: redisConfig(own.url, prefix), logger });
    try {
      await ready(cache);
      const { generation: before } = await cachedLookup(cache, 't1');
      const oldKey = buildCacheKey({ scope: ['t1'], generation: before });
      await cache.set(oldKey, 'answer before the outage');
      assert.equal((await cachedLookup(cache, 't1')).value, 'answer before the outage');

      // Snapshot so Redis comes back WITH the old entry and the old counters, as after
      // a restart from disk or a network outage: the hard case for staleness.
      await own.stop({ snapshot: true });
      await down(cache);

      for (let i = 0; i < 5; i++) {
        assert.equal(await cache.getGeneration(['t1']), null, 'no generation while down');
        assert.equal(await cache.getGeneration('all'), null);
        assert.equal(await cache.get(oldKey), null);
        await cache.set(oldKey, 'written during outage');
        // An ingest acknowledged during the outage: this bump cannot reach Redis.
        await cache.bumpGeneration(['t1']);
        await new Promise((resolve) => setTimeout(resolve, 100)); // let a few reconnect attempts fail
      }
      assert.equal(cache.status(), 'redis-down');
      assert.equal(logger.count('warn'), 1, 'exactly one warning for the outage');
      assert.equal(logger.count('warn', UNAVAILABLE), 1);

      await own.start();
      await ready(cache);
      assert.equal(logger.count('info', RESUMED), 1);
      assert.equal(logger.count('warn'), 1, 'no further warnings after recovery');

      // The old entry is really back in Redis…
      const admin = new Redis(own.port, '127.0.0.1');
      try {
        assert.equal(await admin.get(`${prefix}c:${oldKey}`), 'answer before the outage');
      } finally {
        admin.disconnect();
      }
      // …but is not served: the generation moved on although the bump was lost.
      const afterRecovery = await cachedLookup(cache, 't1');
      assert.notEqual(afterRecovery.generation, null);
      assert.notEqual(afterRecovery.generation, before);
      assert.equal(afterRecovery.value, null);

      // Caching works again.
      await cache.set(buildCacheKey({ scope: ['t1'], generation: afterRecovery.generation }), 'fresh answer');
      assert.equal((await cachedLookup(cache, 't1')).value, 'fresh answer');

      // A second outage gets its own single warning.
      await own.stop();
      await down(cache);
      await cache.get('x');
      assert.equal(logger.count('warn', UNAVAILABLE), 2);
    } finally {
      await cache.close();
      await own.close();
    }
  });

  it('invalidates, for every node, the bumps one node lost while it alone was cut off', async () => {
    const own = await startRedisServer();
    const proxy = await startTcpProxy(own.port);
    const prefix = `test-${randomUUID()}:`;
    const nodeA = createReportCache({ config: redisConfig(proxy.url, prefix), logger: createSpyLogger() });
    const nodeB = createReportCache({ config: redisConfig(own.url, prefix), logger: createSpyLogger() });
    try {
      await ready(nodeA);
      await ready(nodeB);
      const { generation } = await cachedLookup(nodeB, 't1');
      await nodeB.set(buildCacheKey({ scope: ['t1'], generation }), 'answer before the ingest');

      proxy.cut();
      await down(nodeA);
      await nodeA.bumpGeneration(['t1']); // lost: node A cannot reach Redis
      assert.equal(nodeB.status(), 'redis-ok');

      proxy.heal();
      await ready(nodeA);
      const seenByB = await cachedLookup(nodeB, 't1');
      assert.notEqual(seenByB.generation, generation);
      assert.equal(seenByB.value, null, 'node B must not serve the answer from before node A\'s ingest');
    } finally {
      await nodeA.close();
      await nodeB.close();
      await proxy.close();
      await own.close();
    }
  });

  it('recovers from command timeouts on a connection that stays open', async () => {
    const own = await startRedisServer();
    const logger = createSpyLogger();
    const cache = createRedisReportCache({
      url: own.url,
      keyPrefix: `test-${randomUUID()}:`,
      defaultTtlSeconds: 60,
      logger,
      commandTimeoutMs: 200,
      maxReconnectDelayMs: 200,
    });
    try {
      await ready(cache);
      const { generation } = await cachedLookup(cache, 't1');
      await cache.set(buildCacheKey({ scope: ['t1'], generation }), 'answer before the pause');

      own.pause();
      await cache.bumpGeneration(['t1']); // times out; may or may not be applied later
      assert.equal(cache.status(), 'redis-down');
      assert.equal(await cache.getGeneration(['t1']), null);
      own.resume();

      await ready(cache);
      assert.equal(logger.count('warn', UNAVAILABLE), 1);
      assert.equal(logger.count('info', RESUMED), 1);
      const after = await cachedLookup(cache, 't1');
      assert.notEqual(after.generation, generation);
      assert.equal(after.value, null);
    } finally {
      own.resume();
      await cache.close();
      await own.close();
    }
  });

  it('starts with Redis unreachable, serves uncached, and connects once Redis appears', async () => {
    const port = await getFreePort();
    const logger = createSpyLogger();
    const cache = createReportCache({ config: redisConfig(`redis://127.0.0.1:${port}`), logger });
    let own: RedisServer | undefined;
    try {
      await waitFor(() => logger.count('warn') > 0, 'the first connection attempt to fail');
      assert.equal(cache.status(), 'redis-down');
      assert.deepEqual(await cache.getOrCompute({ scope: ['t1'], parts: {}, compute: async () => 'uncached' }), {
        value: 'uncached',
        cache: 'miss',
      });
      await cache.bumpGeneration(['t1']);
      assert.equal(logger.count('warn'), 1);
      own = await startRedisServer({ port });
      await ready(cache);
      assert.notEqual(await cache.getGeneration(['t1']), null);
    } finally {
      await cache.close();
      await own?.close();
    }
  });

  it('never throws from close(), and bypasses the cache afterwards', async () => {
    const logger = createSpyLogger();
    const cache = createReportCache({ config: redisConfig(server.url), logger });
    await ready(cache);
    await cache.close();
    await cache.close();
    assert.equal(cache.status(), 'redis-down');
    assert.equal(await cache.getGeneration(['t1']), null);
    assert.equal(await cache.get('k'), null);
    await cache.set('k', 'v');
    assert.equal(logger.count('warn'), 0, 'a deliberate close is not an outage');
  });
});
