import type { FastifyInstance } from 'fastify';
import {
  createTenant,
  createTenantKey,
  listTenants,
  overridesOf,
  revokeKey,
  setTenantPrices,
  toTenantJson,
} from '../../tenancy/tenant-service.ts';
import { ValidationError } from '../../domain/errors.ts';
import { serviceContext, type AppDeps } from '../context.ts';

const tenantIdParam = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;

/** Admin endpoints: tenants, keys, price overrides (contract: Auth and tenancy). */
export async function tenantRoutes(app: FastifyInstance, deps: AppDeps) {
  app.post('/tenants', { schema: { tags: ['tenants'], summary: 'Create a tenant' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('Body must be a JSON object {id?, name}');
    const unknown = Object.keys(body).filter((k) => k !== 'id' && k !== 'name');
    if (unknown.length) {
      throw new ValidationError('Unknown fields', unknown.map((f) => ({ field: f, message: 'unknown field' })));
    }
    const row = await createTenant(serviceContext(deps, req), body);
    // All-tenant reports gain a row.
    await deps.cache.bumpGeneration([row.tenant_id]);
    return reply.status(201).send(toTenantJson(row));
  });

  app.get(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List tenants (paginated by id)',
        querystring: {
          type: 'object',
          properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, after: { type: 'string' } },
        },
      },
    },
    async (req) => {
      const q = req.query as { limit?: string; after?: string };
      const limit = Math.min(Math.max(Number(q.limit ?? 1000), 1), 1000);
      const rows = await listTenants(serviceContext(deps, req), { limit, after: q.after });
      const tenants = rows.map(toTenantJson);
      return { tenants, next_after: rows.length === limit ? rows[rows.length - 1]!.tenant_id : null };
    },
  );

  app.post(
    '/tenants/:id/keys',
    { schema: { tags: ['tenants'], summary: 'Create a tenant key (returned once)', params: tenantIdParam } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = (req.body ?? {}) as Record<string, unknown>;
      const created = await createTenantKey(serviceContext(deps, req), id, body);
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/keys/:key_id',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Revoke a key; it stops working at once',
        params: { type: 'object', properties: { key_id: { type: 'string' } }, required: ['key_id'] },
      },
    },
    async (req) => {
      const { key_id } = req.params as { key_id: string };
      const { keyHash, ...result } = await revokeKey(serviceContext(deps, req), key_id);
      if (keyHash) deps.auth.forget(keyHash);
      return result;
    },
  );

  app.put(
    '/tenants/:id/prices',
    { schema: { tags: ['tenants'], summary: 'Set per-tenant price overrides (USD per unit)', params: tenantIdParam } },
    async (req) => {
      const { id } = req.params as { id: string };
      const row = await setTenantPrices(serviceContext(deps, req), id, req.body);
      await deps.cache.bumpGeneration([id]);
      const p = deps.config.prices;
      const o = overridesOf(row);
      return {
        tenant_id: row.tenant_id,
        overrides: o,
        prices: {
          workflow_run: o.workflow_run ?? p.workflowRunMicros / 1e6,
          metric_sample: o.metric_sample ?? p.metricSampleMicros / 1e6,
          prediction: o.prediction ?? p.predictionMicros / 1e6,
        },
      };
    },
  );
}
