import { COSTS_COLUMNS, toCostsCsvRow } from '../reports/costs.ts';
import { HEALTH_COLUMNS } from '../reports/health.ts';
import { mttrColumns } from '../reports/mttr.ts';
import { OVERVIEW_COLUMNS } from '../reports/overview.ts';
import { PREDICTION_CSV_COLUMNS, toPredictionCsvRow } from '../reports/predictions.ts';
import type { TenantReport } from '../reports/tenant.ts';
import { TRENDS_CSV_COLUMNS, trendsCsvRows } from '../reports/trends.ts';

export interface ReportSection {
  title: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

const rowOf = (r: object | null): Record<string, unknown>[] => (r ? [r as Record<string, unknown>] : []);

/**
 * The tenant report as one block per part, each with the columns of the report of the same name
 * (so `--format csv` gives the same header and cells as `export <part> --tenant …`).
 */
export function tenantReportSections(body: TenantReport): ReportSection[] {
  return [
    { title: 'tenant', columns: ['id', 'name', 'created_at'], rows: [body.tenant] },
    { title: 'overview', columns: [...OVERVIEW_COLUMNS], rows: rowOf(body.overview) },
    { title: 'mttr', columns: mttrColumns(null), rows: rowOf(body.mttr) },
    { title: 'costs', columns: [...COSTS_COLUMNS], rows: body.costs ? [toCostsCsvRow(body.costs)] : [] },
    { title: 'health', columns: [...HEALTH_COLUMNS], rows: body.health as unknown as Record<string, unknown>[] },
    { title: 'predictions', columns: [...PREDICTION_CSV_COLUMNS], rows: body.predictions.map(toPredictionCsvRow) },
    {
      title: 'trends',
      columns: [...TRENDS_CSV_COLUMNS],
      rows: trendsCsvRows({ tenant_id: body.tenant.id, granularity: body.trends.granularity, tz: body.trends.tz, points: body.trends.points }),
    },
  ];
}
