import { FINISHED_RUN_SQL as FINISHED_SQL } from '../reports/common.ts';
import { durationBucket } from '../reports/metrics/duration-sketch.ts';
import { fxParts, fxSumsSql, TWO32 } from '../reports/metrics/exact-sum.ts';
import { ROLLUP_TABLES } from '../storage/schema.ts';
import { DAY_MS } from '../reports/metrics/tz.ts';
import type { SqlValue, Storage, TableName, Transaction } from '../storage/types.ts';
import type { IngestKindName } from './kinds.ts';

export { DAY_MS };

/** Rollup grains in ms. 15 minutes divides every IANA offset, so local buckets are unions of slots. */
export const SLOT_MS = 15 * 60_000;

type Rec = Record<string, unknown>;

/**
 * Sums per (tenant, a, b) cell, one row per cell in the order cells were first touched. Nested
 * maps instead of a joined string key per record: the cell of a record is found with a map
 * lookup on values it already has (the tenant of the previous record is usually the same).
 * `b` is 0 for the tables keyed by (tenant, a) only.
 */
class Sums<A extends SqlValue> {
  private readonly rows: { keys: SqlValue[]; values: number[] }[] = [];
  private readonly byTenant = new Map<string, Map<A, Map<number, number[]>>>();
  private lastTenant: string | undefined;
  private last: Map<A, Map<number, number[]>> | undefined;
  constructor(
    private readonly width: number,
    /** Whether `b` is a key column (else it is always 0 and not written). */
    private readonly withB: boolean,
  ) {}

  /** The running sums of a cell (zeros when new); callers add to them in place. */
  cell(tenant: string, a: A, b: number): number[] {
    let byA = tenant === this.lastTenant ? this.last : undefined;
    if (byA === undefined) {
      byA = this.byTenant.get(tenant);
      if (byA === undefined) this.byTenant.set(tenant, (byA = new Map()));
      this.lastTenant = tenant;
      this.last = byA;
    }
    let byB = byA.get(a);
    if (byB === undefined) byA.set(a, (byB = new Map()));
    let values = byB.get(b);
    if (values === undefined) {
      values = new Array<number>(this.width).fill(0);
      byB.set(b, values);
      this.rows.push({ keys: this.withB ? [tenant, a, b] : [tenant, a], values });
    }
    return values;
  }

  list(): SqlValue[][] {
    return this.rows.map((r) => [...r.keys, ...r.values]);
  }
}

/**
 * Collects the rollup contributions of records entering (+1) and leaving (−1) the tables in one
 * batch, and writes them in the same transaction. An update is a −1 of the old version and a +1
 * of the new one, so a run moving from running to failed changes cells, never double counts.
 */
export class RollupDeltas {
  private readonly runs = new Sums<number>(4, false);
  private readonly days = new Sums<number>(1, true);
  /** samples, then latency and throughput as exact parts (see addFx). */
  private readonly metrics = new Sums<number>(1 + 2 * FX_WIDTH, false);
  /** predictions, then the probability as exact parts. */
  private readonly predictions = new Sums<number>(1 + FX_WIDTH, false);
  /** records, samples (metric samples naming the service). */
  private readonly services = new Sums<string>(2, false);
  /** rollup_prediction_scores_day: [tenant, day, model, probability, predictions, positives, negatives]. */
  private readonly scores = new Map<string, SqlValue[]>();

  private score(tenant: string, p: Rec): SqlValue[] {
    const day = Math.floor((p.predicted_at_ms as number) / DAY_MS);
    const probability = (p.failure_probability as number) + 0; // -0 and 0 are one probability
    const model = p.model as string;
    const key = `${tenant}\u0000${day}\u0000${model}\u0000${probability}`;
    let cell = this.scores.get(key);
    if (!cell) this.scores.set(key, (cell = [tenant, day, model, probability, 0, 0, 0]));
    return cell;
  }

  private countOutcome(cell: SqlValue[], outcome: unknown, sign: 1 | -1): void {
    if (outcome === 'failed') cell[5] = (cell[5] as number) + sign;
    else if (outcome === 'succeeded') cell[6] = (cell[6] as number) + sign;
  }

  /** A stored prediction's effective outcome changes (its run finished, or changed status). */
  moveOutcome(tenant: string, p: Rec, from: string | null, to: string | null): void {
    const cell = this.score(tenant, p);
    this.countOutcome(cell, from, -1);
    this.countOutcome(cell, to, 1);
  }

