/**
 * DuckDB's write transaction keeps one appender per table open until the next statement or the
 * commit (src/storage/duckdb/index.ts, makeTx). Appended rows must be visible to the
 * transaction's next statement, committed together, and gone when the transaction fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { Storage } from '../../src/storage/types.ts';

const COLUMNS = ['tenant_id', 'service', 'records', 'samples'] as const;

describe('DuckDB appenders in a write transaction', () => {
  let dir: string;
  let storage: Storage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-appenders-'));
    storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: '256MB', threads: 1, recordKeyIndex: false });
    await storage.migrate();
  });
  after(async () => {
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (tenant: string) =>
    Number((await storage.query<{ n: number }>('SELECT count(*) AS n FROM tenant_services WHERE tenant_id = $1', [tenant]))[0]!.n);

  it('rows appended in several calls are seen by the next statement and committed together', async () => {
    const seen = await storage.transaction(async (tx) => {
      await tx.insertMany('tenant_services', COLUMNS, [['ap-a', 'api-1', 1, 1]]);
      await tx.insertMany('tenant_services', COLUMNS, [['ap-b', 'api-1', 1, 2], ['ap-b', 'web-2', 1, 3]]);
      const inside = await tx.query<{ tenant_id: string; n: number }>(
        `SELECT tenant_id, count(*) AS n FROM tenant_services WHERE tenant_id IN ('ap-a', 'ap-b') GROUP BY tenant_id ORDER BY tenant_id`,
      );
      // Appended after a statement: a new appender, flushed at the commit.
      await tx.insertMany('tenant_services', COLUMNS, [['ap-a', 'web-2', 1, 4]]);
      return inside;
    });
    assert.deepEqual(seen, [
      { tenant_id: 'ap-a', n: 1 },
      { tenant_id: 'ap-b', n: 2 },
    ]);
    assert.equal(await count('ap-a'), 2);
    assert.equal(await count('ap-b'), 2);
  });

  it('a transaction that fails after appending leaves nothing, and the next one works', async () => {
    await assert.rejects(
      storage.transaction(async (tx) => {
        await tx.insertMany('tenant_services', COLUMNS, [['ap-c', 'api-1', 1, 1]]);
        await tx.query('SELECT count(*) FROM tenant_services');
        await tx.insertMany('tenant_services', COLUMNS, [['ap-c', 'api-2', 1, 1]]);
        throw new Error('stop');
      }),
      /stop/,
    );
    assert.equal(await count('ap-c'), 0);
    await assert.rejects(
      storage.transaction(async (tx) => {
        await tx.insertMany('tenant_services', COLUMNS, [['ap-c', 'api-1', 1, 1]]);
        // A statement that fails: the open appender was flushed before it, and is rolled back with it.
        await tx.query('SELECT * FROM no_such_table');
      }),
      /no_such_table/,
    );
    assert.equal(await count('ap-c'), 0);
    await storage.transaction(async (tx) => tx.insertMany('tenant_services', COLUMNS, [['ap-c', 'api-3', 1, 1]]));
    assert.equal(await count('ap-c'), 1);
  });

  it('a row the table rejects when the appenders are closed at the commit fails the transaction, and nothing of it is kept', async () => {
    await assert.rejects(
      storage.transaction(async (tx) => {
        await tx.insertMany('tenant_services', COLUMNS, [['ap-d', 'api', 1, 1]]);
        await tx.insertMany('tenant_services', COLUMNS, [['ap-d', null, 1, 1]]);
      }),
      /NOT NULL/,
    );
    assert.equal(await count('ap-d'), 0);
  });
});
