import { ValidationError } from '../domain/errors.ts';
import type { SqlValue } from '../storage/types.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';
import { compareText, numOrNull, periodJson, tenantFilter, type ReportPeriod, type ReportQuery } from './common.ts';
import { percentileCont, sortAscending } from './metrics/percentile.ts';

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

/** Durations of one (tenant[, group value]) in milliseconds, exact integers. */
interface Accumulator {
  tenantId: string;
  group: string | null;
  incidents: number;
  repairMs: number[];
  ackMs: number[];
}

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
 * The engine returns each incident's durations as exact integer milliseconds and the metrics are
 * computed here with `metrics/percentile.ts`. SQL percentiles would not be identical across
 * engines: DuckDB's quantile_cont interpolates as lo·(1−d) + hi·d, PostgreSQL's percentile_cont as
 * lo + (hi−lo)·d, which differ in the last bits (1 ms and 172 800 000 ms at p95 give
 * 164160000.05 vs 164160000.04999998). Incidents are few (tens of thousands per period), so one
 * narrow query per request is cheap. Sums stay integer milliseconds, so a mean is one division.
 */
export async function getMttr(env: ReportEnv, q: ReportQuery, opts: MttrOptions): Promise<MttrRow[]> {
  const { storage } = env;
  const d = storage.dialect;
  const groupBy = opts.groupBy;
  const params: SqlValue[] = [q.fromMs, q.toMs];
  const durations = `i.resolved_at_ms - i.opened_at_ms AS repair_ms, i.acknowledged_at_ms - i.opened_at_ms AS ack_ms`;
  let sql: string;
  if (groupBy === null) {
    // Every tenant in scope, with or without incidents (reading 2): a tenant without any has
    // one row whose incident columns are null.
    const scopeT = tenantFilter(d, 't.tenant_id', q, params);
    sql = `
      SELECT t.tenant_id, NULL AS group_value, i.opened_at_ms, ${durations}
      FROM tenants t
      LEFT JOIN incidents i ON i.tenant_id = t.tenant_id AND i.opened_at_ms >= $1 AND i.opened_at_ms < $2
      WHERE ${scopeT}`;
  } else {
    // The group column comes from a fixed list, never from request text.
    const column = groupBy === 'service' ? 'i.service' : 'i.severity';
    const scopeI = tenantFilter(d, 'i.tenant_id', q, params);
    sql = `
      SELECT i.tenant_id, ${column} AS group_value, i.opened_at_ms, ${durations}
      FROM incidents i
      WHERE i.opened_at_ms >= $1 AND i.opened_at_ms < $2 AND ${scopeI}`;
  }
  const rows = await storage.query<Record<string, unknown>>(sql, params);

  const groups = new Map<string, Accumulator>();
  for (const r of rows) {
    const tenantId = String(r.tenant_id);
    const group = r.group_value === null || r.group_value === undefined ? null : String(r.group_value);
    const key = group === null ? tenantId : JSON.stringify([tenantId, group]);
    let acc = groups.get(key);
    if (!acc) groups.set(key, (acc = { tenantId, group, incidents: 0, repairMs: [], ackMs: [] }));
    if (r.opened_at_ms === null || r.opened_at_ms === undefined) continue;
    acc.incidents += 1;
    const repair = numOrNull(r.repair_ms);
    if (repair !== null) acc.repairMs.push(repair);
    const ack = numOrNull(r.ack_ms);
    if (ack !== null) acc.ackMs.push(ack);
  }
  return [...groups.values()]
    .map((acc) => toMttrRow(acc, groupBy))
    .sort((a, b) => compareText(a.tenant_id, b.tenant_id) || (groupBy ? compareText(a[groupBy]!, b[groupBy]!) : 0));
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}

/** Mean seconds from exact integer milliseconds: one rounding (sum / (n·1000)), null when empty. */
function meanSeconds(ms: readonly number[]): number | null {
  if (ms.length === 0) return null;
  let sum = 0;
  for (const v of ms) sum += v;
  return sum / (ms.length * 1000);
}

function toMttrRow(acc: Accumulator, groupBy: MttrGroup | null): MttrRow {
  const repair = sortAscending(acc.repairMs);
  const ack = sortAscending(acc.ackMs);
  // Key order is the JSON and CSV column order (reading 1): the group column right after tenant_id.
  return {
    tenant_id: acc.tenantId,
    ...(groupBy === null ? {} : { [groupBy]: acc.group ?? '' }),
    incident_count: acc.incidents,
    resolved_count: repair.length,
    open_count: acc.incidents - repair.length,
    mttr_avg_seconds: meanSeconds(repair),
    mttr_median_seconds: seconds(percentileCont(repair, 0.5)),
    mttr_p95_seconds: seconds(percentileCont(repair, 0.95)),
    mtta_avg_seconds: meanSeconds(ack),
    mtta_median_seconds: seconds(percentileCont(ack, 0.5)),
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
