/**
 * Predictions waiting for their run are resolved when the run finishes, whatever happened to the
 * waiting list in between: a rollups rebuild that rewrote it with SQL, a transaction that took
 * runs off it and rolled back. On DuckDB the list's runs are also kept in memory
 * (src/storage/duckdb/waiting-runs.ts); these cases are the ones where that copy could go stale.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { IngestKindName } from '../../src/ingest/kinds.ts';
import { rebuildRollups } from '../../src/ingest/rollups.ts';
import type { Storage } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, storeValidated, type TestDatabase } from '../helpers/engines.ts';

const T0 = Date.UTC(2026, 5, 1, 10);
const iso = (ms: number) => new Date(ms).toISOString();


const prediction = (id: string, run: string, outcome: string | null = null) => ({
  id,
  tenant_id: 'wa',
  model: 'm',
  workflow_run_id: run,
  predicted_at: iso(T0),
  failure_probability: 0.75,
  ...(outcome ? { outcome } : {}),
});
const run = (id: string, status: string) => ({
  id,
  tenant_id: 'wa',
  workflow_id: 'w',
  service: 's',
  status,
  started_at: iso(T0 + 60_000),
  ...(status === 'running' ? {} : { finished_at: iso(T0 + 120_000), duration_ms: 60_000 }),
});

await describeEachEngine('predictions waiting for their run', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  before(async () => {
    db = await createTestDatabase(engine);
    storage = await openTestStorage(db);
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  const outcomeOf = async (id: string) =>
    (await storage.query<{ run_outcome: string | null }>('SELECT run_outcome FROM predictions WHERE tenant_id = $1 AND id = $2', ['wa', id]))[0]?.run_outcome ?? null;
  const waiting = async (run: string) =>
    Number((await storage.query<{ n: number }>('SELECT count(*) AS n FROM prediction_waits WHERE tenant_id = $1 AND run_id = $2', ['wa', run]))[0]!.n);
  const scores = async () =>
    (await storage.query<{ p: number; f: number }>('SELECT sum(positives) AS p, sum(negatives) AS f FROM rollup_prediction_scores_day WHERE tenant_id = $1', ['wa'])).map(
      (r) => [Number(r.p), Number(r.f)],
    )[0];

  it('a run resolves predictions that a rebuild put back on the waiting list', async () => {
    // p1 waits for r1: the list is known (and, on DuckDB, read into memory by the run batch below).
    await storeValidated(storage, 'predictions', [prediction('p1', 'r1'), prediction('p5', 'r5', 'failed')]);
    await storeValidated(storage, 'workflow_runs', [run('r1', 'failed')]);
    assert.equal(await outcomeOf('p1'), 'failed');
    // p5 had an outcome of its own; without it, a rebuild puts it on the list for r5 with SQL.
    await storage.query("UPDATE predictions SET outcome = NULL WHERE tenant_id = 'wa' AND id = 'p5'");
    await rebuildRollups(storage);
    assert.equal(await waiting('r5'), 1);
    await storeValidated(storage, 'workflow_runs', [run('r5', 'succeeded')]);
    assert.equal(await outcomeOf('p5'), 'succeeded');
    assert.equal(await waiting('r5'), 0);
    assert.deepEqual(await scores(), [1, 1]);
  });

  it('a run resolves predictions after a transaction that took them off the list rolled back', async () => {
    await storeValidated(storage, 'predictions', [prediction('p6', 'r6')]);
    const index = storage.capabilities.waitingRuns;
    await assert.rejects(
      storage.transaction(async (tx) => {
        const runs = index ? await index.candidates(tx, 'wa', ['r6', 'r7']) : ['r6'];
        assert.deepEqual(runs, ['r6']);
        await tx.query("DELETE FROM prediction_waits WHERE tenant_id = 'wa' AND run_id = 'r6'");
        index?.resolved('wa', runs);
        throw new Error('rolled back on purpose');
      }),
      /rolled back on purpose/,
    );
    assert.equal(await waiting('r6'), 1);
    await storeValidated(storage, 'workflow_runs', [run('r6', 'failed')]);
    assert.equal(await outcomeOf('p6'), 'failed');
    assert.equal(await waiting('r6'), 0);
  });

  it('a run that goes back to running puts its predictions on the list again, and finishing resolves them', async () => {
    await storeValidated(storage, 'predictions', [prediction('p8', 'r8')]);
    await storeValidated(storage, 'workflow_runs', [run('r8', 'failed')]);
    assert.equal(await outcomeOf('p8'), 'failed');
    await storeValidated(storage, 'workflow_runs', [run('r8', 'running')]);
    assert.equal(await outcomeOf('p8'), null);
    assert.equal(await waiting('r8'), 1);
    await storeValidated(storage, 'workflow_runs', [run('r8', 'succeeded')]);
    assert.equal(await outcomeOf('p8'), 'succeeded');
    assert.equal(await waiting('r8'), 0);
  });
});
