import { csvLine, flattenRow } from '../../export/csv.ts';
import { findReport, REPORTS } from '../../reports/registry.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { withAdminContext } from '../context.ts';
import { readReportOptions, REPORT_OPTIONS } from '../report-options.ts';

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'compute a report from the database and print it',
  usage: `atom-analytics report <${REPORTS.map((r) => r.name).join('|')}> [--from 2026-03-01 --to 2026-04-01 --tz UTC --tenant acme] [--format table|json|csv]`,
  options: {
    ...REPORT_OPTIONS,
    format: { type: 'string', description: 'table, json or csv', default: 'table' },
  },
  async run({ values, positionals }) {
    const [type] = positionals;
    const report = type ? findReport(type) : undefined;
    if (!report) throw new UsageError(`report needs a type: one of ${REPORTS.map((r) => r.name).join(', ')}`);
    const format = String(values.format ?? 'table');
    if (!['table', 'json', 'csv'].includes(format)) throw new UsageError('--format must be table, json or csv');
    const tenant = optionalString(values, 'tenant');
    if (report.tenantInPath && !tenant) throw new UsageError(`report ${report.name} needs --tenant`);
    const body = await withAdminContext(async (ctx, config) => {
      const { q, params } = await readReportOptions(ctx, values);
      return report.run({ storage: ctx.storage.scoped(q.tenantIds), config }, q, params);
    });
    if (format === 'json' || !report.csv) {
      process.stdout.write(JSON.stringify(body, null, 2) + '\n');
      return 0;
    }
    const { columns, rows } = report.csv(body);
    const flat = rows.map((r) => flattenRow(r));
    if (format === 'csv') {
      process.stdout.write(csvLine(columns));
      for (const r of flat) process.stdout.write(csvLine(columns.map((c) => r[c])));
      return 0;
    }
    printTable(columns, flat);
    return 0;
  },
};

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 4 : 2);
  return String(v);
}

/** A plain aligned table; wide reports (calibration) are easier read with --format json. */
function printTable(columns: string[], rows: Record<string, unknown>[]): void {
  const shown = columns.filter((c) => !/^calibration_\d/.test(c));
  const widths = shown.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(line(shown) + '\n');
  process.stdout.write(line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) process.stdout.write(line(shown.map((c) => cell(r[c]))) + '\n');
  if (rows.length === 0) process.stdout.write('(no rows)\n');
}
