/**
 * Property-based fuzzing of every endpoint of /openapi.json on a real listening server, on each
 * engine. Over 10,000 generated requests in all (both engines); for every answer:
 *
 * - never a 5xx; never a stack trace, SQL, a database error or an internal path in the body;
 * - every non-2xx answer is JSON in exactly the contract's error shape;
 * - a rejected request changes nothing stored (per-table, per-tenant row hashes and the audit
 *   directory, compared before and after), an accepted one by a tenant key only its own tenant;
 * - nothing but the public endpoints answers 2xx without a valid key, no admin endpoint answers
 *   2xx to a tenant key, no request naming the other tenant is accepted for a tenant key, and no
 *   answer to a tenant key contains the other tenant's id.
 *
 * The seed is fixed (printed; vary it with ATOM_FUZZ_SEED); ATOM_FUZZ_SCALE multiplies the runs;
 * ATOM_FUZZ_SHRINK=1 shrinks a failure to a minimal request (slower); ATOM_FUZZ_STATS=1 prints
 * the answers per operation and status.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachEngine } from '../helpers/engines.ts';
import { cheapRequests, ingestRequests, readRequests, writeRequests, type FuzzRequest, type FuzzWorld } from './arbitraries.ts';
import { changedEntries, createDataSnapshot, tenantOfEntry, type DataSnapshot, type Fingerprint } from './data-snapshot.ts';
import { createRawClient, type RawClient, type RawResponse } from './raw-client.ts';
import { checkResponse, StoredText } from './response-checks.ts';

const SEED = process.env.ATOM_FUZZ_SEED ? Number(process.env.ATOM_FUZZ_SEED) : 20_260_301;
const SCALE = process.env.ATOM_FUZZ_SCALE ? Number(process.env.ATOM_FUZZ_SCALE) : 1;
const SHRINK = process.env.ATOM_FUZZ_SHRINK === '1';
assert.ok(Number.isInteger(SEED), 'ATOM_FUZZ_SEED must be an integer');
assert.ok(SCALE > 0, 'ATOM_FUZZ_SCALE must be positive');

/** Runs per property and engine; requests per run in brackets. Sum per engine: ~5,250. */
const RUNS = {
  read: Math.ceil(650 * SCALE), // [3, concurrently]
  write: Math.ceil(850 * SCALE), // [1]
  ingest: Math.ceil(1150 * SCALE), // [1]
  cheap: Math.ceil(325 * SCALE), // [4, concurrently]
};
const MIN_REQUESTS_PER_ENGINE = Math.floor(5_000 * SCALE);

const PUBLIC_OPS = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /docs', 'GET /']);

process.stdout.write(`# fuzz seed ${SEED} (ATOM_FUZZ_SEED to vary), scale ${SCALE}\n`);

function fcParams(offset: number, numRuns: number) {
  return { seed: SEED + offset, numRuns, endOnFailure: !SHRINK, includeErrorInReport: true };
}

