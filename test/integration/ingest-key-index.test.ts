/**
 * The DuckDB record-key index (src/storage/duckdb/key-index.ts): it never says "absent" for a
 * stored key, survives restarts (rebuilt from the rows), ignores rolled-back batches, follows
 * raw SQL writes, and ingest through it keeps exact inserted/updated/unchanged counts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Rec } from '../../src/ingest/ingest-service.ts';
import { KIND_SPECS, type IngestKindName } from '../../src/ingest/kinds.ts';
import { validateBatch } from '../../src/ingest/validate.ts';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import { duckdbHashBigInt, KeyTable } from '../../src/storage/duckdb/key-index.ts';
import type { SqlValue, Storage } from '../../src/storage/types.ts';
import { storeValidated } from '../helpers/engines.ts';

const BASE = Date.UTC(2026, 2, 7, 20, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function run(id: string, startMs: number, status = 'succeeded', tenant = 'ka'): Record<string, unknown> {
  return {
    id,
    tenant_id: tenant,
    workflow_id: 'wf',
    service: 'api',
    status,
    started_at: iso(startMs),
    ...(status === 'running' ? {} : { finished_at: iso(startMs + 60_000) }),
  };
}


async function openStorage(dir: string): Promise<Storage> {
  const storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '256MB', threads: 1 });
  await storage.migrate();
  return storage;
}

async function ready(storage: Storage): Promise<void> {
  const idx = storage.capabilities.recordKeys!;
  await idx.settled();
  assert.equal(idx.state, 'ready');
}

function locate(storage: Storage, kind: IngestKindName, records: unknown[]) {
  const spec = KIND_SPECS[kind];
  const v = validateBatch(kind, records, { tenantId: null });
  const rows = (v.records as unknown as Rec[]).map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue));
  return storage.capabilities.recordKeys!.locate(spec.table, spec.columns, rows);
}

describe('key index: hash', () => {
  it("equals DuckDB's hash() on random strings", async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const samples = fc.sample(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 20 })), 300);
      // Lone surrogates cannot round-trip through UTF-8; validation rejects them anyway.
      const usable = samples.filter((s) => !/\p{Cs}/u.test(s) && !s.includes('\u0000'));
      const reader = await conn.runAndReadAll('SELECT s, hash(s) FROM (SELECT unnest($1::VARCHAR[]) AS s)', [
        (await import('@duckdb/node-api')).listValue(usable),
      ]);
      for (const [s, h] of reader.getRows()) assert.equal(duckdbHashBigInt(String(s)), h as bigint, JSON.stringify(s));
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});

describe('key index: table', () => {
  it('never says absent for a key it holds, up to its maximum load', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffff)), { minLength: 1, maxLength: 3000 }), (keys) => {
        const t = new KeyTable(keys.length / 1.6);
        const added: [number, number, number][] = [];
        for (const k of keys) {
          if (!t.add(...k)) break;
          added.push(k);
        }
        for (const [hi, lo, day] of added) {
          const days: number[] = [];
          t.find(hi, lo, days);
          assert.ok(days.includes(day));
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('key index: DuckDB storage', () => {
  let dir: string;
  let storage: Storage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-keyindex-'));
    storage = await openStorage(dir);
  });
  after(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips only absent keys and keeps exact counts', async () => {
    await ready(storage);
    const batch = Array.from({ length: 50 }, (_, i) => run(`r${i}`, BASE + i * 3_600_000));
    assert.deepEqual(locate(storage, 'workflow_runs', batch)?.every((x) => x === null), true);
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch), { inserted: 50, updated: 0, unchanged: 0 });
    const where = locate(storage, 'workflow_runs', batch)!;
    assert.ok(where.every((x) => x !== null && x.length >= 1));
    // Unchanged, updated in place, moved in time (another day), and new, in one batch.
    const mixed = [
      ...batch.slice(0, 10),
      ...batch.slice(10, 20).map((r) => ({ ...r, status: 'failed' })),
      ...Array.from({ length: 10 }, (_, i) => run(`r${20 + i}`, BASE + 40 * 86_400_000 + i)),
      ...Array.from({ length: 5 }, (_, i) => run(`new${i}`, BASE)),
    ];
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', mixed), { inserted: 5, updated: 20, unchanged: 10 });
    const n = await storage.query<{ n: number; d: number }>('SELECT count(*) AS n, count(DISTINCT id) AS d FROM workflow_runs');
    assert.deepEqual(n[0], { n: 55, d: 55 });
    // Moving back is found through the entry of the day it moved to.
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch.slice(20, 30)), { inserted: 0, updated: 10, unchanged: 0 });
    // r10–r19 were updated to failed above.
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch), { inserted: 0, updated: 10, unchanged: 40 });
  });

  it('metrics: keyed by time, re-sends are unchanged', async () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({
      tenant_id: 'ka',
      service: i % 2 ? 'api' : 'db|x',
      ts: iso(BASE + i * 300_000),
      p95_latency_ms: 10 + i,
      throughput_rps: 1,
      error_rate: 0,
    }));
    assert.deepEqual(await storeValidated(storage, 'metrics', samples), { inserted: 20, updated: 0, unchanged: 0 });
    assert.deepEqual(await storeValidated(storage, 'metrics', samples), { inserted: 0, updated: 0, unchanged: 20 });
    const changed = samples.map((s) => ({ ...s, error_rate: 0.5 }));
    assert.deepEqual(await storeValidated(storage, 'metrics', changed), { inserted: 0, updated: 20, unchanged: 0 });
  });

  it('a rolled-back batch does not enter the index', async () => {
    await ready(storage);
    const spec = KIND_SPECS.workflow_runs;
    const v = validateBatch('workflow_runs', [run('ghost', BASE)], { tenantId: null });
    const rows = (v.records as unknown as Rec[]).map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue));
    await assert.rejects(
      storage.transaction(async (tx) => {
        await tx.insertMany('workflow_runs', spec.columns, rows);
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.deepEqual(locate(storage, 'workflow_runs', [run('ghost', BASE)]), [null]);
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', [run('ghost', BASE)]), { inserted: 1, updated: 0, unchanged: 0 });
  });

  it('raw SQL writes to a record table make it rebuild, never miss', async () => {
    await ready(storage);
    await storage.transaction((tx) =>
      tx.query(
        `INSERT INTO workflow_runs (tenant_id, id, workflow_id, service, status, started_at_ms, finished_at_ms, duration_ms)
         VALUES ('ka', 'raw1', 'wf', 'api', 'succeeded', ${BASE}, ${BASE + 60_000}, 60000)`,
      ),
    );
    await storage.query(
      `INSERT INTO workflow_runs (tenant_id, id, workflow_id, service, status, started_at_ms, finished_at_ms, duration_ms)
       VALUES ('ka', 'raw2', 'wf', 'api', 'succeeded', ${BASE}, ${BASE + 60_000}, 60000)`,
    );
    // Whether or not the rebuild has finished, the re-send is not counted as new.
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', [run('raw1', BASE), run('raw2', BASE)]), { inserted: 0, updated: 0, unchanged: 2 });
    await ready(storage);
    assert.ok(locate(storage, 'workflow_runs', [run('raw1', BASE), run('raw2', BASE)])!.every((x) => x !== null));
  });

  it('reads, deletes and writes to other tables leave it ready', async () => {
    await ready(storage);
    const idx = storage.capabilities.recordKeys as unknown as { builds: number };
    const builds = idx.builds;
    await storage.query('/* report */ (SELECT count(*) FROM workflow_runs)');
    await storage.query("-- x\nSELECT id FROM workflow_runs WHERE tenant_id = 'ka' LIMIT 1");
    await storage.transaction(async (tx) => {
      await tx.query("INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ('kz', 'z', 0)");
      await tx.query("DELETE FROM workflow_runs WHERE id = 'nope'");
      await tx.query('INSERT INTO rollup_runs (tenant_id, slot, runs, failed, finished, duration_sum_ms) SELECT tenant_id, 0, 0, 0, 0, 0 FROM workflow_runs LIMIT 0');
    });
    assert.equal(storage.capabilities.recordKeys!.state, 'ready');
    await storage.capabilities.recordKeys!.settled();
    assert.equal(idx.builds, builds);
  });

  it('after a restart, re-sent records are unchanged or updated, not inserted', async () => {
    await storage.close();
    storage = await openStorage(dir);
    const batch = Array.from({ length: 50 }, (_, i) => run(`r${i}`, BASE + i * 3_600_000));
    await storeValidated(storage, 'workflow_runs', batch); // as left by the first test, whatever the order
    await storage.close();
    storage = await openStorage(dir);
    // Before the index is ready (looked up) and after (skipped or bounded): the same answer.
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch), { inserted: 0, updated: 0, unchanged: 50 });
    await ready(storage);
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch), { inserted: 0, updated: 0, unchanged: 50 });
    const updated = batch.map((r, i) => (i % 2 ? { ...r, status: 'failed' } : r));
    assert.deepEqual(await storeValidated(storage, 'workflow_runs', updated), { inserted: 0, updated: 25, unchanged: 25 });
    const n = await storage.query<{ n: number }>("SELECT count(*) AS n FROM workflow_runs WHERE id NOT LIKE 'raw%' AND id LIKE 'r%'");
    assert.equal(n[0]!.n, 50);
  });
});

