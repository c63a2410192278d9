import { TenantNotFoundError, ValidationError } from '../domain/errors.ts';
import type { ServiceContext } from '../tenancy/context.ts';
import { findMissingTenants } from '../tenancy/tenant-service.ts';
import type { SqlValue, Storage, Transaction } from '../storage/types.ts';
import { KIND_SPECS, type IngestKindName, type KindSpec } from './kinds.ts';
import { parseIngestBody } from './parse-body.ts';
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
  const errors = [...parsed.errors, ...validated.errors].sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  if (errors.length) {
    throw new ValidationError(`${new Set(errors.map((e) => e.index)).size} record(s) are invalid; nothing was stored`, errors);
  }
  if (validated.records.length === 0) return { inserted: 0, updated: 0, unchanged: 0, tenantIds: [] };
  if ((await findMissingTenants(ctx.storage, validated.tenantIds)).length) throw new TenantNotFoundError();
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
  const result = await storage.transaction(async (tx) => {
    await tx.lockTenants([...byTenant.keys()]);
    const total: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
    const deltas = new RollupDeltas();
    for (const [tenantId, recs] of byTenant) {
      const r = await upsertTenantRecords(tx, kind, spec, tenantId, recs, deltas);
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

/** Compares a stored row with an incoming record field by field (timestamps are epoch ms numbers). */
function sameContent(spec: KindSpec, stored: Rec, incoming: Rec): boolean {
  for (const c of spec.columns) {
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
): Promise<IngestResult> {
  const keys = recs.map((r) => spec.keyOf(r));
  const existing = await tx.query<Rec>(
    `SELECT ${spec.columns.join(', ')} FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)}`,
    [tenantId, keys],
  );
  const stored = new Map(existing.map((row) => [spec.keyOf(row), row]));
  const toWrite: Rec[] = [];
  const toDelete: string[] = [];
  const counts: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
  for (const rec of recs) {
    const key = spec.keyOf(rec);
    const old = stored.get(key);
    if (!old) {
      counts.inserted++;
      toWrite.push(rec);
      deltas.add(kind, rec, 1);
    } else if (sameContent(spec, old, rec)) {
      counts.unchanged++;
    } else {
      counts.updated++;
      toDelete.push(key);
      toWrite.push(rec);
      deltas.add(kind, old, -1);
      deltas.add(kind, rec, 1);
    }
  }
  if (toDelete.length) {
    await tx.query(`DELETE FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)}`, [tenantId, toDelete]);
  }
  if (toWrite.length) {
    await tx.insertMany(
      spec.table,
      spec.columns,
      toWrite.map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue)),
    );
  }
  return counts;
}

function inArraySql(tx: Transaction, keySql: string): string {
  return tx.dialect.inArray(`(${keySql})`, '$2');
}