  add(kind: IngestKindName, r: Rec, sign: 1 | -1): void {
    const t = r.tenant_id as string;
    if (kind === 'workflow_runs') {
      const started = r.started_at_ms as number;
      const status = r.status;
      const finished = status === 'succeeded' || status === 'failed';
      const duration = finished ? Math.round(Number(r.duration_ms ?? 0)) : 0;
      const run = this.runs.cell(t, Math.floor(started / SLOT_MS), 0);
      run[0]! += sign;
      run[1]! += status === 'failed' ? sign : 0;
      run[2]! += finished ? sign : 0;
      run[3]! += sign * duration;
      if (finished) this.days.cell(t, Math.floor(started / DAY_MS), durationBucket(duration))[0]! += sign;
    } else if (kind === 'metrics') {
      const m = this.metrics.cell(t, Math.floor((r.ts_ms as number) / SLOT_MS), 0);
      m[0]! += sign;
      addFx(m, 1, r.p95_latency_ms as number, sign);
      addFx(m, 1 + FX_WIDTH, r.throughput_rps as number, sign);
    } else if (kind === 'predictions') {
      const p = this.predictions.cell(t, Math.floor((r.predicted_at_ms as number) / SLOT_MS), 0);
      p[0]! += sign;
      addFx(p, 1, r.failure_probability as number, sign);
      const cell = this.score(t, r);
      cell[4] = (cell[4] as number) + sign;
      this.countOutcome(cell, r.outcome ?? r.run_outcome, sign);
    }
    if (typeof r.service === 'string') {
      const cell = this.services.cell(t, r.service, 0);
      cell[0]! += sign;
      if (kind === 'metrics') cell[1]! += sign;
    }
  }

  async write(tx: Transaction): Promise<void> {
    const add = (table: TableName, rows: readonly (readonly SqlValue[])[]) => tx.addToRollup(table, ROLLUP_TABLES[table]!.keys, ROLLUP_TABLES[table]!.values, rows);
    const metrics = this.metrics.list();
    const predictions = this.predictions.list();
    await add('rollup_runs', this.runs.list());
    await add('rollup_durations_day', this.days.list());
    await add('rollup_metrics', fxRows(metrics, 2));
    await add('rollup_predictions', fxRows(predictions, 1));
    await add('tenant_services', this.services.list());
    // Day rollups: the slot deltas above folded per UTC day, so a record moves between day cells
    // exactly as it moves between slot cells (same transaction, same signs).
    await add('rollup_runs_day', slotRowsPerDay(this.runs.list()));
    await add('rollup_metrics_day', fxRows(slotRowsPerDay(metrics), 2));
    await add('rollup_predictions_day', fxRows(slotRowsPerDay(predictions), 1));
    const scores = [...this.scores.values()].filter((c) => c[4] !== 0 || c[5] !== 0 || c[6] !== 0);
    await add('rollup_prediction_scores_day', scores);
    // Week rollups: the day deltas above folded per week, so they move with them.
    const durations = this.days.list();
    await add('rollup_durations_week', dayRowsPerWeek(durations, 3));
    await add('rollup_prediction_scores_week', dayRowsPerWeek(scores, 4));
  }
}

/** UTC days per week of the week rollups (week = day // 7: weeks start on Thursdays, the epoch's weekday). */
export const DAYS_PER_WEEK = 7;

/** Day rows (the first `keys` columns are the key) summed per week; cells that sum to zero are dropped. */
export function dayRowsPerWeek(rows: readonly (readonly SqlValue[])[], keys: number): SqlValue[][] {
  return foldRows(rows, DAYS_PER_WEEK, keys).filter((c) => c.slice(keys).some((v) => v !== 0));
}

/**
 * Cells hold an exact value as five running sums (metrics/exact-sum.ts): the integer part split
 * at 2^32 (high, low, so a batch's sums stay exact in doubles whatever the values) and the three
 * 32-bit fraction blocks. `fxRows` turns them into the stored columns `_i` (one bigint), `_a`,
 * `_b`, `_c`.
 */
const FX_WIDTH = 5;

function addFx(cell: number[], at: number, v: number, sign: 1 | -1): void {
  const [i, a, b, c] = fxParts(v);
  const high = Math.floor(i / TWO32);
  cell[at]! += sign * high;
  cell[at + 1]! += sign * (i - high * TWO32);
  cell[at + 2]! += sign * a;
  cell[at + 3]! += sign * b;
  cell[at + 4]! += sign * c;
}

