import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../../domain/errors.ts';
import { parsePeriod } from '../../reports/period.ts';
import type { ReportQuery } from '../../reports/common.ts';
import { resolveTenantScope } from '../../tenancy/tenant-service.ts';
import type { ServiceContext } from '../../tenancy/context.ts';

/** Query-string schema shared by every report: period, zone, and (admin) tenant narrowing. */
export const reportQuerySchema = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'Inclusive start: ISO 8601 with offset, or YYYY-MM-DD (midnight in tz)' },
    to: { type: 'string', description: 'Exclusive end: ISO 8601 with offset, or YYYY-MM-DD (midnight in tz)' },
    tz: { type: 'string', description: 'IANA time zone, default UTC' },
    tenant_id: { type: 'string', description: 'Admin only: narrow to one tenant' },
  },
} as const;

export function extendQuerySchema(extra: Record<string, unknown>) {
  return { ...reportQuerySchema, properties: { ...reportQuerySchema.properties, ...extra } };
}

/** Parses the period and resolves the tenant scope for the caller. */
export async function readReportQuery(ctx: ServiceContext, req: FastifyRequest, pathTenant?: string): Promise<ReportQuery> {
  const q = req.query as { from?: string; to?: string; tz?: string; tenant_id?: string };
  const tenantId = pathTenant ?? q.tenant_id;
  // Scope first: naming another tenant is a 404 whatever else is wrong with the request.
  const tenantIds = await resolveTenantScope(ctx, tenantId);
  if (pathTenant !== undefined && q.tenant_id !== undefined && q.tenant_id !== pathTenant) {
    // A query tenant_id naming another tenant is a 404 too (contract: path, query or body).
    await resolveTenantScope(ctx, q.tenant_id);
    throw new ValidationError('tenant_id in the query must be the tenant of the path', [
      { field: 'tenant_id', message: 'must equal the tenant_id of the path (or be left out)' },
    ]);
  }
  const period = parsePeriod({ from: q.from, to: q.to, tz: q.tz }, Date.now());
  return { ...period, tenantIds };
}