await describeEachEngine('fuzzing every endpoint', (engine) => {
  let app: TestApp;
  let client: RawClient;
  let snapshot: DataSnapshot;
  let exportDir: string;
  let world: FuzzWorld;
  let operations: { method: string; path: string }[];
  let baseline: Fingerprint | null = null;
  const spent = { requests: 0, snapshots: 0, checks: 0 };
  /** Answers per operation and status (printed at the end: shows how deep the fuzzing got). */
  const statuses = new Map<string, Map<number, number>>();
  const stored = new StoredText();
  let started = 0;
  const aId = `fuzz-tenant-a-${engine}`;
  const bId = `fuzz-tenant-b-${engine}`;

  before(async () => {
    started = performance.now();
    exportDir = await mkdtemp(join(tmpdir(), 'atom-fuzz-exports-'));
    app = await startTestApp(engine, { EXPORT_DIR: exportDir });
    const a = await app.createTenant(aId, 'Fuzz A');
    const b = await app.createTenant(bId, 'Fuzz B');
    const revoked = await app.createTenant(`fuzz-revoked-${engine}`);
    assert.equal((await app.request('DELETE', `/keys/${revoked.keyId}`)).status, 200);
    const spare: string[] = [];
    for (let i = 0; i < 3; i++) {
      const k = await app.request('POST', `/tenants/${a.id}/keys`, { body: { name: `spare ${i}` } });
      spare.push(k.body.key_id);
    }
    // Some real data for each, so reports and exports have rows to compute over.
    for (const t of [a, b]) {
      const tag = t.id === a.id ? 'A' : 'B';
      const ok = await app.request('POST', '/ingest/workflow_runs', {
        key: t.key,
        body: [
          { id: `${tag}-run-1`, workflow_id: 'wf', service: `svc-${tag}`, status: 'failed', started_at: '2026-03-01T10:00:00Z', finished_at: '2026-03-01T10:01:00Z' },
          { id: `${tag}-run-2`, workflow_id: 'wf', service: `svc-${tag}`, status: 'succeeded', started_at: '2026-03-02T10:00:00Z', finished_at: '2026-03-02T10:00:30Z' },
        ],
      });
      assert.equal(ok.status, 200, ok.text);
      await app.request('POST', '/ingest/incidents', {
        key: t.key,
        body: [{ id: `${tag}-inc-1`, service: `svc-${tag}`, severity: 'critical', opened_at: '2026-03-01T10:00:00Z', resolved_at: '2026-03-01T12:00:00Z' }],
      });
      await app.request('POST', '/ingest/metrics', {
        key: t.key,
        body: [{ service: `svc-${tag}`, ts: '2026-03-01T10:00:00Z', p95_latency_ms: 250, throughput_rps: 12, error_rate: 0.02 }],
      });
      await app.request('POST', '/ingest/predictions', {
        key: t.key,
        body: [{ id: `${tag}-pred-1`, model: 'm1', predicted_at: '2026-03-01T09:00:00Z', failure_probability: 0.8, workflow_run_id: `${tag}-run-1` }],
      });
    }
    const doc = await app.request('GET', '/openapi.json', { key: null });
    assert.equal(doc.status, 200);
    operations = [];
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.body.paths)) {
      for (const method of Object.keys(item)) operations.push({ method: method.toUpperCase(), path });
    }
    const exportOp = doc.body.paths['/export/csv/{type}'].get;
    const typeParam = exportOp.parameters.find((p: { name: string }) => p.name === 'type');
    world = {
      adminKey: app.adminKey,
      a: { id: a.id, key: a.key },
      b: { id: b.id, key: b.key },
      revokedKey: revoked.key,
      spareKeyIds: spare,
      exportTypes: typeParam.schema.enum,
      kinds: ['workflow_runs', 'incidents', 'metrics', 'predictions'],
    };
    client = createRawClient(app.url, 8);
    const dataDir = app.db.env.DATA_DIR;
    snapshot = await createDataSnapshot(app.server.storage, {
      exportDir,
      // DuckDB writes one of these on every commit that changes data: unchanged, no query needed.
      databaseFiles: dataDir ? [join(dataDir, 'atom.duckdb'), join(dataDir, 'atom.duckdb.wal')] : [],
    });
  });

  after(async () => {
    const seconds = (performance.now() - started) / 1000;
    const s = (ms: number) => (ms / 1000).toFixed(1);
    if (client) {
      process.stdout.write(
        `# fuzz [${engine}]: ${client.count} requests in ${seconds.toFixed(1)} s (requests ${s(spent.requests)} s, data snapshots ${s(spent.snapshots)} s, checks ${s(spent.checks)} s; seed ${SEED})\n`,
      );
      if (process.env.ATOM_FUZZ_STATS === '1') {
        for (const [op, counts] of [...statuses].sort()) {
          const byStatus = [...counts].sort((x, y) => x[0] - y[0]).map(([st, n]) => `${st}×${n}`);
          process.stdout.write(`#   ${op}: ${byStatus.join(' ')}\n`);
        }
      }
    }
    client?.close();
    await app?.close();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
  });

  /** The actor a request's Authorization header stands for: 'admin', a tenant id, or null. */
  function actorOf(r: FuzzRequest): string | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(r.headers?.authorization ?? '');
    if (!m) return null;
    if (m[1] === world.adminKey) return 'admin';
    if (m[1] === world.a.key) return world.a.id;
    if (m[1] === world.b.key) return world.b.id;
    return null;
  }

  /** Whether the request names a fuzz tenant other than `tenant` in its path, query or body. */
  function namesOtherTenant(r: FuzzRequest, tenant: string): boolean {
    const other = tenant === world.a.id ? world.b.id : world.a.id;
    const [pathPart, queryPart = ''] = r.path.split('?', 2);
    const segments = pathPart!.split('/').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    if (segments.includes(other)) return true;
    if (new URLSearchParams(queryPart).getAll('tenant_id').includes(other)) return true;
    const text = r.body === undefined ? '' : r.body.toString();
    return text.includes(other);
  }

  /**
   * Sends a batch concurrently and checks every answer, then the stored data: unchanged unless a
   * request was accepted, and changed only for the tenants whose keys were accepted (the admin
   * may change anything; an accepted audit export adds its files).
   */
  async function runBatch(reqs: FuzzRequest[]): Promise<RawResponse[]> {
    let t0 = performance.now();
    const beforeFp = baseline ?? (await snapshot.take());
    baseline = null;
    let t1 = performance.now();
    spent.snapshots += t1 - t0;
    const results = await Promise.all(reqs.map((r) => client.send(r)));
    t0 = performance.now();
    spent.requests += t0 - t1;
    let adminWrote = false;
    const mayChange = new Set<string | null>();
    reqs.forEach((r, i) => {
      const res = results[i]!;
      const accepted = res.status < 300;
      const perOp = statuses.get(r.op) ?? new Map<number, number>();
      perOp.set(res.status, (perOp.get(res.status) ?? 0) + 1);
      statuses.set(r.op, perOp);
      checkResponse(r, res, { stored, allowPaths: r.op === 'POST /export/audit' && accepted });
      const actor = actorOf(r);
      const what = `${r.method} ${r.path.slice(0, 200)} [${r.headers?.authorization?.slice(0, 20) ?? 'no key'}] → ${res.status} ${res.text.slice(0, 300)}`;
      if (!accepted) return;
      assert.ok(actor !== null || PUBLIC_OPS.has(r.op), `only public endpoints answer 2xx without a valid key: ${what}`);
      if (actor !== null && actor !== 'admin' && !PUBLIC_OPS.has(r.op)) {
        assert.ok(!/^\/(tenants|keys)\b/.test(r.path), `an admin endpoint never answers 2xx to a tenant key: ${what}`);
        assert.ok(!namesOtherTenant(r, actor), `a tenant key naming the other tenant is never accepted: ${what}`);
        const other = actor === world.a.id ? world.b.id : world.a.id;
        assert.ok(!res.text.includes(other), `an answer to a tenant key never contains the other tenant's id: ${what}`);
      }
      if (r.method === 'GET' || r.method === 'HEAD') return;
      stored.rememberBody(r.body);
      if (actor === 'admin') adminWrote = true;
      else mayChange.add(actor);
      if (r.op === 'POST /export/audit') mayChange.add('audit files');
    });
    t1 = performance.now();
    spent.checks += t1 - t0;
    const afterFp = await snapshot.take();
    spent.snapshots += performance.now() - t1;
    if (!adminWrote) {
      const forbidden = changedEntries(beforeFp, afterFp).filter((k) => {
        const tenant = tenantOfEntry(k) ?? k.slice(0, k.indexOf('/'));
        return !mayChange.has(tenant);
      });
      assert.deepEqual(
        forbidden,
        [],
        `stored data changed by rejected requests (or by a tenant key outside its tenant): ${reqs
          .map((r, i) => `${r.method} ${r.path.slice(0, 200)} ${String(r.body ?? '').slice(0, 300)} → ${results[i]!.status}`)
          .join(' | ')}`,
      );
    }
    baseline = afterFp;
    return results;
  }

  it('fuzzes every operation of /openapi.json', () => {
    const covered = new Set([...Object.keys(readRequests(world)), ...Object.keys(writeRequests(world)), ...Object.keys(ingestRequests(world))]);
    const documented = operations.map((o) => `${o.method} ${o.path}`);
    assert.deepEqual(documented.filter((op) => !covered.has(op)), [], 'every documented operation has a request generator');
    assert.deepEqual([...covered].filter((op) => !documented.includes(op)), [], 'every generator targets a documented operation');
  });

  it('never fails on hostile report, export, list and operations queries (GET), and they change nothing', async () => {
    const ops = readRequests(world);
    const weight = (op: string) => (op.startsWith('GET /reports') || op.startsWith('GET /export') ? 6 : op === 'GET /tenants' ? 3 : 1);
    const anyRead = fc.oneof(...Object.entries(ops).map(([op, arbitrary]) => ({ weight: weight(op), arbitrary })));
    await fc.assert(
      fc.asyncProperty(fc.array(anyRead, { minLength: 3, maxLength: 3 }), async (reqs) => {
        await runBatch(reqs);
      }),
      fcParams(1, RUNS.read),
    );
  });

  it('never fails on hostile admin writes and audit exports, and rejected ones store nothing', async () => {
    const anyWrite = fc.oneof(...Object.values(writeRequests(world)));
    await fc.assert(
      fc.asyncProperty(anyWrite, async (req) => {
        await runBatch([req]);
      }),
      fcParams(2, RUNS.write),
    );
  });

  it('never fails on hostile ingest of every kind as JSON and NDJSON, and rejected batches store nothing', async () => {
    const ingest = ingestRequests(world)['POST /ingest/{kind}']!;
    await fc.assert(
      fc.asyncProperty(ingest, async (req) => {
        await runBatch([req]);
      }),
      fcParams(3, RUNS.ingest),
    );
  });

  it('answers requests without a valid key, tenant keys on admin endpoints, wrong methods and unknown paths in the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cheapRequests(world, operations), { minLength: 4, maxLength: 4 }), async (reqs) => {
        await runBatch(reqs);
      }),
      fcParams(4, RUNS.cheap),
    );
  });

  it('is still healthy and serves both tenants after the fuzzing', async () => {
    assert.equal((await app.request('GET', '/readyz', { key: null })).status, 200);
    for (const t of [world.a, world.b]) {
      const res = await app.request('GET', `/reports/overview?from=2026-03-01&to=2026-03-08`, { key: t.key });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.rows.map((r: { tenant_id: string }) => r.tenant_id), [t.id]);
    }
    assert.ok(client.count >= MIN_REQUESTS_PER_ENGINE, `at least ${MIN_REQUESTS_PER_ENGINE} fuzz requests on ${engine}, sent ${client.count}`);
  });
});
