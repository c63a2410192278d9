import { TenantNotFoundError, ValidationError } from '../domain/errors.ts';
import type { ServiceContext } from '../tenancy/context.ts';
import { findMissingTenants } from '../tenancy/tenant-service.ts';
import type { RecordKeyLocator, SqlValue, Storage, Transaction, WaitingRunIndex } from '../storage/types.ts';
import { KIND_SPECS, type IngestKindName, type KindSpec } from './kinds.ts';
import { RECORD_FIELDS } from './records.ts';
import { parseIngestBody } from './parse-body.ts';
import { applyRunOutcomeChanges, outcomeOfRun, resolveIncomingPredictions, updatePredictionWaits, type RunOutcomeChange } from './prediction-outcomes.ts';
import { findStored, inArraySql, timeBounds } from './stored-rows.ts';
import { RollupDeltas } from './rollups.ts';
import { validateBatch } from './validate.ts';

export interface IngestResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export type Rec = Record<string, unknown>;

/**
 * Validates and upserts one batch, all or nothing (contract: Ingestion). Resolves only after
 * COMMIT, so a 2xx built from the result means every record is durable.
 */
export async function ingestBatch(
  ctx: ServiceContext,
  kind: IngestKindName,
  body: string,
  contentType: string | undefined,
): Promise<IngestResult & { tenantIds: string[] }> {
  const parsed = parseIngestBody(body, contentType);
  const auth = { tenantId: ctx.actor.kind === 'tenant' ? ctx.actor.tenantId : null };
  const validated = validateBatch(kind, parsed.records, auth);
  // Naming another tenant is answered exactly like a missing tenant, before anything else.
  if (validated.foreignTenant) throw new TenantNotFoundError();
  // An unknown tenant, too, is answered 404 before any validation error (README, Ingest).
  if (validated.tenantIds.length && (await findMissingTenants(ctx.storage, validated.tenantIds)).length) throw new TenantNotFoundError();
  const errors = [...parsed.errors, ...validated.errors].sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  if (errors.length) {
    throw new ValidationError(`${new Set(errors.map((e) => e.index)).size} record(s) are invalid; nothing was stored`, errors);
  }
  if (validated.records.length === 0) return { inserted: 0, updated: 0, unchanged: 0, tenantIds: [] };
  return storeRecords(ctx.storage, kind, validated.records as unknown as Rec[]);
}

/**
 * Upserts already-validated records in one transaction (also used by the demo seeder and the
 * benchmark's generator, so every path maintains the same tables).
 */
export async function storeRecords(
  storage: Storage,
  kind: IngestKindName,
  records: readonly Rec[],
): Promise<IngestResult & { tenantIds: string[] }> {
  const spec = KIND_SPECS[kind];
  const byTenant = new Map<string, Rec[]>();
  for (const rec of records) {
    const t = rec.tenant_id as string;
    let list = byTenant.get(t);
    if (!list) byTenant.set(t, (list = []));
    list.push(rec);
  }
  const { recordKeys: keyIndex, waitingRuns } = storage.capabilities;
  const result = await storage.transaction(async (tx) => {
    await tx.lockTenants([...byTenant.keys()]);
    const total: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
    const deltas = new RollupDeltas();
    for (const [tenantId, recs] of byTenant) {
      const r = await upsertTenantRecords(tx, kind, spec, tenantId, recs, deltas, keyIndex, waitingRuns);
      total.inserted += r.inserted;
      total.updated += r.updated;
      total.unchanged += r.unchanged;
    }
    // Same transaction: rollups are never ahead of or behind the records they summarise.
    await deltas.write(tx);
    return total;
  });
  return { ...result, tenantIds: [...byTenant.keys()] };
}

/**
 * Compares a stored row with an incoming record field by field (timestamps are epoch ms numbers);
 * derived columns (a prediction's run_outcome) are not content.
 */
function sameContent(kind: IngestKindName, stored: Rec, incoming: Rec): boolean {
  for (const c of RECORD_FIELDS[kind] as readonly string[]) {
    const a = stored[c] ?? null;
    const b = incoming[c] ?? null;
    if (a !== b) return false;
  }
  return true;
}

async function upsertTenantRecords(
  tx: Transaction,
  kind: IngestKindName,
  spec: KindSpec,
  tenantId: string,
  recs: Rec[],
  deltas: RollupDeltas,
  keyIndex: RecordKeyLocator | undefined,
  waitingRuns: WaitingRunIndex | undefined,
): Promise<IngestResult> {
  const rows = recs.map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue));
  const existing = await findStored(tx, spec, tenantId, recs, rows, keyIndex);
  const stored = new Map<string, Rec>();
  for (const row of existing) stored.set(spec.keyOf(row), row);
  const toDelete: string[] = [];
  const counts: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
  /** Indexes of the records to write (new or changed). */
  const writes: number[] = [];
  /** Runs whose outcome for linked predictions changed (workflow_runs only). */
  const outcomeChanges: RunOutcomeChange[] = [];
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    const old = stored.size ? stored.get(spec.keyOf(rec)) : undefined;
    if (old && sameContent(kind, old, rec)) {
      counts.unchanged++;
      continue;
    }
    if (!old) {
      counts.inserted++;
    } else {
      counts.updated++;
      toDelete.push(spec.keyOf(rec));
      deltas.add(kind, old, -1);
    }
    writes.push(i);
    if (kind === 'workflow_runs') {
      const before = old ? outcomeOfRun(old.status) : null;
      const after = outcomeOfRun(rec.status);
      if (before !== after) outcomeChanges.push({ id: rec.id as string, before, after });
    }
  }
  const written = writes.map((i) => recs[i]!);
  if (kind === 'predictions' && written.length) {
    // Only what is written needs its run's outcome (an unchanged re-send costs no run lookup).
    await resolveIncomingPredictions(tx, tenantId, written, keyIndex);
    const at = spec.columns.indexOf('run_outcome');
    for (const i of writes) rows[i]![at] = (recs[i]!.run_outcome ?? null) as SqlValue;
  }
  for (const rec of written) deltas.add(kind, rec, 1);
  if (toDelete.length) {
    // Every stored row with these keys was fetched above (existing): their times bound the scan.
    const [oldFrom, oldTo] = timeBounds(existing, spec.timeColumn);
    await tx.query(
      `DELETE FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)} AND ${spec.timeColumn} BETWEEN CAST($3 AS BIGINT) AND CAST($4 AS BIGINT)`,
      [tenantId, toDelete, oldFrom, oldTo],
    );
  }
  if (writes.length) await tx.insertMany(spec.table, spec.columns, writes.map((i) => rows[i]!));
  if (kind === 'predictions') await updatePredictionWaits(tx, tenantId, toDelete, written);
  if (outcomeChanges.length) await applyRunOutcomeChanges(tx, tenantId, outcomeChanges, deltas, waitingRuns);
  return counts;
}
