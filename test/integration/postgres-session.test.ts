/**
 * Session settings of PostgreSQL connections: PG_WORK_MEM and PG_PARALLEL_WORKERS reach every
 * session (report reads run in scoped read-only transactions, which must keep them), and a
 * malformed value is refused at start with the variable's name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { engineSkip } from '../helpers/engines.ts';

describe('PG_WORK_MEM', () => {
  it('defaults to 32MB and refuses what PostgreSQL would not take', () => {
    assert.equal(loadConfig({}).pgWorkMem, '32MB');
    assert.equal(loadConfig({ PG_WORK_MEM: '256kB' }).pgWorkMem, '256kB');
    for (const bad of ['32', '32mb', '0MB', '1.5GB', '32MB; DROP TABLE x', ' 32MB']) {
      assert.throws(() => loadConfig({ PG_WORK_MEM: bad }), (err: unknown) => err instanceof ConfigError && /PG_WORK_MEM/.test(err.message), bad);
    }
  });
});

describe('PG_PARALLEL_WORKERS', () => {
  it('defaults to 0 and takes a small whole number only', () => {
    assert.equal(loadConfig({}).pgParallelWorkers, 0);
    assert.equal(loadConfig({ PG_PARALLEL_WORKERS: '2' }).pgParallelWorkers, 2);
    for (const bad of ['-1', '1.5', 'two', '65', '2; SET x']) {
      assert.throws(() => loadConfig({ PG_PARALLEL_WORKERS: bad }), (err: unknown) => err instanceof ConfigError && /PG_PARALLEL_WORKERS/.test(err.message), bad);
    }
  });
});

describe('PostgreSQL sessions [postgres]', { skip: await engineSkip('postgres') }, () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('postgres', { PG_WORK_MEM: '8MB', PG_PARALLEL_WORKERS: '1' });
  });
  after(async () => app?.close());

  it('run with the configured work_mem and parallel workers, scoped report reads included', async () => {
    const storage = app.server.storage;
    const settings = "SELECT current_setting('work_mem') AS work_mem, current_setting('max_parallel_workers_per_gather') AS workers";
    const plain = await storage.query<{ work_mem: string; workers: string }>(settings);
    assert.deepEqual(plain[0], { work_mem: '8MB', workers: '1' });
    for (const scope of [null, ['any-tenant']] as const) {
      const scoped = await storage.scoped(scope).query<{ work_mem: string; workers: string }>(settings);
      assert.deepEqual(scoped[0], { work_mem: '8MB', workers: '1' }, `scope ${JSON.stringify(scope)}`);
    }
  });
});
