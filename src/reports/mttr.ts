import { ValidationError } from '../domain/errors.ts';
import type { SqlValue } from '../storage/types.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
import { compareText, num, numOrNull, periodJson, tenantFilter, type ReportPeriod, type ReportQuery } from './common.ts';

/** Columns an MTTR report may be grouped by (contract: `group_by=service|severity`). */
export const MTTR_GROUPS = ['service', 'severity'] as const;
export type MttrGroup = (typeof MTTR_GROUPS)[number];

export interface MttrOptions {
  groupBy: MttrGroup | null;
}

export interface MttrRow {
  tenant_id: string;
  /** Present only with `group_by=service`. */
  service?: string;
  /** Present only with `group_by=severity`. */
  severity?: string;
  incident_count: number;
  resolved_count: number;
  open_count: number;
  mttr_avg_seconds: number | null;
  mttr_median_seconds: number | null;
  mttr_p95_seconds: number | null;
  mtta_avg_seconds: number | null;
  mtta_median_seconds: number | null;
}

const METRIC_COLUMNS = [
  'incident_count',
  'resolved_count',
  'open_count',
  'mttr_avg_seconds',
  'mttr_median_seconds',
  'mttr_p95_seconds',
  'mtta_avg_seconds',
  'mtta_median_seconds',
] as const satisfies readonly (keyof MttrRow)[];

/** CSV header (contract reading 1): `tenant_id`, the group column when grouped, then the metrics. */
export function mttrColumns(groupBy: MttrGroup | null): string[] {
  return ['tenant_id', ...(groupBy ? [groupBy] : []), ...METRIC_COLUMNS];
}

export interface MttrBody {
  period: ReportPeriod;
  rows: MttrRow[];
}

/** Reads `group_by` (absent = per tenant); anything else is a 400, also outside HTTP (CLI, exports). */
export function parseMttrGroupBy(value: string | undefined): MttrGroup | null {
  if (value === undefined) return null;
  if ((MTTR_GROUPS as readonly string[]).includes(value)) return value as MttrGroup;
  throw new ValidationError(`group_by must be one of: ${MTTR_GROUPS.join(', ')}`, [
    { field: 'group_by', message: `must be one of: ${MTTR_GROUPS.join(', ')}` },
  ]);
}

/** Resolved incidents: those with a resolved_at (contract: MTTR is over resolved ones). */
const RESOLVED = 'resolved_at_ms IS NOT NULL';
const ACKNOWLEDGED = 'acknowledged_at_ms IS NOT NULL';

/**
 * GET /reports/mttr (contract "Reports › mttr", readings 2–4): incidents opened in [from, to),
 * per tenant or per (tenant, group value).
 * - `open_count` counts incidents without `resolved_at`, whenever they might be resolved later;
 *   they never enter MTTR as zero.
 * - MTTR is over resolved incidents (resolved_at − opened_at), MTTA over acknowledged ones
 *   (acknowledged_at − opened_at), both in seconds, not truncated.
 * - Without grouping every tenant in scope has a row (counts 0, averages null); with grouping
 *   only values that have incidents in the period appear.
 *
 * Percentiles are computed in SQL (`dialect.percentileCont`) over the exact integer millisecond
 * durations cast to double, and divided by 1000 here. Both engines implement the same
 * interpolation (the formula `metrics/percentile.ts` mirrors) over exact inputs, so they agree;
 * keeping it in SQL means the report stays one aggregate query however many incidents a tenant
 * has, instead of shipping every duration to Node. Sums are integer milliseconds (exact), so a
 * mean is a single division.
 */
