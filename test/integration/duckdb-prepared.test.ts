/**
 * DuckDB keeps parameterised statements prepared per connection (runQuery in
 * src/storage/duckdb/index.ts). A kept statement must answer exactly as a fresh one would: after
 * the table it reads was altered, dropped and created again, when a parameter's type changes,
 * after a run that failed, and inside the writer's transactions with temporary tables.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { Storage } from '../../src/storage/types.ts';

/** More runs than the storage has reader connections, so every reader has the statement prepared. */
const REPEAT = 8;

describe('DuckDB prepared statements', () => {
  let dir: string;
  let storage: Storage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-prepared-'));
    storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '256MB', threads: 2 });
    await storage.migrate();
  });
  after(async () => {
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function everyReader<T extends object>(sql: string, params: unknown[]): Promise<T[][]> {
    const answers: T[][] = [];
    for (let i = 0; i < REPEAT; i++) answers.push(await storage.query<T>(sql, params as never));
    return answers;
  }

  it('a kept statement answers for new parameters and follows ALTER, DROP and CREATE of its table', async () => {
    await storage.query('CREATE TABLE prep_t (id INTEGER, label TEXT)');
    await storage.query(`INSERT INTO prep_t VALUES (1, 'one'), (2, 'two')`);
    const sql = 'SELECT * FROM prep_t WHERE id >= $1 ORDER BY id';
    for (const rows of await everyReader(sql, [1])) assert.deepEqual(rows, [{ id: 1, label: 'one' }, { id: 2, label: 'two' }]);
    for (const rows of await everyReader(sql, [2])) assert.deepEqual(rows, [{ id: 2, label: 'two' }]);

    await storage.query(`ALTER TABLE prep_t ADD COLUMN extra TEXT DEFAULT 'x'`);
    for (const rows of await everyReader(sql, [2])) assert.deepEqual(rows, [{ id: 2, label: 'two', extra: 'x' }]);

    await storage.query('DROP TABLE prep_t');
    await storage.query('CREATE TABLE prep_t (id BIGINT, score DOUBLE)');
    await storage.query('INSERT INTO prep_t VALUES (5, 0.25)');
    for (const rows of await everyReader(sql, [1])) assert.deepEqual(rows, [{ id: 5, score: 0.25 }]);
  });

  it('a kept statement sees rows committed after it ran, even when the table statistics then ruled every row out', async () => {
    // DuckDB plans a statement with constants against the table's statistics and keeps that plan:
    // prepared once as `WHERE day >= 100` over days 0–49 it answers 0 forever after, whatever is
    // inserted (measured with 1.5.6). A statement with parameters is planned again at each run, which
    // is why only those are kept; this pins that for a report-shaped read whose parameters repeat.
    await storage.query('CREATE TABLE prep_days (tenant_id TEXT, day BIGINT, n BIGINT)');
    await storage.query(`INSERT INTO prep_days SELECT 'a', range % 50, 1 FROM range(200000)`);
    const sql = 'SELECT count(*) AS runs, coalesce(sum(n), 0) AS n FROM prep_days WHERE tenant_id = $1 AND day >= $2 AND day < $3';
    for (const rows of await everyReader(sql, ['a', 100, 200])) assert.deepEqual(rows, [{ runs: 0, n: 0 }]);
    await storage.transaction(async (tx) => {
      await tx.query(`INSERT INTO prep_days SELECT 'a', 100 + range % 5, 2 FROM range(1000)`);
    });
    for (const rows of await everyReader(sql, ['a', 100, 200])) assert.deepEqual(rows, [{ runs: 1000, n: 2000 }]);
    await storage.query('DROP TABLE prep_days');
  });

  it('a parameter whose type changes between runs is bound again', async () => {
    const sql = 'SELECT $1 AS v';
    for (const value of [1, 'text', 2.5, null, 'again', 7]) {
      for (const rows of await everyReader<{ v: unknown }>(sql, [value])) assert.deepEqual(rows, [{ v: value }]);
    }
    const list = 'SELECT len($1) AS n';
    for (const rows of await everyReader<{ n: number }>(list, [[1, 2, 3]])) assert.deepEqual(rows, [{ n: 3 }]);
    for (const rows of await everyReader<{ n: number }>(list, [['a']])) assert.deepEqual(rows, [{ n: 1 }]);
  });

  it('a run that failed leaves the statement usable', async () => {
    const sql = 'SELECT CAST($1 AS INTEGER) AS v';
    for (let i = 0; i < REPEAT; i++) {
      await assert.rejects(storage.query(sql, ['not a number']), /Could not convert|Conversion/i);
      assert.deepEqual(await storage.query(sql, ['41']), [{ v: 41 }]);
    }
  });

  it('several statements with parameters still run (not prepared as one)', async () => {
    assert.deepEqual(await storage.query('SELECT 1 AS a; SELECT $1 AS v', [9]), [{ v: 9 }]);
  });

  it('in the writer: a temporary table created anew in each transaction is read afresh', async () => {
    for (let round = 0; round < 4; round++) {
      const rows = await storage.transaction(async (tx) => {
        await tx.query(`CREATE TEMP TABLE prep_stage (k TEXT, n INTEGER)`);
        await tx.query('INSERT INTO prep_stage VALUES ($1, $2), ($3, $4)', [`a${round}`, round, `b${round}`, round * 10]);
        const out = await tx.query<{ k: string; n: number }>('SELECT k, n FROM prep_stage WHERE n >= $1 ORDER BY k', [0]);
        await tx.query('DROP TABLE prep_stage');
        return out;
      });
      assert.deepEqual(rows, [
        { k: `a${round}`, n: round },
        { k: `b${round}`, n: round * 10 },
      ]);
    }
  });
});
