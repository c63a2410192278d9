/**
 * Issue 5, item 5: the report cache against real Redis. Hits and misses show in X-Cache; two
 * nodes on one PostgreSQL database and one Redis behave as one (never stale); Redis going away
 * mid-test degrades to uncached answers with one warning, and caching comes back by itself.
 * Every Redis here is a private redis-server started by this file, never the shared one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestAppOn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.ts';
import { captureLogs, LEVEL } from '../helpers/logs.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from '../helpers/redis.ts';
import { serviceSkip } from '../helpers/services.ts';

const PERIOD = 'from=2026-03-01&to=2026-03-02';
const REDIS_DOWN_WARNING = 'redis unavailable, caching disabled';

let seq = 0;
const run = (status = 'succeeded') => {
  seq += 1;
  const start = `2026-03-01T${String(seq % 24).padStart(2, '0')}:00:00Z`;
  return { id: `run-${seq}-${randomBytes(3).toString('hex')}`, workflow_id: 'wf', service: 'api', status, started_at: start, finished_at: start.replace(':00:00Z', ':00:02Z') };
};

/** Polls until the app reports `cache` in /readyz (the Redis link is up, or known to be down). */
async function waitForCache(app: TestApp, cache: 'redis-ok' | 'redis-down', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.request('GET', '/readyz', { key: null });
    if (res.body?.cache === cache) return;
    if (Date.now() > deadline) throw new Error(`cache did not become ${cache}: ${res.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function overview(app: TestApp, key: string): Promise<{ cache: string | null; total: number }> {
  const res = await app.request('GET', `/reports/overview?${PERIOD}`, { key });
  assert.equal(res.status, 200, res.text);
  return { cache: res.headers.get('x-cache'), total: res.body.rows[0].total_workflows };
}

async function ingest(app: TestApp, key: string, records: object[]): Promise<void> {
  const res = await app.request('POST', '/ingest/workflow_runs', { key, body: records });
  assert.equal(res.status, 200, res.text);
}

const skip = redisSkipReason() ?? (await serviceSkip('postgres'));

describe('report cache on Redis', { skip }, () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;

  before(async () => {
    redis = await startRedisServer();
    db = await createTestDatabase('postgres');
    // Two nodes of one deployment: same database, same Redis, same key prefix.
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `atom-test-${randomBytes(4).toString('hex')}:` };
    nodeA = await startTestAppOn(db, env);
    nodeB = await startTestAppOn(db, env, { adminKey: nodeA.adminKey });
    await Promise.all([waitForCache(nodeA, 'redis-ok'), waitForCache(nodeB, 'redis-ok')]);
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await db?.dispose();
    await redis?.close();
  });

  it('answers X-Cache miss, then hit, then miss again after an ingest', async () => {
    const t = await nodeA.createTenant();
    await ingest(nodeA, t.key, [run()]);
    assert.deepEqual(await overview(nodeA, t.key), { cache: 'miss', total: 1 });
    assert.deepEqual(await overview(nodeA, t.key), { cache: 'hit', total: 1 });
    await ingest(nodeA, t.key, [run()]);
    assert.deepEqual(await overview(nodeA, t.key), { cache: 'miss', total: 2 });
    assert.deepEqual(await overview(nodeA, t.key), { cache: 'hit', total: 2 });
    // `Cache-Control: no-cache` asks for a fresh computation.
    const res = await nodeA.request('GET', `/reports/overview?${PERIOD}`, { key: t.key, headers: { 'cache-control': 'no-cache' } });
    assert.equal(res.headers.get('x-cache'), 'miss');
  });

  it('shares entries between two nodes and never serves one node a stale answer after the other ingests', async () => {
    const t = await nodeA.createTenant();
    await ingest(nodeA, t.key, [run()]);
    assert.deepEqual(await overview(nodeA, t.key), { cache: 'miss', total: 1 });
    // Computed on A, served from the shared cache on B.
    assert.deepEqual(await overview(nodeB, t.key), { cache: 'hit', total: 1 });
    let expected = 1;
    for (let round = 0; round < 6; round++) {
      const [writer, reader] = round % 2 === 0 ? [nodeA, nodeB] : [nodeB, nodeA];
      await ingest(writer, t.key, [run(), run('failed')]);
      expected += 2;
      // The next report on the other node already sees the acknowledged ingest.
      assert.deepEqual(await overview(reader, t.key), { cache: 'miss', total: expected }, `round ${round}`);
      assert.deepEqual(await overview(writer, t.key), { cache: 'hit', total: expected }, `round ${round}`);
    }
    // Admin all-tenant answers follow too: a tenant created on B shows up in A's next answer.
    const before = await nodeA.request('GET', `/reports/overview?${PERIOD}`);
    assert.equal((await nodeA.request('GET', `/reports/overview?${PERIOD}`)).headers.get('x-cache'), 'hit');
    const extra = await nodeB.createTenant();
    const afterCreate = await nodeA.request('GET', `/reports/overview?${PERIOD}`);
    assert.equal(afterCreate.headers.get('x-cache'), 'miss');
    assert.equal(afterCreate.body.rows.length, before.body.rows.length + 1);
    assert.ok(afterCreate.body.rows.some((r: { tenant_id: string }) => r.tenant_id === extra.id));
  });

  it('shares rate-limit counts between the nodes', async () => {
    const limitedDb = await createTestDatabase('duckdb');
    const limitedDb2 = await createTestDatabase('duckdb');
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `atom-rl-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_MAX: '4' };
    const a = await startTestAppOn(limitedDb, env, { ownsDatabase: true });
    const b = await startTestAppOn(limitedDb2, env, { ownsDatabase: true, adminKey: a.adminKey });
    try {
      // The limiter connects to Redis in the background; wait until both nodes count there.
      await Promise.all([waitForCache(a, 'redis-ok'), waitForCache(b, 'redis-ok')]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const statuses: number[] = [];
      for (const node of [a, b, a, b, a]) statuses.push((await node.request('GET', '/tenants')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('report cache when Redis goes away', { skip }, () => {
  let redis: RedisServer;
  let app: TestApp;
  const logs = captureLogs('info');

  before(async () => {
    redis = await startRedisServer();
    app = await startTestAppOn(await createTestDatabase('postgres'), { REDIS_URL: redis.url }, { ownsDatabase: true, logger: logs.logger });
    await waitForCache(app, 'redis-ok');
  });
  after(async () => {
    await app?.close();
    await redis?.close();
  });

  it('keeps answering uncached while Redis is down, warns once, and resumes caching when it returns', async () => {
    const t = await app.createTenant();
    await ingest(app, t.key, [run()]);
    assert.deepEqual(await overview(app, t.key), { cache: 'miss', total: 1 });
    assert.deepEqual(await overview(app, t.key), { cache: 'hit', total: 1 });

    await redis.stop();
    // Every answer is still right, and uncached (no stale hit from before the outage).
    for (let i = 0; i < 5; i++) assert.deepEqual(await overview(app, t.key), { cache: 'miss', total: 1 });
    await ingest(app, t.key, [run()]);
    for (let i = 0; i < 3; i++) assert.deepEqual(await overview(app, t.key), { cache: 'miss', total: 2 });
    const ready = await app.request('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200, 'Redis down does not take the node out of the load balancer');
    assert.deepEqual(ready.body, { status: 'degraded', database: 'postgres', cache: 'redis-down', warming: [] });
    const warnings = logs.withMessage(REDIS_DOWN_WARNING);
    assert.equal(warnings.length, 1, 'one warning per outage');
    assert.equal(warnings[0]!.level, LEVEL.warn);

    await redis.start();
    await waitForCache(app, 'redis-ok');
    // The entry cached before the outage is never served again (the data changed meanwhile).
    assert.deepEqual(await overview(app, t.key), { cache: 'miss', total: 2 });
    assert.deepEqual(await overview(app, t.key), { cache: 'hit', total: 2 });
    assert.equal(logs.withMessage(REDIS_DOWN_WARNING).length, 1);
    assert.equal(logs.withMessage('redis available again, caching resumed').length, 1);
  });
});
