import type { Dialect, SqlValue } from '../storage/types.ts';

/**
 * Runs that count for rates, durations and p95: finished ones (contract: over succeeded + failed).
 * The one SQL spelling of that rule, for reports and rollups alike.
 */
export const FINISHED_RUN_SQL = "status IN ('succeeded', 'failed')";

/** A validated report request: period in epoch ms and the tenants in scope (null = all). */
export interface ReportQuery {
  fromMs: number;
  toMs: number;
  tz: string;
  /** Tenants the caller may see and asked for; null means every tenant (admin only). */
  tenantIds: string[] | null;
}

export interface ReportPeriod {
  from: string;
  to: string;
}

export function periodJson(q: ReportQuery): ReportPeriod {
  return { from: new Date(q.fromMs).toISOString(), to: new Date(q.toMs).toISOString() };
}

/**
 * Appends the tenant scope to a WHERE clause. Returns SQL and pushes the parameter, so
 * every report filters tenants the same way.
 */
export function tenantFilter(dialect: Dialect, column: string, q: ReportQuery, params: SqlValue[]): string {
  if (q.tenantIds === null) return 'TRUE';
  // One tenant (every tenant key, most admin requests): a plain equality, which DuckDB's zone maps
  // and PostgreSQL's estimates handle far better than a semi-join over an unnested list.
  if (q.tenantIds.length === 1) {
    params.push(q.tenantIds[0]!);
    return `${column} = $${params.length}`;
  }
  params.push(q.tenantIds);
  return dialect.inArray(column, `$${params.length}`);
}

/** Ratio that is null over an empty denominator (contract: averages over nothing are null). */
export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || denominator === 0) return null;
  return numerator / denominator;
}

/** Code-unit order, identical on both engines whatever the database collation. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
