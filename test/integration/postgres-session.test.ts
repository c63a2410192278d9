/**
 * Session settings of PostgreSQL connections: PG_WORK_MEM reaches every session (report reads
 * run in scoped read-only transactions, which must keep it), and a malformed value is refused at
 * start with the variable's name.
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

describe('PostgreSQL sessions [postgres]', { skip: await engineSkip('postgres') }, () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('postgres', { PG_WORK_MEM: '8MB' });
  });
  after(async () => app?.close());

  it('run with the configured work_mem, scoped report reads included', async () => {
    const storage = app.server.storage;
    const plain = await storage.query<{ work_mem: string }>('SHOW work_mem');
    assert.equal(plain[0]!.work_mem, '8MB');
    for (const scope of [null, ['any-tenant']] as const) {
      const scoped = await storage.scoped(scope).query<{ work_mem: string }>('SHOW work_mem');
      assert.equal(scoped[0]!.work_mem, '8MB', `scope ${JSON.stringify(scope)}`);
    }
  });
});