describe('key index: closing', () => {
  it('releases the database file when closed in the middle of a build', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atom-keyindex-close-'));
    try {
      const storage = await openStorage(dir);
      // Growing past the table's load limit starts background rebuilds; close while one runs.
      for (let b = 0; b < 30; b++) {
        await storeValidated(storage, 'workflow_runs', Array.from({ length: 1000 }, (_, i) => run(`c${b}-${i}`, BASE + i * 1000)));
      }
      await storage.close();
      // The file lock is per process: another process must be able to open the file now.
      const probe = `import('@duckdb/node-api').then(async (m) => { const i = await m.DuckDBInstance.create(${JSON.stringify(
        join(dir, 'atom.duckdb'),
      )}); i.closeSync(); console.log('opened'); }).catch((e) => { console.log('failed: ' + e.message); })`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe], { cwd: process.cwd() });
      assert.equal(stdout.trim(), 'opened');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('key index: off (a CLI report or export opens the file)', () => {
  it('never builds, and ingest still finds every stored key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atom-keyindex-off-'));
    try {
      let storage = await openStorage(dir);
      const batch = Array.from({ length: 40 }, (_, i) => run(`o${i}`, BASE + i * 3_600_000));
      assert.deepEqual(await storeValidated(storage, 'workflow_runs', batch), { inserted: 40, updated: 0, unchanged: 0 });
      await storage.close();
      storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '256MB', threads: 1, recordKeyIndex: false });
      try {
        await storage.migrate();
        const idx = storage.capabilities.recordKeys!;
        assert.equal(idx.state, 'disabled');
        assert.equal(locate(storage, 'workflow_runs', batch), null);
        assert.ok(!storage.startupWork().includes('key_index'));
        const mixed = [...batch.slice(0, 20), ...batch.slice(20).map((r) => ({ ...r, status: 'failed' })), run('o-new', BASE)];
        assert.deepEqual(await storeValidated(storage, 'workflow_runs', mixed), { inserted: 1, updated: 20, unchanged: 20 });
        // A raw write does not wake it up either.
        await storage.query("DELETE FROM workflow_runs WHERE id = 'o-new'");
        await idx.settled();
        assert.equal(idx.state, 'disabled');
        assert.equal((idx as unknown as { builds: number }).builds, 0);
      } finally {
        await storage.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
