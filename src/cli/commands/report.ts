import { csvLine, flattenRow } from '../../export/csv.ts';
import { parsePeriod } from '../../reports/period.ts';
import { findReport, REPORTS } from '../../reports/registry.ts';
import { resolveTenantScope } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { withAdminContext } from '../context.ts';

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'compute a report from the database and print it',
  usage: `atom-analytics report <${REPORTS.map((r) => r.name).join('|')}> [--from 2026-03-01 --to 2026-04-01 --tz UTC --tenant acme] [--format table|json|csv]`,
  options: {
    from: { type: 'string', description: 'inclusive start (ISO 8601 with offset, or YYYY-MM-DD in --tz)' },
    to: { type: 'string', description: 'exclusive end' },
    tz: { type: 'string', description: 'IANA time zone', default: 'UTC' },
    tenant: { type: 'string', description: 'narrow to one tenant (required for trends and tenant)' },
    'group-by': { type: 'string', description: 'mttr: service or severity' },
    granularity: { type: 'string', description: 'trends: hour, day or week' },
    threshold: { type: 'string', description: 'predictions: decision threshold' },
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
      const tenantIds = await resolveTenantScope(ctx, tenant);
      const period = parsePeriod({ from: optionalString(values, 'from'), to: optionalString(values, 'to'), tz: optionalString(values, 'tz') }, Date.now());
      const params = {
        group_by: optionalString(values, 'group-by'),
        granularity: optionalString(values, 'granularity'),
        threshold: optionalString(values, 'threshold'),
      };
      return report.run({ storage: ctx.storage, config }, { ...period, tenantIds }, params);
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
