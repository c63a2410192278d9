/**
 * Effective outcomes of predictions, kept at ingest so the predictions report reads counts instead
 * of joining every prediction to its run (contract: outcome "when absent, taken from the linked
 * run once it has finished").
 *
 * - A prediction with an outcome of its own keeps it; `run_outcome` stays null.
 * - Otherwise `run_outcome` is its linked run's status when that run (same tenant) has failed or
 *   succeeded, and null when the run is running, cancelled or not stored yet; such a prediction
 *   also has a row in `prediction_waits`.
 * - A run stored later, or whose status changes, moves its predictions: waiting ones are resolved
 *   through `prediction_waits` (small, one query per run batch); predictions resolved earlier from
 *   a run that leaves its finished status (a correction) are found in the predictions table.
 * Every move updates `rollup_prediction_scores_day` through the batch's RollupDeltas, in the same
 * transaction as the records.
 */
import type { RecordKeyLocator, SqlValue, Transaction, WaitingRunIndex } from '../storage/types.ts';
import { KIND_SPECS } from './kinds.ts';
import type { RollupDeltas } from './rollups.ts';
import { ANYWHERE, lookup, lookupLocated, timeBounds } from './stored-rows.ts';

type Rec = Record<string, unknown>;
export type Outcome = 'failed' | 'succeeded';

/** The outcome a run gives its predictions: its status once finished, else none. */
export function outcomeOfRun(status: unknown): Outcome | null {
  return status === 'failed' || status === 'succeeded' ? status : null;
}

/** A prediction's effective outcome: its own, else its run's. */
export function effectiveOutcome(p: Rec): Outcome | null {
  return ((p.outcome ?? p.run_outcome) as Outcome | null | undefined) ?? null;
}

/** Whether a stored prediction waits for its run (has a row in prediction_waits). */
export function waitsForRun(p: Rec): boolean {
  return p.outcome == null && p.workflow_run_id != null && p.run_outcome == null;
}

const WAIT_COLUMNS = ['tenant_id', 'run_id', 'prediction_id', 'model', 'predicted_at_ms', 'failure_probability'] as const;
const waitRow = (p: Rec): SqlValue[] => [p.tenant_id as string, p.workflow_run_id as string, p.id as string, p.model as string, p.predicted_at_ms as number, p.failure_probability as number];

/**
 * Sets `run_outcome` on incoming predictions of one tenant from their linked runs, looked up by
 * key (DuckDB: only where the key index says a run may be stored).
 */
export async function resolveIncomingPredictions(tx: Transaction, tenantId: string, recs: readonly Rec[], keyIndex: RecordKeyLocator | undefined): Promise<void> {
  const ids = new Set<string>();
  for (const r of recs) {
    r.run_outcome = null;
    if (r.outcome == null && r.workflow_run_id != null) ids.add(r.workflow_run_id as string);
  }
  if (ids.size === 0) return;
  const status = new Map<string, unknown>();
  for (const run of await findRuns(tx, tenantId, [...ids], keyIndex)) status.set(String(run.id), run.status);
  for (const r of recs) {
    if (r.outcome == null && r.workflow_run_id != null) r.run_outcome = outcomeOfRun(status.get(r.workflow_run_id as string));
  }
}

/** `id` and `status` of the stored runs among `ids` (one tenant). */
async function findRuns(tx: Transaction, tenantId: string, ids: string[], keyIndex: RecordKeyLocator | undefined): Promise<Rec[]> {
  const runs = KIND_SPECS.workflow_runs;
  const spec = { ...runs, columns: ['id', 'status'] };
  const rows = ids.map((id) => [tenantId, id]);
  const located = keyIndex ? keyIndex.locate(runs.table, ['tenant_id', 'id'], rows) : null;
  return located ? lookupLocated(tx, spec, tenantId, ids, located) : lookup(tx, spec, tenantId, ids, [ANYWHERE]);
}

/**
 * Keeps prediction_waits in step with stored predictions of one tenant: the rows of `replaced`
 * (ids of predictions whose stored version is being replaced) go, the waiting ones of `written` come.
 */
export async function updatePredictionWaits(tx: Transaction, tenantId: string, replaced: readonly string[], written: readonly Rec[]): Promise<void> {
  if (replaced.length) {
    await tx.query(`DELETE FROM prediction_waits WHERE tenant_id = $1 AND ${tx.dialect.inArray('prediction_id', '$2')}`, [tenantId, replaced as string[]]);
  }
  const waiting = written.filter(waitsForRun).map(waitRow);
  if (waiting.length) await tx.insertMany('prediction_waits', WAIT_COLUMNS, waiting);
}

