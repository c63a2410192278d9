import { FINISHED_RUN_SQL as FINISHED_SQL } from '../reports/common.ts';
import { durationBucket } from '../reports/metrics/duration-sketch.ts';
import { DAY_MS } from '../reports/metrics/tz.ts';
import type { SqlValue, Storage, Transaction } from '../storage/types.ts';
import type { IngestKindName } from './kinds.ts';

export { DAY_MS };

/** Rollup grains in ms. 15 minutes divides every IANA offset, so local buckets are unions of slots. */
export const SLOT_MS = 15 * 60_000;

type Rec = Record<string, unknown>;

const FINISHED = new Set(['succeeded', 'failed']);

class Sums {
  readonly rows = new Map<string, { keys: SqlValue[]; values: number[] }>();
  constructor(private readonly width: number) {}
  add(keys: SqlValue[], values: number[]): void {
    const k = keys.join('\u0000');
    let row = this.rows.get(k);
    if (!row) this.rows.set(k, (row = { keys, values: new Array<number>(this.width).fill(0) }));
    for (let i = 0; i < values.length; i++) row.values[i]! += values[i]!;
  }
  list(): SqlValue[][] {
    return [...this.rows.values()].map((r) => [...r.keys, ...r.values]);
  }
}

/**
 * Collects the rollup contributions of records entering (+1) and leaving (−1) the tables in one
 * batch, and writes them in the same transaction. An update is a −1 of the old version and a +1
 * of the new one, so a run moving from running to failed changes cells, never double counts.
 */
export class RollupDeltas {
  private readonly runs = new Sums(4);
  private readonly days = new Sums(1);
  private readonly metrics = new Sums(3);
  private readonly predictions = new Sums(2);
  private readonly services = new Sums(1);

  add(kind: IngestKindName, r: Rec, sign: 1 | -1): void {
    const t = r.tenant_id as string;
    if (kind === 'workflow_runs') {
      const started = r.started_at_ms as number;
      const finished = FINISHED.has(r.status as string);
      const duration = finished ? Math.round(Number(r.duration_ms ?? 0)) : 0;
      this.runs.add([t, Math.floor(started / SLOT_MS)], [sign, r.status === 'failed' ? sign : 0, finished ? sign : 0, sign * duration]);
      if (finished) {
        const bucket = durationBucket(duration);
        this.days.add([t, Math.floor(started / DAY_MS), bucket], [sign]);
      }
    } else if (kind === 'metrics') {
      this.metrics.add([t, Math.floor((r.ts_ms as number) / SLOT_MS)], [sign, sign * (r.p95_latency_ms as number), sign * (r.throughput_rps as number)]);
    } else if (kind === 'predictions') {
      this.predictions.add([t, Math.floor((r.predicted_at_ms as number) / SLOT_MS)], [sign, sign * (r.failure_probability as number)]);
    }
    if (typeof r.service === 'string') this.services.add([t, r.service], [sign]);
  }

  async write(tx: Transaction): Promise<void> {
    await tx.addToRollup('rollup_runs', ['tenant_id', 'slot'], ['runs', 'failed', 'finished', 'duration_sum_ms'], this.runs.list());
    await tx.addToRollup('rollup_durations_day', ['tenant_id', 'day', 'bucket'], ['n'], this.days.list());
    await tx.addToRollup('rollup_metrics', ['tenant_id', 'slot'], ['samples', 'latency_sum', 'throughput_sum'], this.metrics.list());
    await tx.addToRollup('rollup_predictions', ['tenant_id', 'slot'], ['predictions', 'probability_sum'], this.predictions.list());
    await tx.addToRollup('tenant_services', ['tenant_id', 'service'], ['records'], this.services.list());
  }
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
      `INSERT INTO rollup_metrics (tenant_id, slot, samples, latency_sum, throughput_sum)
       SELECT tenant_id, ${d.floorDiv('ts_ms', SLOT_MS)}, count(*), sum(p95_latency_ms), sum(throughput_rps)
       FROM metric_samples GROUP BY 1, 2`,
    ],
    [
      'rollup_predictions',
      `INSERT INTO rollup_predictions (tenant_id, slot, predictions, probability_sum)
       SELECT tenant_id, ${d.floorDiv('predicted_at_ms', SLOT_MS)}, count(*), sum(failure_probability)
       FROM predictions GROUP BY 1, 2`,
    ],
    [
      'tenant_services',
      `INSERT INTO tenant_services (tenant_id, service, records)
       SELECT tenant_id, service, sum(n) FROM (
         SELECT tenant_id, service, count(*) AS n FROM workflow_runs GROUP BY 1, 2
         UNION ALL SELECT tenant_id, service, count(*) FROM incidents GROUP BY 1, 2
         UNION ALL SELECT tenant_id, service, count(*) FROM metric_samples GROUP BY 1, 2
       ) s GROUP BY 1, 2`,
    ],
  ];
  return storage.transaction(async (tx) => {
    const counts: Record<string, number> = {};
    for (const [table, sql] of statements) {
      await tx.query(`DELETE FROM ${table}`);
      await tx.query(sql);
      const n = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(n[0]?.n ?? 0);
    }
    return counts;
  });
}
