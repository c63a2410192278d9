import { TenantNotFoundError } from '../domain/errors.ts';
import type { ReportQuery } from '../reports/common.ts';
import { parsePeriod } from '../reports/period.ts';
import type { ServiceContext } from '../tenancy/context.ts';
import { resolveTenantScope } from '../tenancy/tenant-service.ts';
import { optionalString, UsageError, type ArgValues, type OptionSpec } from './args.ts';

/** Period, zone, tenant and per-report options shared by `report` and `export`. */
export const REPORT_OPTIONS: Record<string, OptionSpec> = {
  from: { type: 'string', description: 'inclusive start (ISO 8601 with offset, or YYYY-MM-DD in --tz)' },
  to: { type: 'string', description: 'exclusive end' },
  tz: { type: 'string', description: 'IANA time zone', default: 'UTC' },
  tenant: { type: 'string', description: 'one tenant (required for trends and tenant)' },
  'group-by': { type: 'string', description: 'mttr: service or severity' },
  granularity: { type: 'string', description: 'trends: hour, day or week' },
  threshold: { type: 'string', description: 'predictions: decision threshold' },
};

/** Resolves the tenant scope and period the same way the HTTP routes do (admin caller). */
export async function readReportOptions(ctx: ServiceContext, values: ArgValues): Promise<{ q: ReportQuery; params: Record<string, string | undefined> }> {
  const tenant = optionalString(values, 'tenant');
  let tenantIds: string[] | null;
  try {
    tenantIds = await resolveTenantScope(ctx, tenant);
  } catch (err) {
    // The API's "Tenant not found" hides which one; on the command line the caller named it.
    if (err instanceof TenantNotFoundError) throw new UsageError(`unknown tenant "${tenant}" (atom-analytics tenants list shows them)`);
    throw err;
  }
  const period = parsePeriod({ from: optionalString(values, 'from'), to: optionalString(values, 'to'), tz: optionalString(values, 'tz') }, Date.now());
  return {
    q: { ...period, tenantIds },
    params: {
      group_by: optionalString(values, 'group-by'),
      granularity: optionalString(values, 'granularity'),
      threshold: optionalString(values, 'threshold'),
    },
  };
}
