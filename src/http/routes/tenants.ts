import type { FastifyInstance } from 'fastify';
import {
  TENANT_ID_PATTERN,
  createTenant,
  createTenantKey,
  listTenants,
  overridesOf,
  revokeKey,
  setTenantPrices,
  toTenantJson,
} from '../../tenancy/tenant-service.ts';
import { ERROR_RESPONSES } from '../plugins/errors.ts';
import { serviceContext, type AppDeps } from '../context.ts';

/** Every route here is admin-only: a tenant key gets 403 before its body is looked at. */
const ADMIN = { admin: true } as const;

const tenantIdParam = {
  type: 'object',
  properties: { id: { type: 'string', description: 'Tenant id' } },
  required: ['id'],
} as const;

const nullableUsd = { type: ['number', 'null'], description: 'USD per unit; null when no override is set' } as const;

const priceOverridesSchema = {
  type: 'object',
  description: 'Per-tenant prices that replace the defaults (null: the default applies)',
  required: ['workflow_run', 'metric_sample', 'prediction'],
  properties: { workflow_run: nullableUsd, metric_sample: nullableUsd, prediction: nullableUsd },
} as const;

const tenantSchema = {
  type: 'object',
  required: ['id', 'name', 'created_at', 'price_overrides'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    price_overrides: priceOverridesSchema,
  },
} as const;

const priceInput = {
  type: ['number', 'null'],
  minimum: 0,
  description: 'USD per unit, at most 6 decimals; null removes the override, leaving the field out keeps it',
} as const;

/** Admin endpoints: tenants, keys, price overrides (contract: Auth and tenancy). */
export async function tenantRoutes(app: FastifyInstance, deps: AppDeps) {
  app.post(
    '/tenants',
    {
      config: ADMIN,
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant',
        operationId: 'createTenant',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            id: { type: ['string', 'null'], pattern: TENANT_ID_PATTERN.source, description: 'Generated as a UUID when absent or null' },
            name: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: { 201: { description: 'Created', ...tenantSchema }, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const row = await createTenant(serviceContext(deps, req), req.body as { id?: string; name: string });
      // All-tenant reports gain a row.
      await deps.cache.bumpGeneration([row.tenant_id]);
      return reply.status(201).send(toTenantJson(row));
    },
  );

  app.get(
    '/tenants',
    {
      config: ADMIN,
      schema: {
        tags: ['tenants'],
        summary: 'List tenants (paginated by id)',
        operationId: 'listTenants',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Page size, 1..1000 (default 1000)' },
            after: { type: 'string', description: 'Continue after this tenant id (`next_after` of the previous page)' },
          },
        },
        response: {
          200: {
            description: 'Tenants ordered by id',
            type: 'object',
            required: ['tenants', 'next_after'],
            properties: {
              tenants: { type: 'array', items: tenantSchema },
              next_after: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null on the last page' },
            },
          },
          ...ERROR_RESPONSES,
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
    {
      config: ADMIN,
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant key (returned once)',
        operationId: 'createTenantKey',
        params: tenantIdParam,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { name: { type: ['string', 'null'], maxLength: 200, description: 'A label for the key' } },
        },
        response: {
          201: {
            description: 'The clear key is in `key`; only its hash is stored, it cannot be shown again',
            type: 'object',
            required: ['key_id', 'tenant_id', 'name', 'key', 'created_at'],
            properties: {
              key_id: { type: 'string', description: 'Use with DELETE /keys/{key_id}' },
              tenant_id: { type: 'string' },
              name: { type: ['string', 'null'] },
              key: { type: 'string', description: 'Send as `Authorization: Bearer <key>`' },
              created_at: { type: 'string', format: 'date-time' },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = (req.body ?? {}) as { name?: string | null };
      const created = await createTenantKey(serviceContext(deps, req), id, body);
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/keys/:key_id',
    {
      config: ADMIN,
      schema: {
        tags: ['tenants'],
        summary: 'Revoke a key; it stops working at once',
        operationId: 'revokeKey',
        params: { type: 'object', properties: { key_id: { type: 'string' } }, required: ['key_id'] },
        response: {
          200: {
            description: 'Revoked (also when it already was; `revoked_at` is then absent)',
            type: 'object',
            required: ['key_id', 'revoked'],
            properties: {
              key_id: { type: 'string' },
              revoked: { type: 'boolean' },
              revoked_at: { type: 'string', format: 'date-time' },
            },
          },
          ...ERROR_RESPONSES,
        },
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
    {
      config: ADMIN,
      schema: {
        tags: ['tenants'],
        summary: 'Set per-tenant price overrides (USD per unit)',
        operationId: 'setTenantPrices',
        params: tenantIdParam,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { workflow_run: priceInput, metric_sample: priceInput, prediction: priceInput },
        },
        response: {
          200: {
            description: 'The overrides now in force and the prices that result',
            type: 'object',
            required: ['tenant_id', 'overrides', 'prices'],
            properties: {
              tenant_id: { type: 'string' },
              overrides: priceOverridesSchema,
              prices: {
                type: 'object',
                description: 'Prices used for this tenant: the override, else the default',
                required: ['workflow_run', 'metric_sample', 'prediction'],
                properties: {
                  workflow_run: { type: 'number' },
                  metric_sample: { type: 'number' },
                  prediction: { type: 'number' },
                },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
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
