import { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import type { ReportQuery } from '../reports/common.ts';
import { findReport, REPORTS, type ReportEnv } from '../reports/registry.ts';
import { createCsvStream, csvAttachmentFilename, flattenRow } from './csv.ts';
import { RAW_EXPORTS, openRawCsvStream } from './raw-export.ts';

/** Every type accepted by /export/csv/{type} and the audit export. */
export function exportTypes(): string[] {
  return [...REPORTS.filter((r) => r.csv).map((r) => r.name), ...Object.keys(RAW_EXPORTS)];
}

export interface CsvExport {
  type: string;
  filename: string;
  stream: Readable;
}

/**
 * Opens a CSV export: a report's rows (identical to its JSON answer, flattened per contract
 * reading 1) or raw records formatted and streamed by the database (raw-export.ts). Scope must
 * already be resolved into `q`, and `env.storage` should be scoped to it (`storage.scoped`).
 * Resolves once the data has started to come, so a failure to start rejects here; a failure
 * later destroys the returned stream with the error.
 */
export async function openCsvExport(
  env: ReportEnv,
  type: string,
  q: ReportQuery,
  params: Record<string, string | undefined>,
): Promise<CsvExport> {
  const kind = RAW_EXPORTS[type];
  if (kind) {
    return { type, filename: csvAttachmentFilename(type), stream: await openRawCsvStream(env.storage, kind, q) };
  }
  const report = findReport(type);
  if (!report?.csv) {
    throw new NotFoundError('unknown_export_type', `Unknown export type "${type}"; use one of: ${exportTypes().join(', ')}`);
  }
  if (report.tenantInPath && (q.tenantIds === null || q.tenantIds.length !== 1)) {
    throw new ValidationError(`The ${type} export needs one tenant: pass tenant_id`, [{ field: 'tenant_id', message: 'required for this export type' }]);
  }
  const body = await report.run(env, q, params);
  const { columns, rows } = report.csv(body);
  return { type, filename: csvAttachmentFilename(type), stream: createCsvStream(columns, rows.map((r) => flattenRow(r))) };
}

/** Whether a type needs exactly one tenant in scope (trends). */
export function exportNeedsTenant(type: string): boolean {
  return Boolean(findReport(type)?.tenantInPath);
}