/** Value columns of a rollup table, comma-separated, for the rebuild's INSERT. */
const valuesOf = (table: TableName) => ROLLUP_TABLES[table]!.values.join(', ');

/** Rows `[tenant_id, slot|day, count, ...FX_WIDTH sums per value]` as stored: `[..., count, i, a, b, c, ...]`. */
function fxRows(rows: readonly (readonly SqlValue[])[], values: number): SqlValue[][] {
  return rows.map((row) => {
    const out: SqlValue[] = [row[0]!, row[1]!, row[2]!];
    for (let k = 0; k < values; k++) {
      const at = 3 + k * FX_WIDTH;
      out.push(BigInt(row[at] as number) * BigInt(TWO32) + BigInt(row[at + 1] as number), row[at + 2]!, row[at + 3]!, row[at + 4]!);
    }
    return out;
  });
}

/** 15-minute slots per UTC day. */
export const SLOTS_PER_DAY = DAY_MS / SLOT_MS;

/**
 * Rows `[tenant_id, index, ...more keys, ...values]` (the first `keys` columns are the key) summed
 * into rows `[tenant_id, index // per, ...more keys, ...values]`: a finer grain folded into a
 * coarser one (slots into days, days into weeks).
 */
function foldRows(rows: readonly (readonly SqlValue[])[], per: number, keys: number): SqlValue[][] {
  const out = new Map<string, SqlValue[]>();
  for (const row of rows) {
    const index = Math.floor(Number(row[1]) / per);
    const key = [row[0], index, ...row.slice(2, keys)].map(String).join('\u0000');
    const cell = out.get(key);
    if (!cell) out.set(key, [row[0]!, index, ...row.slice(2)]);
    else for (let i = keys; i < row.length; i++) cell[i] = (cell[i] as number) + (row[i] as number);
  }
  return [...out.values()];
}

/** Rows `[tenant_id, slot, ...values]` (as `list()` gives them) summed into rows `[tenant_id, day, ...values]`. */
export function slotRowsPerDay(rows: readonly (readonly SqlValue[])[]): SqlValue[][] {
  return foldRows(rows, SLOTS_PER_DAY, 2);
}


/**
 * Recomputes every rollup from the raw rows, in one transaction (`atom-analytics rollups rebuild`).
 * Returns the number of rollup rows written per table.
 */
