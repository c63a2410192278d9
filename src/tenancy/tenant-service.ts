import { randomUUID } from 'node:crypto';
import { usdToMicros } from '../config.ts';
import { TENANT_ID_PATTERN } from '../ingest/validate.ts';
import { ConflictError, ForbiddenError, NotFoundError, TenantNotFoundError, ValidationError, type ErrorDetail } from '../domain/errors.ts';
import type { Storage } from '../storage/types.ts';
import type { Actor, ServiceContext } from './context.ts';
import { generateKey, generateKeyId, hashKey } from './keys.ts';

// One pattern for tenant ids, at creation and at ingest (defined beside the ingest validation).
export { TENANT_ID_PATTERN };

/** Key ids are generated as `key_` + base64url; anything else names no key. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Text PostgreSQL cannot store as given (NUL) or would store changed (an unpaired surrogate has
 * no UTF-8 form); refused on both engines alike, as ingest does for free text.
 */
function unstorableText(value: string): boolean {
  return value.includes('\u0000') || /\p{Cs}/u.test(value);
}

export interface TenantRow {
  tenant_id: string;
  name: string;
  created_at_ms: number;
  price_workflow_run_micros: number | null;
  price_metric_sample_micros: number | null;
  price_prediction_micros: number | null;
}

export interface PriceOverrides {
  workflow_run: number | null;
  metric_sample: number | null;
  prediction: number | null;
}

/** API shape of a tenant; internal columns never leave through anything but this mapper. */
export function toTenantJson(t: TenantRow) {
  return {
    id: t.tenant_id,
    name: t.name,
    created_at: new Date(t.created_at_ms).toISOString(),
    price_overrides: overridesOf(t),
  };
}

export function overridesOf(t: TenantRow): PriceOverrides {
  const usd = (m: number | null) => (m === null ? null : m / 1e6);
  return {
    workflow_run: usd(t.price_workflow_run_micros),
    metric_sample: usd(t.price_metric_sample_micros),
    prediction: usd(t.price_prediction_micros),
  };
}

export function requireAdmin(actor: Actor): void {
  if (actor.kind !== 'admin') throw new ForbiddenError();
}

/**
 * Tenants whose reports the caller may read. Admin: the named tenant (404 when unknown) or all;
 * tenant key: its own tenant, and naming any other gives the same 404 as a missing tenant.
 */
export async function resolveTenantScope(ctx: ServiceContext, tenantId: string | undefined): Promise<string[] | null> {
  const { actor } = ctx;
  if (actor.kind === 'tenant') {
    if (tenantId !== undefined && tenantId !== actor.tenantId) throw new TenantNotFoundError();
    return [actor.tenantId];
  }
  if (tenantId === undefined) return null;
  await requireTenantExists(ctx.storage, tenantId);
  return [tenantId];
}

/** Fetches a tenant the caller may see, or throws tenant_not_found. */
export async function getTenantForActor(ctx: ServiceContext, tenantId: string): Promise<TenantRow> {
  if (ctx.actor.kind === 'tenant' && ctx.actor.tenantId !== tenantId) throw new TenantNotFoundError();
  return getTenantRow(ctx.storage, tenantId);
}

export async function getTenantRow(storage: Storage, tenantId: string): Promise<TenantRow> {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new TenantNotFoundError();
  const rows = await storage.query<TenantRow>('SELECT * FROM tenants WHERE tenant_id = $1', [tenantId]);
  if (!rows[0]) throw new TenantNotFoundError();
  return rows[0];
}

/**
 * Tenants known to exist, per storage. Tenants are never deleted, so a positive answer stays
 * true on every node; this spares every report request a database round trip.
 */
const knownTenants = new WeakMap<Storage, Set<string>>();

/** Throws tenant_not_found unless the tenant exists. */
export async function requireTenantExists(storage: Storage, tenantId: string): Promise<void> {
  let known = knownTenants.get(storage);
  if (!known) knownTenants.set(storage, (known = new Set()));
  if (known.has(tenantId)) return;
  await getTenantRow(storage, tenantId);
  if (known.size > 100_000) known.clear();
  known.add(tenantId);
}

/** Returns the ids among `tenantIds` that do not exist. */
export async function findMissingTenants(storage: Storage, tenantIds: readonly string[]): Promise<string[]> {
  if (tenantIds.length === 0) return [];
  const rows = await storage.query<{ tenant_id: string }>(
    `SELECT tenant_id FROM tenants WHERE ${storage.dialect.inArray('tenant_id', '$1')}`,
    [tenantIds],
  );
  const found = new Set(rows.map((r) => r.tenant_id));
  return tenantIds.filter((t) => !found.has(t));
}

export async function createTenant(ctx: ServiceContext, input: { id?: unknown; name?: unknown }): Promise<TenantRow> {
  requireAdmin(ctx.actor);
  const details: ErrorDetail[] = [];
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
    details.push({ field: 'name', message: 'name is required: a non-empty string of at most 200 characters' });
  } else if (unstorableText(input.name)) {
    details.push({ field: 'name', message: 'name must be valid Unicode text without NUL characters' });
  }
  // null is taken as absent, as in ingest records.
  if (input.id !== undefined && input.id !== null && (typeof input.id !== 'string' || !TENANT_ID_PATTERN.test(input.id))) {
    details.push({ field: 'id', message: 'id must match ^[A-Za-z0-9_-]{1,64}$' });
  }
  if (details.length) throw new ValidationError('Invalid tenant', details);
  const id = (input.id as string | null | undefined) ?? randomUUID();
  const row: TenantRow = {
    tenant_id: id,
    name: (input.name as string).trim(),
    created_at_ms: Date.now(),
    price_workflow_run_micros: null,
    price_metric_sample_micros: null,
    price_prediction_micros: null,
  };
  await ctx.storage.transaction(async (tx) => {
    await tx.lockTenants([id]);
    const existing = await tx.query('SELECT 1 AS x FROM tenants WHERE tenant_id = $1', [id]);
    if (existing.length) throw new ConflictError('tenant_exists', `A tenant with id "${id}" already exists`);
    await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, $3)', [id, row.name, row.created_at_ms]);
  });
  return row;
}