/** A stored run of this batch whose outcome for predictions changed (null: none). */
export interface RunOutcomeChange {
  id: string;
  before: Outcome | null;
  after: Outcome | null;
}

/** Columns of a prediction needed to move it between rollup cells. */
const MOVED = 'id, workflow_run_id, model, predicted_at_ms, failure_probability';

/**
 * Moves the predictions linked to runs of one tenant whose outcome changed in this batch:
 * waiting ones to the run's new outcome, resolved ones (a finished run whose status changed) to
 * the new outcome or back to waiting.
 */
export async function applyRunOutcomeChanges(
  tx: Transaction,
  tenantId: string,
  changes: readonly RunOutcomeChange[],
  deltas: RollupDeltas,
  waitingRuns: WaitingRunIndex | undefined,
): Promise<void> {
  const after = new Map(changes.map((c) => [c.id, c.after]));
  const nowFinished = changes.filter((c) => c.after !== null).map((c) => c.id);
  const wasFinished = changes.filter((c) => c.before !== null).map((c) => c.id);
  // Every move goes into one UPDATE: ids and new outcomes as two parallel lists ('' for "back to
  // waiting": a list parameter holds no nulls).
  const moved: Rec[] = [];
  const ids: string[] = [];
  const outcomes: string[] = [];
  const move = (p: Rec, from: Outcome | null, to: Outcome | null) => {
    deltas.moveOutcome(tenantId, p, from, to);
    moved.push(p);
    ids.push(String(p.id));
    outcomes.push(to ?? '');
  };

  // DuckDB knows which runs have waiting predictions (the table has no index there); elsewhere a
  // cheap probe without the id list spares the lookup when nothing of the tenant waits (runs are
  // mostly stored before their predictions).
  let waitingFor = nowFinished;
  if (nowFinished.length && waitingRuns) waitingFor = await waitingRuns.candidates(tx, tenantId, nowFinished);
  else if (nowFinished.length && (await tx.query(`SELECT 1 AS x FROM prediction_waits WHERE tenant_id = $1 LIMIT 1`, [tenantId])).length === 0) waitingFor = [];
  if (waitingFor.length) {
    // Taken off the waiting list and read in one statement.
    const waiting = await tx.query<Rec>(
      `DELETE FROM prediction_waits WHERE tenant_id = $1 AND ${tx.dialect.inArray('run_id', '$2')}
       RETURNING prediction_id AS id, run_id AS workflow_run_id, model, predicted_at_ms, failure_probability`,
      [tenantId, waitingFor],
    );
    waitingRuns?.resolved(tenantId, waitingFor);
    for (const p of waiting) move(p, null, after.get(String(p.workflow_run_id))!);
  }
  if (wasFinished.length) {
    // Corrections of finished runs are rare: PostgreSQL walks the tenant's predictions, DuckDB scans them.
    const resolved = await tx.query<Rec>(
      `SELECT ${MOVED}, run_outcome FROM predictions
       WHERE tenant_id = $1 AND outcome IS NULL AND run_outcome IS NOT NULL AND ${tx.dialect.inArray('workflow_run_id', '$2')}`,
      [tenantId, wasFinished],
    );
    const back: Rec[] = [];
    for (const p of resolved) {
      const to = after.get(String(p.workflow_run_id))!;
      move(p, p.run_outcome as Outcome, to);
      if (to === null) back.push({ ...p, tenant_id: tenantId, outcome: null, run_outcome: null });
    }
    if (back.length) await tx.insertMany('prediction_waits', WAIT_COLUMNS, back.map(waitRow));
  }
  if (moved.length === 0) return;
  const [from, until] = timeBounds(moved, 'predicted_at_ms');
  // Bounded in time like the upsert's DELETE, so DuckDB's zone maps skip most of the table.
  await tx.query(
    `${SET_RUN_OUTCOME} (SELECT unnest(CAST($2 AS VARCHAR[])) AS id, unnest(CAST($3 AS VARCHAR[])) AS run_outcome) m
     WHERE predictions.tenant_id = $1 AND predictions.id = m.id AND predictions.predicted_at_ms BETWEEN CAST($4 AS BIGINT) AND CAST($5 AS BIGINT)`,
    [tenantId, ids, outcomes, from, until],
  );
}

/**
 * The one statement that rewrites `run_outcome` (its FROM list follows). It changes no key, so
 * DuckDB's key index stays valid (storage/duckdb recognises exactly this text: a second
 * assignment would have to come before FROM).
 */
export const SET_RUN_OUTCOME = "UPDATE predictions SET run_outcome = nullif(m.run_outcome, '') FROM";