export async function rebuildRollups(storage: Storage): Promise<Record<string, number>> {
  const d = storage.dialect;
  const statements: [string, string][] = [
    [
      'rollup_runs',
      `INSERT INTO rollup_runs (tenant_id, slot, runs, failed, finished, duration_sum_ms)
       SELECT tenant_id, ${d.floorDiv('started_at_ms', SLOT_MS)}, count(*),
              count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE ${FINISHED_SQL}),
              coalesce(sum(CAST(round(duration_ms) AS BIGINT)) FILTER (WHERE ${FINISHED_SQL}), 0)
       FROM workflow_runs GROUP BY 1, 2`,
    ],
    [
      'rollup_durations_day',
      `INSERT INTO rollup_durations_day (tenant_id, day, bucket, n)
       SELECT tenant_id, ${d.floorDiv('started_at_ms', DAY_MS)}, ${d.durationBucket('round(duration_ms)')}, count(*)
       FROM workflow_runs WHERE ${FINISHED_SQL} GROUP BY 1, 2, 3`,
    ],
    [
      'rollup_metrics',
      `INSERT INTO rollup_metrics (tenant_id, slot, ${valuesOf('rollup_metrics')})
       SELECT tenant_id, ${d.floorDiv('ts_ms', SLOT_MS)}, count(*), ${[...fxSumsSql(d, 'p95_latency_ms'), ...fxSumsSql(d, 'throughput_rps')].join(', ')}
       FROM metric_samples GROUP BY 1, 2`,
    ],
    [
      'rollup_predictions',
      `INSERT INTO rollup_predictions (tenant_id, slot, ${valuesOf('rollup_predictions')})
       SELECT tenant_id, ${d.floorDiv('predicted_at_ms', SLOT_MS)}, count(*), ${fxSumsSql(d, 'failure_probability').join(', ')}
       FROM predictions GROUP BY 1, 2`,
    ],
    [
      'tenant_services',
      `INSERT INTO tenant_services (tenant_id, service, records, samples)
       SELECT tenant_id, service, sum(n), sum(m) FROM (
         SELECT tenant_id, service, count(*) AS n, 0 AS m FROM workflow_runs GROUP BY 1, 2
         UNION ALL SELECT tenant_id, service, count(*), 0 FROM incidents GROUP BY 1, 2
         UNION ALL SELECT tenant_id, service, count(*), count(*) FROM metric_samples GROUP BY 1, 2
       ) s GROUP BY 1, 2`,
    ],
  ];
  // Day rollups, straight from the raw rows too (not from the slot rows just written), so a rebuild
  // repairs both levels independently.
  statements.push(
    [
      'rollup_runs_day',
      `INSERT INTO rollup_runs_day (tenant_id, day, runs, failed, finished, duration_sum_ms)
       SELECT tenant_id, ${d.floorDiv('started_at_ms', DAY_MS)}, count(*),
              count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE ${FINISHED_SQL}),
              coalesce(sum(CAST(round(duration_ms) AS BIGINT)) FILTER (WHERE ${FINISHED_SQL}), 0)
       FROM workflow_runs GROUP BY 1, 2 ORDER BY 1, 2`,
    ],
    [
      'rollup_metrics_day',
      `INSERT INTO rollup_metrics_day (tenant_id, day, ${valuesOf('rollup_metrics_day')})
       SELECT tenant_id, ${d.floorDiv('ts_ms', DAY_MS)}, count(*), ${[...fxSumsSql(d, 'p95_latency_ms'), ...fxSumsSql(d, 'throughput_rps')].join(', ')}
       FROM metric_samples GROUP BY 1, 2 ORDER BY 1, 2`,
    ],
    [
      'rollup_predictions_day',
      `INSERT INTO rollup_predictions_day (tenant_id, day, ${valuesOf('rollup_predictions_day')})
       SELECT tenant_id, ${d.floorDiv('predicted_at_ms', DAY_MS)}, count(*), ${fxSumsSql(d, 'failure_probability').join(', ')}
       FROM predictions GROUP BY 1, 2 ORDER BY 1, 2`,
    ],
  );
  statements.push([
    'rollup_prediction_scores_day',
    `INSERT INTO rollup_prediction_scores_day (tenant_id, day, model, probability, ${valuesOf('rollup_prediction_scores_day')})
     SELECT tenant_id, ${d.floorDiv('predicted_at_ms', DAY_MS)}, model, failure_probability + 0.0, count(*),
            count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'failed'), count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'succeeded')
     FROM predictions GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  ]);
  // Week rollups, from the raw rows as well.
  statements.push(
    [
      'rollup_durations_week',
      `INSERT INTO rollup_durations_week (tenant_id, week, bucket, n)
       SELECT tenant_id, ${d.floorDiv('started_at_ms', DAY_MS * DAYS_PER_WEEK)}, ${d.durationBucket('round(duration_ms)')}, count(*)
       FROM workflow_runs WHERE ${FINISHED_SQL} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ],
    [
      'rollup_prediction_scores_week',
      `INSERT INTO rollup_prediction_scores_week (tenant_id, week, model, probability, ${valuesOf('rollup_prediction_scores_week')})
       SELECT tenant_id, ${d.floorDiv('predicted_at_ms', DAY_MS * DAYS_PER_WEEK)}, model, failure_probability + 0.0, count(*),
              count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'failed'), count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'succeeded')
       FROM predictions GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    ],
  );
  return storage.transaction(async (tx) => {
    const counts: Record<string, number> = {};
    // First the predictions' derived outcomes, which the scores rollup reads.
    await tx.query(`UPDATE predictions SET run_outcome = NULL WHERE run_outcome IS NOT NULL`);
    await tx.query(
      `UPDATE predictions SET run_outcome = r.status FROM workflow_runs r
       WHERE predictions.outcome IS NULL AND r.tenant_id = predictions.tenant_id AND r.id = predictions.workflow_run_id AND r.status IN ('failed', 'succeeded')`,
    );
    await tx.query('DELETE FROM prediction_waits');
    await tx.query(
      `INSERT INTO prediction_waits (tenant_id, run_id, prediction_id, model, predicted_at_ms, failure_probability)
       SELECT tenant_id, workflow_run_id, id, model, predicted_at_ms, failure_probability FROM predictions
       WHERE outcome IS NULL AND run_outcome IS NULL AND workflow_run_id IS NOT NULL`,
    );
    for (const [table, sql] of statements) {
      await tx.query(`DELETE FROM ${table}`);
      await tx.query(sql);
      const n = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(n[0]?.n ?? 0);
    }
    return counts;
  });
}
