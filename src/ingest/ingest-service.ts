import { TenantNotFoundError, ValidationError } from '../domain/errors.ts';
import type { ServiceContext } from '../tenancy/context.ts';
import { findMissingTenants } from '../tenancy/tenant-service.ts';
import type { RecordKeyLocator, SqlValue, Storage, Transaction } from '../storage/types.ts';
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
  const keyIndex = storage.capabilities.recordKeys;
  const result = await storage.transaction(async (tx) => {
    await tx.lockTenants([...byTenant.keys()]);
    const total: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
    const deltas = new RollupDeltas();
    for (const [tenantId, recs] of byTenant) {
      const r = await upsertTenantRecords(tx, kind, spec, tenantId, recs, deltas, keyIndex);
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
  keyIndex: RecordKeyLocator | undefined,
): Promise<IngestResult> {
  const rows = recs.map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue));
  const existing = await findStored(tx, spec, tenantId, recs, rows, keyIndex);
  const stored = new Map<string, Rec>();
  for (const row of existing) stored.set(spec.keyOf(row), row);
  const toWrite: SqlValue[][] = [];
  const toDelete: string[] = [];
  let oldFrom = Infinity;
  let oldTo = -Infinity;
  const counts: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    const old = stored.size ? stored.get(spec.keyOf(rec)) : undefined;
    if (!old) {
      counts.inserted++;
      toWrite.push(rows[i]!);
      deltas.add(kind, rec, 1);
    } else if (sameContent(spec, old, rec)) {
      counts.unchanged++;
    } else {
      counts.updated++;
      toDelete.push(spec.keyOf(rec));
      toWrite.push(rows[i]!);
      deltas.add(kind, old, -1);
      deltas.add(kind, rec, 1);
    }
  }
  if (toDelete.length) {
    // Every stored row with these keys was fetched above (existing): their times bound the scan.
    for (const row of existing) {
      const t = Number(row[spec.timeColumn]);
      if (t < oldFrom) oldFrom = t;
      if (t > oldTo) oldTo = t;
    }
    await tx.query(
      `DELETE FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)} AND ${spec.timeColumn} BETWEEN CAST($3 AS BIGINT) AND CAST($4 AS BIGINT)`,
      [tenantId, toDelete, oldFrom, oldTo],
    );
  }
  if (toWrite.length) await tx.insertMany(spec.table, spec.columns, toWrite);
  return counts;
}

/** Unbounded time range (a lookup that must see every row). */
const ANYWHERE: readonly [number, number] = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
/** At most this many time ranges per lookup (one UNION ALL branch each); more are merged. */
const MAX_RANGES = 8;

/**
 * The stored rows sharing a key with `recs` (one tenant). Exact whatever the path:
 * - with a key index that can answer (DuckDB): only keys it may hold are looked up, each only
 *   within the days where a row with that key was stored;
 * - DuckDB before its index is ready: first within the batch's time range (re-sends whose time
 *   did not change), then the keys not found there over the whole table (new records, and
 *   re-sends that moved in time);
 * - PostgreSQL: through the primary key (metrics, keyed by time, within the batch's range).
 */
async function findStored(
  tx: Transaction,
  spec: KindSpec,
  tenantId: string,
  recs: readonly Rec[],
  rows: readonly (readonly SqlValue[])[],
  keyIndex: RecordKeyLocator | undefined,
): Promise<Rec[]> {
  const located = keyIndex ? keyIndex.locate(spec.table, spec.columns, rows) : null;
  if (located) {
    const keys: string[] = [];
    const ranges: (readonly [number, number])[] = [];
    for (let i = 0; i < recs.length; i++) {
      const where = located[i];
      if (!where) continue;
      keys.push(spec.keyOf(recs[i]!));
      for (const r of where) ranges.push(r);
    }
    if (keys.length === 0) return [];
    return lookup(tx, spec, tenantId, keys, mergeRanges(ranges));
  }
  const keys = recs.map((r) => spec.keyOf(r));
  if (spec.timeInKey || keyIndex) {
    let from = Infinity;
    let to = -Infinity;
    for (const r of recs) {
      const t = r[spec.timeColumn] as number;
      if (t < from) from = t;
      if (t > to) to = t;
    }
    const found = await lookup(tx, spec, tenantId, keys, [[from, to]]);
    if (spec.timeInKey) return found;
    const seen = new Set(found.map((row) => spec.keyOf(row)));
    const rest = keys.filter((k) => !seen.has(k));
    if (rest.length === 0) return found;
    const elsewhere = await lookup(tx, spec, tenantId, rest, [ANYWHERE]);
    return found.concat(elsewhere);
  }
  return lookup(tx, spec, tenantId, keys, [ANYWHERE]);
}

/** Sorts, joins overlapping or adjacent ranges, then merges the closest ones down to MAX_RANGES. */
function mergeRanges(ranges: (readonly [number, number])[]): (readonly [number, number])[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  while (out.length > MAX_RANGES) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) if (out[i + 1]![0] - out[i]![1] < out[best + 1]![0] - out[best]![1]) best = i;
    out[best]![1] = out[best + 1]![1];
    out.splice(best + 1, 1);
  }
  return out;
}

/**
 * Rows of `tenantId` with one of `keys` whose time lies in one of `ranges` (one UNION ALL branch
 * per range, so DuckDB's zone maps prune each; an OR would not).
 */
async function lookup(
  tx: Transaction,
  spec: KindSpec,
  tenantId: string,
  keys: readonly string[],
  ranges: readonly (readonly [number, number])[],
): Promise<Rec[]> {
  const params: SqlValue[] = [tenantId, keys];
  const branches = ranges.map((r) => {
    let where = '';
    if (r[0] !== ANYWHERE[0] || r[1] !== ANYWHERE[1]) {
      params.push(r[0], r[1]);
      where = ` AND ${spec.timeColumn} BETWEEN CAST($${params.length - 1} AS BIGINT) AND CAST($${params.length} AS BIGINT)`;
    }
    return `SELECT ${spec.columns.join(', ')} FROM ${spec.table} WHERE tenant_id = $1 AND ${inArraySql(tx, spec.keySql)}${where}`;
  });
  return tx.query<Rec>(branches.join(' UNION ALL '), params);
}

function inArraySql(tx: Transaction, keySql: string): string {
  return tx.dialect.inArray(`(${keySql})`, '$2');
}
