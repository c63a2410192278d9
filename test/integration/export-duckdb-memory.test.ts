/**
 * DuckDB raw CSV export, the memory side (src/storage/duckdb/csv-records.ts, index.ts): slices are
 * sorted on the stored columns and formatted after the sort, which must keep the sort's order even
 * when DuckDB scans several row groups on several threads; and DuckDB's memory limit is lowered
 * while exports run, then restored.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRawCsvStream } from '../../src/export/raw-export.ts';
import type { ReportQuery } from '../../src/reports/common.ts';
import { sizeBytes } from '../../src/config.ts';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { SqlValue, Storage } from '../../src/storage/types.ts';

const T0 = Date.UTC(2026, 2, 1);
/** More than two row groups (122,880 rows each), so the scan under a slice's sort is parallel. */
const RUNS = 300_000;
const COLUMNS = ['tenant_id', 'id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at_ms', 'finished_at_ms', 'duration_ms'];

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

const memoryLimit = async (storage: Storage) =>
  (await storage.query<{ value: string }>("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"))[0]!.value;

describe('DuckDB raw CSV export memory', () => {
  let dir: string;
  let storage: Storage;
  const q: ReportQuery = { fromMs: 0, toMs: T0 + 30 * 86_400_000, tz: 'UTC', tenantIds: ['big'] };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-export-memory-'));
    storage = await createDuckDbStorage({
      path: join(dir, 'atom.duckdb'),
      memoryLimit: '512MB',
      threads: 2,
      exportSliceRows: 40_000,
      exportMemoryLimit: '64MB',
    });
    await storage.migrate();
    const random = rng(42);
    // Stored in random order, with many equal start times (ties broken by id), two tenants mixed.
    const order = Array.from({ length: RUNS }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    await storage.transaction(async (tx) => {
      await tx.insertMany('tenants', ['tenant_id', 'name', 'created_at_ms'], [['big', 'Big', 0], ['other', 'Other', 0]]);
      const rows: SqlValue[][] = order.map((i) => {
        const started = T0 + Math.floor(i / 3) * 7_000;
        return [i % 5 === 4 ? 'other' : 'big', `run-${(i * 7919) % 1_000_003}`, 'wf', 'nightly', 'api', 'succeeded', started, started + 500, 500];
      });
      await tx.insertMany('workflow_runs', COLUMNS, rows);
    });
  });
  after(async () => {
    await storage?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('slices keep the sort order: time, then id, byte-wise', async () => {
    const text = await readAll(await openRawCsvStream(storage, 'workflow_runs', q));
    const lines = text.split('\r\n').slice(1, -1);
    assert.equal(lines.length, RUNS - RUNS / 5);
    let previous = '';
    for (const line of lines) {
      const cells = line.split(',');
      assert.equal(cells[1], 'big');
      // started_at (ISO 8601, fixed width, so text order is time order), then id.
      const key = `${cells[6]} ${cells[0]}`;
      assert.ok(previous < key, `${previous} before ${key}`);
      previous = key;
    }
  });

  it('lowers the memory limit while an export runs, and restores it after', async () => {
    const normal = await memoryLimit(storage);
    const stream = await openRawCsvStream(storage, 'workflow_runs', q);
    const during = await memoryLimit(storage);
    assert.ok(sizeBytes(during.replace(/\s/g, '')) < sizeBytes(normal.replace(/\s/g, '')), `${during} < ${normal}`);
    await readAll(stream);
    // Restored once the export has given its connection back.
    for (let i = 0; i < 50 && (await memoryLimit(storage)) !== normal; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await memoryLimit(storage), normal);
  });

  it('restores the memory limit when the client goes away mid-export', async () => {
    const normal = await memoryLimit(storage);
    const stream = await openRawCsvStream(storage, 'workflow_runs', q);
    for await (const _ of stream) break; // destroys the stream after its first chunk
    for (let i = 0; i < 100 && (await memoryLimit(storage)) !== normal; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await memoryLimit(storage), normal);
  });

  it('reads DuckDB sizes', () => {
    assert.equal(sizeBytes('128MB'), 128e6);
    assert.equal(sizeBytes('1 GiB'), 2 ** 30);
    assert.equal(sizeBytes('488.2MiB'), 488.2 * 2 ** 20);
    assert.ok(Number.isNaN(sizeBytes('lots')));
  });
});

describe('DuckDB raw CSV export of wide rows', () => {
  it('cuts slices by stored bytes too: 60k incidents with 1,000-character titles export under a 48MB limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atom-export-wide-'));
    // ≈ 1.3 KB a row, ≈ 78 MB in all: one 100k-row slice would not fit DuckDB's sort at 48MB.
    const storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '48MB', threads: 2 });
    try {
      await storage.migrate();
      const N = 60_000;
      const title = 't'.repeat(990);
      const columns = ['tenant_id', 'id', 'service', 'severity', 'title', 'opened_at_ms', 'acknowledged_at_ms', 'resolved_at_ms'];
      await storage.transaction((tx) => tx.insertMany('tenants', ['tenant_id', 'name', 'created_at_ms'], [['wide', 'Wide', 0]]));
      for (let b = 0; b < N; b += 10_000) {
        const rows: SqlValue[][] = Array.from({ length: 10_000 }, (_, k) => {
          const i = b + k;
          return ['wide', `incident-${'i'.repeat(200)}-${String(i).padStart(6, '0')}`, 'api', 'high', `${i} ${title}`, T0 + (i % 1000) * 60_000, null, null];
        });
        await storage.transaction((tx) => tx.insertMany('incidents', columns, rows));
      }
      const text = await readAll(await openRawCsvStream(storage, 'incidents', { fromMs: 0, toMs: T0 + 86_400_000, tz: 'UTC', tenantIds: ['wide'] }));
      const lines = text.split('\r\n').slice(1, -1);
      assert.equal(lines.length, N);
      // Export order: opened_at, then id; every row once.
      const ids = lines.map((l) => /incident-i+-(\d{6})/.exec(l)![1]!);
      assert.equal(new Set(ids).size, N);
      const expected = Array.from({ length: N }, (_, i) => i)
        .sort((x, y) => x % 1000 - y % 1000 || x - y)
        .map((i) => String(i).padStart(6, '0'));
      assert.deepEqual(ids, expected);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
