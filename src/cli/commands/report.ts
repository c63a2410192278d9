import { flattenRow } from '../../export/csv.ts';
import { findReport, REPORTS, type ReportDefinition } from '../../reports/registry.ts';
import type { TenantReport } from '../../reports/tenant.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { NO_INGEST, withAdminContext } from '../context.ts';
import { readReportOptions, REPORT_OPTIONS } from '../report-options.ts';
import { formatCsv, formatTable } from '../table.ts';
import { tenantReportSections, type ReportSection } from '../tenant-report-sections.ts';

const REPORT_NAMES = REPORTS.map((r) => r.name);

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'compute a report from the database and print it',
  usage: `atom-analytics report <${REPORT_NAMES.join('|')}> [--from 2026-03-01 --to 2026-04-01 --tz UTC --tenant acme] [--format table|json|csv]`,
  maxPositionals: 1,
  options: {
    ...REPORT_OPTIONS,
    format: { type: 'string', description: 'table, json or csv', default: 'table' },
  },
  notes: ['The tenant report prints one block per part (tenant, overview, mttr, costs, health, predictions, trends), each under a "# <part>" line.'],
  async run({ values, positionals }) {
    const [type] = positionals;
    if (!type) throw new UsageError(`report needs a type: one of ${REPORT_NAMES.join(', ')}`);
    const report = findReport(type);
    if (!report) throw new UsageError(`unknown report type ${type}; one of ${REPORT_NAMES.join(', ')}`);
    const format = String(values.format ?? 'table');
    if (!['table', 'json', 'csv'].includes(format)) throw new UsageError('--format must be table, json or csv');
    const tenant = optionalString(values, 'tenant');
    if (report.tenantInPath && !tenant) throw new UsageError(`report ${report.name} needs --tenant`);
    const body = await withAdminContext(async (ctx, config) => {
      const { q, params } = await readReportOptions(ctx, values);
      return report.run({ storage: ctx.storage.scoped(q.tenantIds), config }, q, params);
    }, undefined, NO_INGEST);
    if (format === 'json') {
      process.stdout.write(JSON.stringify(body, null, 2) + '\n');
      return 0;
    }
    const sections = sectionsOf(report, body);
    // One unnamed section prints as before; several each get a title line and a blank line between.
    const titled = sections.length > 1;
    const eol = format === 'csv' ? '\r\n' : '\n';
    let out = '';
    for (const [i, s] of sections.entries()) {
      if (i > 0) out += eol;
      if (titled) out += `# ${s.title}${eol}`;
      const rows = s.rows.map((r) => flattenRow(r));
      out += format === 'csv' ? formatCsv(s.columns, rows) : formatTable(s.columns, rows);
    }
    process.stdout.write(out);
    return 0;
  },
};

function sectionsOf(report: ReportDefinition, body: object): ReportSection[] {
  if (report.csv) return [{ title: report.name, ...report.csv(body) }];
  if (report.name === 'tenant') return tenantReportSections(body as TenantReport);
  throw new UsageError(`report ${report.name} has no table or CSV form; use --format json`);
}