export async function listTenants(ctx: ServiceContext, page: { limit: number; after?: string }): Promise<TenantRow[]> {
  requireAdmin(ctx.actor);
  if (page.after !== undefined && unstorableText(page.after)) {
    throw new ValidationError('Invalid after', [{ field: 'after', message: 'after must be valid Unicode text without NUL characters' }]);
  }
  const id = ctx.storage.dialect.binaryText('tenant_id');
  return ctx.storage.query<TenantRow>(`SELECT * FROM tenants WHERE ${id} > $1 ORDER BY ${id} LIMIT $2`, [
    page.after ?? '',
    page.limit,
  ]);
}

export async function createTenantKey(ctx: ServiceContext, tenantId: string, input: { name?: unknown }) {
  requireAdmin(ctx.actor);
  if (
    input.name !== undefined &&
    input.name !== null &&
    (typeof input.name !== 'string' || input.name.length > 200 || unstorableText(input.name))
  ) {
    throw new ValidationError('Invalid key', [
      { field: 'name', message: 'name must be a string of at most 200 characters, valid Unicode without NUL characters' },
    ]);
  }
  await getTenantRow(ctx.storage, tenantId);
  const key = generateKey('atom_tk');
  const keyId = generateKeyId();
  const createdAt = Date.now();
  const name = (input.name as string | undefined) ?? null;
  await ctx.storage.transaction((tx) =>
    tx.query('INSERT INTO api_keys (tenant_id, key_id, key_hash, name, created_at_ms) VALUES ($1, $2, $3, $4, $5)', [
      tenantId,
      keyId,
      hashKey(key),
      name,
      createdAt,
    ]),
  );
  return { key_id: keyId, tenant_id: tenantId, name, key, created_at: new Date(createdAt).toISOString() };
}

export async function revokeKey(ctx: ServiceContext, keyId: string) {
  requireAdmin(ctx.actor);
  // Checked before any query: such an id cannot exist, and PostgreSQL would refuse a NUL in it.
  if (!KEY_ID_PATTERN.test(keyId)) throw new NotFoundError('key_not_found', 'No key with that id');
  const revokedAt = Date.now();
  const rows = await ctx.storage.transaction((tx) =>
    tx.query<{ tenant_id: string; key_hash: string }>(
      'UPDATE api_keys SET revoked_at_ms = $2 WHERE key_id = $1 AND revoked_at_ms IS NULL RETURNING tenant_id, key_hash',
      [keyId, revokedAt],
    ),
  );
  if (!rows[0]) {
    const any = await ctx.storage.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE key_id = $1', [keyId]);
    if (!any.length) throw new NotFoundError('key_not_found', `No key with id "${keyId}"`);
    // Already revoked (maybe through another node): still returned, so this node forgets it at once too.
    return { key_id: keyId, revoked: true, keyHash: any[0]!.key_hash };
  }
  return { key_id: keyId, revoked: true, revoked_at: new Date(revokedAt).toISOString(), keyHash: rows[0].key_hash };
}

const PRICE_FIELDS = {
  workflow_run: 'price_workflow_run_micros',
  metric_sample: 'price_metric_sample_micros',
  prediction: 'price_prediction_micros',
} as const;

/** A field left out keeps its override, `null` removes it (contract reading 15). */
export async function setTenantPrices(ctx: ServiceContext, tenantId: string, body: unknown): Promise<TenantRow> {
  requireAdmin(ctx.actor);
  await getTenantRow(ctx.storage, tenantId);
  const details: ErrorDetail[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('Body must be a JSON object with workflow_run, metric_sample and/or prediction', [
      { field: '', message: 'expected an object' },
    ]);
  }
  const sets: string[] = [];
  const params: (number | null | string)[] = [tenantId];
  for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
    if (!(field in PRICE_FIELDS)) {
      details.push({ field, message: `unknown field; allowed: ${Object.keys(PRICE_FIELDS).join(', ')}` });
      continue;
    }
    let micros: number | null = null;
    if (value !== null) {
      micros = typeof value === 'number' ? usdToMicros(value) : null;
      if (micros === null) {
        details.push({ field, message: 'must be null or a non-negative USD number with at most 6 decimals' });
        continue;
      }
    }
    params.push(micros);
    sets.push(`${PRICE_FIELDS[field as keyof typeof PRICE_FIELDS]} = $${params.length}`);
  }
  if (details.length) throw new ValidationError('Invalid prices', details);
  if (sets.length) {
    await ctx.storage.transaction((tx) => tx.query(`UPDATE tenants SET ${sets.join(', ')} WHERE tenant_id = $1`, params));
  }
  return getTenantRow(ctx.storage, tenantId);
}
