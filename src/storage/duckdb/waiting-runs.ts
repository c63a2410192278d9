/**
 * Which runs have predictions waiting for them (`prediction_waits`), kept in memory by the one
 * DuckDB process, so a batch of runs asks the table only about the runs that have some, and not
 * at all when none has (src/ingest/prediction-outcomes.ts). On DuckDB that table has no index:
 * every question is a scan of it (2–3 ms to learn that nothing waits, 12 ms to take 1,000 run ids
 * off it at 100k waiting predictions).
 *
 * The set may hold runs that no longer have waiting predictions (that costs a statement that
 * finds nothing), never miss one that has:
 * - it is read from the table inside the write transaction that first needs it after open, or
 *   after a write to the table it did not see (any statement other than the appender inserts and
 *   the take-offs reported through `resolved`);
 * - a transaction's appends and take-offs reach it only when that transaction commits (a rollback
 *   leaves it as it was; what a transaction read for itself goes with it).
 */
import type { SqlValue, Transaction, WaitingRunIndex } from '../types.ts';

/** Changes one transaction made, applied in order at COMMIT. */
export interface WaitingRunChanges {
  /** The set was read inside this transaction: it already reflects what came before. */
  loaded: Map<string, Set<string>> | null;
  ops: { add: boolean; tenantId: string; runIds: readonly string[] }[];
  /** A statement wrote the table behind the set's back: forget it at the end. */
  unknownWrite: boolean;
}

export const newWaitingRunChanges = (): WaitingRunChanges => ({ loaded: null, ops: [], unknownWrite: false });

/**
 * Whether a statement (from its first keyword on, as storage/duckdb trims it) may add rows to
 * prediction_waits: any that names the table and is not a SELECT or a DELETE (a DELETE only leaves
 * runs in the set, which is harmless). Conservative: a false "yes" only makes the set be read again.
 */
export function writesWaits(text: string): boolean {
  return /prediction_waits/i.test(text) && !/^(?:select|delete)\b/i.test(text);
}

export class WaitingRuns implements WaitingRunIndex {
  /** tenant → run ids with waiting predictions (a superset), or null: read it again. */
  private runs: Map<string, Set<string>> | null = null;

  /** `current()`: the changes of the write transaction in progress (DuckDB has one at a time), if any. */
  constructor(private readonly current: () => WaitingRunChanges | null) {}

  async candidates(tx: Transaction, tenantId: string, runIds: readonly string[]): Promise<string[]> {
    const changes = this.current();
    if (!changes) return [...runIds];
    if (changes.unknownWrite || (changes.loaded === null && this.runs === null)) {
      changes.loaded = await this.load(tx);
      changes.ops = [];
      changes.unknownWrite = false;
    }
    const base = (changes.loaded ?? this.runs)!.get(tenantId);
    // This transaction's own changes, the last one per run winning.
    const own = new Map<string, boolean>();
    for (const op of changes.ops) if (op.tenantId === tenantId) for (const id of op.runIds) own.set(id, op.add);
    return runIds.filter((id) => own.get(id) ?? base?.has(id) ?? false);
  }

  /** Rows appended to prediction_waits in `tx` (columns include tenant_id and run_id). */
  appended(changes: WaitingRunChanges, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): void {
    const t = columns.indexOf('tenant_id');
    const r = columns.indexOf('run_id');
    if (t < 0 || r < 0) {
      changes.unknownWrite = true;
      return;
    }
    const byTenant = new Map<string, string[]>();
    for (const row of rows) {
      const tenant = String(row[t]);
      (byTenant.get(tenant) ?? byTenant.set(tenant, []).get(tenant)!).push(String(row[r]));
    }
    for (const [tenantId, runIds] of byTenant) changes.ops.push({ add: true, tenantId, runIds });
  }

  /** Every waiting prediction of these runs was taken off the table in `tx`. */
  resolved(tenantId: string, runIds: readonly string[]): void {
    this.current()?.ops.push({ add: false, tenantId, runIds });
  }

  /** The transaction committed: its changes join the set (single writer: nothing else changed it). */
  committed(changes: WaitingRunChanges): void {
    if (changes.unknownWrite) {
      this.runs = null;
      return;
    }
    const runs = changes.loaded ?? this.runs;
    if (!runs) return;
    for (const op of changes.ops) {
      let set = runs.get(op.tenantId);
      if (!set) runs.set(op.tenantId, (set = new Set()));
      if (op.add) for (const id of op.runIds) set.add(id);
      else for (const id of op.runIds) set.delete(id);
    }
    this.runs = runs;
  }

  /** A write outside any transaction the set follows. */
  forget(): void {
    this.runs = null;
  }

  private async load(tx: Transaction): Promise<Map<string, Set<string>>> {
    const rows = await tx.query<{ tenant_id: string; run_id: string }>('SELECT DISTINCT tenant_id, run_id FROM prediction_waits');
    const runs = new Map<string, Set<string>>();
    for (const r of rows) (runs.get(r.tenant_id) ?? runs.set(r.tenant_id, new Set()).get(r.tenant_id)!).add(r.run_id);
    return runs;
  }
}