export async function getMttr(env: ReportEnv, q: ReportQuery, opts: MttrOptions): Promise<MttrRow[]> {
  const { storage } = env;
  const d = storage.dialect;
  const groupBy = opts.groupBy;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const scopeI = tenantFilter(d, 'tenant_id', q, params);
  const repairMs = d.double('resolved_at_ms - opened_at_ms');
  const ackMs = d.double('acknowledged_at_ms - opened_at_ms');
  // The group column comes from a fixed list, never from request text.
  const groupCol = groupBy === null ? '' : `, ${groupBy === 'service' ? 'service' : 'severity'}`;
  const aggregate = `
      SELECT tenant_id${groupCol},
             count(*) AS incident_count,
             count(*) FILTER (WHERE ${RESOLVED}) AS resolved_count,
             sum(resolved_at_ms - opened_at_ms) FILTER (WHERE ${RESOLVED}) AS repair_sum_ms,
             ${d.percentileCont(repairMs, 0.5)} FILTER (WHERE ${RESOLVED}) AS repair_median_ms,
             ${d.percentileCont(repairMs, 0.95)} FILTER (WHERE ${RESOLVED}) AS repair_p95_ms,
             count(*) FILTER (WHERE ${ACKNOWLEDGED}) AS ack_count,
             sum(acknowledged_at_ms - opened_at_ms) FILTER (WHERE ${ACKNOWLEDGED}) AS ack_sum_ms,
             ${d.percentileCont(ackMs, 0.5)} FILTER (WHERE ${ACKNOWLEDGED}) AS ack_median_ms
      FROM incidents
      WHERE opened_at_ms >= $1 AND opened_at_ms < $2 AND ${scopeI}
      GROUP BY tenant_id${groupCol}`;

  let sql: string;
  if (groupBy === null) {
    const scopeT = tenantFilter(d, 't.tenant_id', q, params);
    sql = `
      WITH agg AS (${aggregate})
      SELECT t.tenant_id, agg.incident_count, agg.resolved_count, agg.repair_sum_ms, agg.repair_median_ms,
             agg.repair_p95_ms, agg.ack_count, agg.ack_sum_ms, agg.ack_median_ms
      FROM tenants t
      LEFT JOIN agg ON agg.tenant_id = t.tenant_id
      WHERE ${scopeT}`;
  } else {
    sql = aggregate;
  }
  const rows = await storage.query<Record<string, unknown>>(sql, params);
  return rows
    .map((r) => toMttrRow(r, groupBy))
    .sort((a, b) => compareText(a.tenant_id, b.tenant_id) || (groupBy ? compareText(a[groupBy]!, b[groupBy]!) : 0));
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}

/** Mean seconds from an exact millisecond sum: one rounding (sum / (n·1000)), null when n = 0. */
function meanSeconds(sumMs: unknown, n: number): number | null {
  return n === 0 ? null : num(sumMs) / (n * 1000);
}

function toMttrRow(r: Record<string, unknown>, groupBy: MttrGroup | null): MttrRow {
  const incidents = num(r.incident_count);
  const resolved = num(r.resolved_count);
  const acknowledged = num(r.ack_count);
  // Key order is the JSON and CSV column order (reading 1): the group column right after tenant_id.
  return {
    tenant_id: String(r.tenant_id),
    ...(groupBy === null ? {} : { [groupBy]: String(r[groupBy]) }),
    incident_count: incidents,
    resolved_count: resolved,
    open_count: incidents - resolved,
    mttr_avg_seconds: meanSeconds(r.repair_sum_ms, resolved),
    mttr_median_seconds: resolved === 0 ? null : seconds(numOrNull(r.repair_median_ms)),
    mttr_p95_seconds: resolved === 0 ? null : seconds(numOrNull(r.repair_p95_ms)),
    mtta_avg_seconds: meanSeconds(r.ack_sum_ms, acknowledged),
    mtta_median_seconds: acknowledged === 0 ? null : seconds(numOrNull(r.ack_median_ms)),
  };
}

/**
 * The grouping an answer was computed with, kept off the JSON (the contract's body is
 * `{period, rows}`) so the CSV header still has the group column when there are no rows.
 */
const GROUP_BY = Symbol('mttr.groupBy');

function groupByOf(body: MttrBody): MttrGroup | null {
  const tagged = (body as MttrBody & { [GROUP_BY]?: MttrGroup | null })[GROUP_BY];
  if (tagged !== undefined) return tagged;
  // A body that lost the tag (e.g. read back from a cache) still names its group in its rows.
  const first = body.rows[0];
  return first?.service !== undefined ? 'service' : first?.severity !== undefined ? 'severity' : null;
}

export const mttrReport: ReportDefinition = {
  name: 'mttr',
  path: '/reports/mttr',
  summary: 'Mean and percentile time to resolve and to acknowledge incidents, per tenant or per service/severity',
  extraQuery: {
    group_by: { type: 'string', description: 'Add a row per service or per severity', enum: [...MTTR_GROUPS] },
  },
  run: async (env, q, params) => {
    const groupBy = parseMttrGroupBy(params.group_by);
    const body: MttrBody = { period: periodJson(q), rows: await getMttr(env, q, { groupBy }) };
    Object.defineProperty(body, GROUP_BY, { value: groupBy, enumerable: false });
    return body;
  },
  csv: (body) => {
    const b = body as MttrBody;
    return { columns: mttrColumns(groupByOf(b)), rows: b.rows as unknown as Record<string, unknown>[] };
  },
};
