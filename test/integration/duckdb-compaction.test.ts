/**
 * DuckDB appends rollup deltas and compacts each table on its own once its delta rows reach a
 * quarter of its compacted size (and at least `compactMinRows`): large tables are rewritten
 * less often as they grow, small ones stay small, and no answer changes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { Storage } from '../../src/storage/types.ts';
import { storeValidated } from '../helpers/engines.ts';

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1, 12);

let seq = 0;
function run(day: number): unknown {
  const started = BASE + day * DAY;
  return {
    id: `r${++seq}`,
    tenant_id: 'ca',
    workflow_id: 'w',
    service: 's',
    status: 'succeeded',
    started_at: new Date(started).toISOString(),
    finished_at: new Date(started + 1000).toISOString(),
    duration_ms: 1000,
  };
}


const rowsOf = async (s: Storage) => Number((await s.query<{ n: number }>('SELECT count(*) AS n FROM rollup_runs_day'))[0]!.n);
const sums = async (s: Storage) =>
  (await s.query<{ day: number; runs: number }>('SELECT day, sum(runs) AS runs FROM rollup_runs_day GROUP BY day ORDER BY day')).map((r) => [Number(r.day), Number(r.runs)]);
const rawSums = async (s: Storage) =>
  (await s.query<{ day: number; runs: number }>(`SELECT started_at_ms // ${DAY} AS day, count(*) AS runs FROM workflow_runs GROUP BY 1 ORDER BY 1`)).map((r) => [
    Number(r.day),
    Number(r.runs),
  ]);

describe('DuckDB rollup compaction at ingest', () => {
  let dir: string;
  let storage: Storage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-compaction-'));
    storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '256MB', threads: 1, startupCompactDelayMs: -1, compactMinRows: 4 });
    await storage.migrate();
  });
  after(async () => {
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('compacts a table once its deltas reach a quarter of its size, and no answer changes', async () => {
    // 400 days in one batch: 400 delta rows, above the minimum, so the table is compacted to 400 keys.
    await storeValidated(storage, 'workflow_runs', Array.from({ length: 400 }, (_, d) => run(d)));
    assert.equal(await rowsOf(storage), 400);
    // One run per batch on day 7: one delta row each. A quarter of 400 is 100: 99 stay appended...
    for (let i = 0; i < 99; i++) await storeValidated(storage, 'workflow_runs', [run(7)]);
    assert.equal(await rowsOf(storage), 499);
    assert.deepEqual(await sums(storage), await rawSums(storage));
    // ...the 100th makes the table due: one row per key again.
    await storeValidated(storage, 'workflow_runs', [run(7)]);
    assert.equal(await rowsOf(storage), 400);
    assert.deepEqual(await sums(storage), await rawSums(storage));
    assert.deepEqual((await sums(storage))[7], [Math.floor((BASE + 7 * DAY) / DAY), 101]);
  });

  it('a small table is compacted at the minimum', async () => {
    const rows = await storage.query<{ n: number }>('SELECT count(*) AS n FROM rollup_runs_day WHERE day = $1', [Math.floor((BASE + 900 * DAY) / DAY)]);
    assert.equal(Number(rows[0]!.n), 0);
    // rollup_runs (15-minute slots) holds 400 keys as well; tenant_services holds one: its threshold is
    // the minimum, 4, so it never holds more than 4 rows for its one key.
    for (let i = 0; i < 10; i++) {
      await storeValidated(storage, 'workflow_runs', [run(900)]);
      const n = Number((await storage.query<{ n: number }>('SELECT count(*) AS n FROM tenant_services'))[0]!.n);
      assert.ok(n <= 4, `tenant_services holds ${n} rows for one key`);
    }
    const services = await storage.query<{ records: number }>('SELECT sum(records) AS records FROM tenant_services');
    assert.equal(Number(services[0]!.records), 400 + 100 + 10);
  });
});
