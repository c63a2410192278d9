import { csvLine } from '../export/csv.ts';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 4 : 2);
  return String(v);
}

/** A plain aligned table with a header row; wide reports (calibration) are easier read with --format json. */
export function formatTable(columns: string[], rows: Record<string, unknown>[]): string {
  const shown = columns.filter((c) => !/^calibration_\d/.test(c));
  const widths = shown.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  let out = line(shown) + line(widths.map((w) => '-'.repeat(w)));
  for (const r of rows) out += line(shown.map((c) => cell(r[c])));
  if (rows.length === 0) out += '(no rows)\n';
  return out;
}

/** The same rows as the CSV export: a header of the column names, then one record per row. */
export function formatCsv(columns: string[], rows: Record<string, unknown>[]): string {
  let out = csvLine(columns);
  for (const r of rows) out += csvLine(columns.map((c) => r[c]));
  return out;
}
