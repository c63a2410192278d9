/**
 * Issue 7: the cache-hit fast path (remembered keys, prepared report requests, one-step cache
 * lookups) keeps every guarantee of the slow path: revocation, never stale, tenant scoping,
 * validation, one log line and the metrics of every request. On both engines, with the memory
 * cache and with Redis.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestAppOn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, describeEachEngine, type TestDatabase } from '../helpers/engines.ts';
import { captureLogs, type LogCapture } from '../helpers/logs.ts';
import { redisSkipReason, startRedisServer, type RedisServer } from '../helpers/redis.ts';
import { serviceSkip } from '../helpers/services.ts';

const PERIOD = 'from=2026-03-01&to=2026-03-02&tz=UTC';

let seq = 0;
function run() {
  seq += 1;
  const start = `2026-03-01T${String(seq % 24).padStart(2, '0')}:00:00Z`;
  return { id: `hp-${seq}-${randomBytes(3).toString('hex')}`, workflow_id: 'wf', service: 'api', status: 'succeeded', started_at: start, finished_at: start.replace(':00:00Z', ':00:02Z') };
}

async function ingest(app: TestApp, key: string, n = 1): Promise<void> {
  const res = await app.request('POST', '/ingest/workflow_runs', { key, body: Array.from({ length: n }, run) });
  assert.equal(res.status, 200, res.text);
}

async function overview(app: TestApp, key: string, query = PERIOD) {
  const res = await app.request('GET', `/reports/overview?${query}`, { key });
  return { status: res.status, cache: res.headers.get('x-cache'), total: res.body?.rows?.[0]?.total_workflows as number | undefined, res };
}

function sampleSum(text: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// A private redis-server per suite, never the shared one.
const redisSkip = redisSkipReason() ?? false;

for (const cacheMode of ['memory', 'redis'] as const) {
  await describeEachEngine(`cache hit path, ${cacheMode} cache`, (engine) => {
    let app: TestApp;
    let logs: LogCapture;
    let redis: RedisServer | undefined;
    let a: { id: string; key: string; keyId: string };
    let b: { id: string; key: string; keyId: string };

    before(async () => {
      if (cacheMode === 'redis' && redisSkip) return;
      logs = captureLogs('info');
      if (cacheMode === 'redis') redis = await startRedisServer();
      const env: Record<string, string> = redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `atom-test-hitpath-${randomBytes(4).toString('hex')}:` } : {};
      app = await startTestAppOn(await createTestDatabase(engine), env, { ownsDatabase: true, logger: logs.logger });
      if (cacheMode === 'redis') {
        const deadline = Date.now() + 15_000;
        while ((await app.request('GET', '/readyz', { key: null })).body?.cache !== 'redis-ok') {
          if (Date.now() > deadline) throw new Error('redis cache never came up');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      a = await app.createTenant();
      b = await app.createTenant();
      await ingest(app, a.key, 2);
      await ingest(app, b.key, 5);
    });
    after(async () => {
      await app?.close();
      await redis?.close();
    });

    it('never serves the answer from before an acknowledged ingest, hit after hit', { skip: cacheMode === 'redis' && redisSkip }, async () => {
      let expected = (await overview(app, a.key)).total!;
      for (let i = 0; i < 5; i++) {
        const hit = await overview(app, a.key);
        assert.deepEqual([hit.cache, hit.total], ['hit', expected]);
        await ingest(app, a.key);
        expected += 1;
        const after = await overview(app, a.key);
        assert.deepEqual([after.cache, after.total], ['miss', expected], 'the first answer after an ingest includes it');
        // The admin's views of the tenant and of all tenants move with it too.
        const admin = await overview(app, app.adminKey, `${PERIOD}&tenant_id=${a.id}`);
        assert.equal(admin.total, expected);
      }
    });

    it('never gives a tenant key another scope\'s cached body for the same URL', { skip: cacheMode === 'redis' && redisSkip }, async () => {
      const forA = await overview(app, a.key);
      assert.equal((await overview(app, a.key)).cache, 'hit');
      const forB = await overview(app, b.key);
      assert.equal(forB.cache, 'miss', 'same URL, other tenant: not A\'s entry');
      assert.notEqual(forB.total, forA.total);
      assert.equal((await overview(app, b.key)).total, forB.total);
      // Naming A's tenant with B's key: 404 every time, however often A's URL was answered.
      const namedByA = `${PERIOD}&tenant_id=${a.id}`;
      assert.equal((await overview(app, a.key, namedByA)).status, 200);
      assert.equal((await overview(app, a.key, namedByA)).cache, 'hit');
      for (let i = 0; i < 3; i++) {
        const foreign = await overview(app, b.key, namedByA);
        assert.equal(foreign.status, 404);
        assert.equal(foreign.res.body.error.code, 'tenant_not_found');
        assert.equal(foreign.cache, null);
      }
      // The admin's all-tenant answer is its own entry, not a tenant's.
      const all = await overview(app, app.adminKey);
      assert.equal(all.status, 200);
      assert.notEqual(all.res.text, forA.res.text);
      assert.notEqual(all.res.text, forB.res.text);
    });

    it('answers validation errors and unknown tenants every time, never from a remembered request', { skip: cacheMode === 'redis' && redisSkip }, async () => {
      for (let i = 0; i < 3; i++) {
        const bad = await overview(app, a.key, 'from=2026-03-02&to=2026-03-01');
        assert.equal(bad.status, 400);
        assert.equal(bad.res.body.error.code, 'validation_error');
        const unknown = await overview(app, app.adminKey, `${PERIOD}&tenant_id=nobody_${i % 2}`);
        assert.equal(unknown.status, 404);
        const typo = await overview(app, a.key, `${PERIOD}&tz=Mars/Olympus`);
        assert.equal(typo.status, 400);
      }
      // Without `to` the period depends on the clock: answered (and correct) every time too.
      assert.equal((await overview(app, a.key, 'from=2026-03-01')).status, 200);
    });

    it('stops a key at once when it is revoked through the API, right after it was used', { skip: cacheMode === 'redis' && redisSkip }, async () => {
      const t = await app.createTenant();
      for (let i = 0; i < 3; i++) assert.equal((await overview(app, t.key)).status, 200);
      assert.equal((await app.request('DELETE', `/keys/${t.keyId}`)).status, 200);
      const refused = await overview(app, t.key);
      assert.equal(refused.status, 401);
      assert.equal(refused.cache, null);
      assert.equal((await overview(app, t.key)).status, 401);
      // Revoking again (already revoked) answers 200 and the key stays refused.
      assert.equal((await app.request('DELETE', `/keys/${t.keyId}`)).status, 200);
      assert.equal((await overview(app, t.key)).status, 401);
    });

    it('still writes one log line per request and counts hits and misses in /metrics', { skip: cacheMode === 'redis' && redisSkip }, async () => {
      const before = (await app.request('GET', '/metrics', { key: null })).text;
      const query = `from=2026-02-01&to=2026-02-0${cacheMode === 'redis' ? 3 : 2}&tz=UTC`;
      const ids: string[] = [];
      const caches: (string | null)[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await overview(app, a.key, query);
        ids.push(r.res.headers.get('x-request-id')!);
        caches.push(r.cache);
      }
      assert.deepEqual(caches, ['miss', 'hit', 'hit', 'hit']);
      const afterText = (await app.request('GET', '/metrics', { key: null })).text;
      const delta = (metric: string, labels: Record<string, string>) => sampleSum(afterText, metric, labels) - sampleSum(before, metric, labels);
      assert.equal(delta('atom_cache_requests_total', { result: 'hit' }), 3);
      assert.equal(delta('atom_cache_requests_total', { result: 'miss' }), 1);
      assert.equal(delta('atom_reports_total', { type: 'overview' }), 4);
      assert.equal(delta('http_requests_total', { route: '/reports/overview', status: '200' }), 4);
      const lines = logs.withMessage('request');
      for (const id of ids) {
        const forRequest = lines.filter((l) => l.req_id === id);
        assert.equal(forRequest.length, 1, `one line for ${id}`);
        assert.equal(forRequest[0]!.tenant_id, a.id);
        assert.equal(forRequest[0]!.status, 200);
        assert.equal(forRequest[0]!.reqId, id, 'the request logger keeps its request id binding');
      }
    });
  });
}

describe('key revocation across nodes sharing PostgreSQL', { skip: await serviceSkip('postgres') }, () => {
  let db: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;

  before(async () => {
    db = await createTestDatabase('postgres');
    nodeA = await startTestAppOn(db, {});
    nodeB = await startTestAppOn(db, {}, { adminKey: nodeA.adminKey });
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await db?.dispose();
  });

  it('stops a key revoked on one node at once there and on the others (contract: DELETE /keys)', async () => {
    const t = await nodeA.createTenant();
    // Created on A, used on B at once: B has never seen it, so it asks the database.
    assert.equal((await overview(nodeB, t.key)).status, 200);
    assert.equal((await overview(nodeA, t.key)).status, 200);
    assert.equal((await overview(nodeB, t.key)).status, 200);
    assert.equal((await nodeA.request('DELETE', `/keys/${t.keyId}`)).status, 200);
    assert.equal((await overview(nodeA, t.key)).status, 401, 'at once on the node that revoked it');
    assert.equal((await overview(nodeB, t.key)).status, 401, 'at once on the other node too');
    // Revoking it again through B (already revoked) makes B forget it at once as well.
    assert.equal((await nodeB.request('DELETE', `/keys/${t.keyId}`)).status, 200);
    assert.equal((await overview(nodeB, t.key)).status, 401);
  });
});
