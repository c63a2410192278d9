/**
 * A cheap fingerprint of everything stored: per table (every base table of the schema) and
 * tenant, the row count and an MD5 of all its rows (every column as text, rows sorted), in one
 * query; plus the files in the audit export directory. Rollup tables are compared by content
 * (values summed per key), since an engine may keep them as delta rows and compact them at will. Equal fingerprints mean no row was added, removed or changed, and a diff
 * names the tenants whose data changed.
 */
import { readdirSync } from 'node:fs';
import { ROLLUP_TABLES } from '../../src/storage/schema.ts';
import type { Storage } from '../../src/storage/types.ts';

/** `table/tenant_id` (or `table/-` for tables without tenants, `files/-` for audit files) → `count md5`. */
export type Fingerprint = Map<string, string>;

export interface DataSnapshot {
  take(): Promise<Fingerprint>;
}

/** The keys whose entries differ between two fingerprints (present in only one counts). */
export function changedEntries(before: Fingerprint, after: Fingerprint): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** The tenant of a fingerprint key, or null for tables without tenants and the audit files. */
export function tenantOfEntry(key: string): string | null {
  const tenant = key.slice(key.indexOf('/') + 1);
  return tenant === '-' ? null : tenant;
}

/** Builds the fingerprint query once (columns from information_schema) for `storage`. */
export async function createDataSnapshot(storage: Storage, exportDir?: string): Promise<DataSnapshot> {
  const cols = await storage.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of cols) {
    const list = byTable.get(c.table_name) ?? [];
    list.push(c.column_name);
    byTable.set(c.table_name, list);
  }
  if (!byTable.has('tenants') || !byTable.has('workflow_runs')) throw new Error('the schema tables were not found in information_schema');
  const parts = [...byTable.keys()].sort().map((table) => {
    const rollup = ROLLUP_TABLES[table];
    const columns = rollup ? [...rollup.keys, ...rollup.values] : byTable.get(table)!;
    const source = rollup
      ? `(SELECT ${rollup.keys.join(', ')}, ${rollup.values.map((v) => `sum(${v}) AS ${v}`).join(', ')} FROM ${table} GROUP BY ${rollup.keys.join(', ')}) g`
      : table;
    const row = columns.map((c) => `coalesce(CAST("${c}" AS VARCHAR), '<null>')`).join(` || '|' || `);
    const digest = `count(*) AS n, md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) AS h`;
    return columns.includes('tenant_id')
      ? `SELECT '${table}' AS t, CAST(tenant_id AS VARCHAR) AS k, ${digest} FROM (SELECT tenant_id, ${row} AS r FROM ${source}) s GROUP BY tenant_id`
      : `SELECT '${table}' AS t, '-' AS k, ${digest} FROM (SELECT ${row} AS r FROM ${source}) s`;
  });
  const sql = parts.join('\nUNION ALL\n');
  return {
    async take() {
      const rows = await storage.query<{ t: string; k: string; n: number; h: string }>(sql);
      const fp: Fingerprint = new Map(rows.map((r) => [`${r.t}/${r.k}`, `${Number(r.n)} ${r.h}`]));
      if (exportDir) {
        let files: string[] = [];
        try {
          files = readdirSync(exportDir).sort();
        } catch {
          // Not created yet: nothing was written.
        }
        fp.set('audit files/-', files.join(', '));
      }
      return fp;
    },
  };
}
