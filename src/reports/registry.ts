import type { Config } from '../config.ts';
import type { Storage } from '../storage/types.ts';
import type { ReportQuery } from './common.ts';
import { costsReport } from './costs.ts';
import { healthReport } from './health.ts';
import { mttrReport } from './mttr.ts';
import { overviewReport } from './overview.ts';
import { predictionsReport } from './predictions.ts';
import { tenantReport } from './tenant.ts';
import { trendsReport } from './trends.ts';

/** What a report may read besides its query: storage, prices and thresholds from config. */
export interface ReportEnv {
  storage: Storage;
  config: Config;
}

/**
 * One report of the contract: its route, its computation and its CSV shape. The HTTP layer
 * builds GET routes and CSV exports from these, so a report is defined in exactly one module.
 */
export interface ReportDefinition {
  /** Report type as used by /export/csv/{type}. */
  name: string;
  /** Fastify path, e.g. '/reports/overview' or '/reports/trends/:tenant_id'. */
  path: string;
  summary: string;
  /** Extra query parameters (JSON schema properties, strings), besides from/to/tz/tenant_id. */
  extraQuery?: Record<string, { type: 'string'; description: string; enum?: string[] }>;
  /** The path names a tenant (trends, tenant report): scope comes from the path. */
  tenantInPath?: boolean;
  /** Computes the JSON body. `params` holds the extra query parameters, unvalidated strings. */
  run(env: ReportEnv, q: ReportQuery, params: Record<string, string | undefined>): Promise<object>;
  /** CSV header and flat rows for the same answer (contract reading 1). Absent: no CSV export. */
  csv?(body: object): { columns: string[]; rows: Record<string, unknown>[] };
}

export const REPORTS: ReportDefinition[] = [
  overviewReport,
  mttrReport,
  costsReport,
  trendsReport,
  healthReport,
  predictionsReport,
  tenantReport,
];

export function findReport(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}
