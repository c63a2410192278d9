/**
 * A cheap fingerprint of everything stored: per table (every base table of the schema) and
 * tenant, the row count and a digest of all its rows, in one query; plus the files in the audit
 * export directory. Equal fingerprints mean no row was added, removed or changed; a diff names
 * the tenants whose data changed. Rows are compared as stored: DuckDB keeps rollups as delta rows
 * that it compacts only after 200,000 of them, far more than a test writes.
 */
import { readdirSync, statSync } from 'node:fs';
import type { Storage } from '../../src/storage/types.ts';

/** `table/tenant_id` (or `table/-` for tables without tenants, `audit files/-`) → `count digest`. */
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

export interface DataSnapshotOptions {
  /** The audit export directory; its file names are part of the fingerprint. */
  exportDir?: string;
  /**
   * Database files that every committed change writes to (DuckDB: the database file and its WAL).
   * While their size and mtime stay the same, the last fingerprint is reused without a query.
   */
  databaseFiles?: string[];
}

/** Builds the fingerprint query once (columns from information_schema) for `storage`. */
export async function createDataSnapshot(storage: Storage, options: DataSnapshotOptions = {}): Promise<DataSnapshot> {
  const { exportDir, databaseFiles = [] } = options;
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
    const columns = byTable.get(table)!;
    const row = columns.map((c) => `coalesce(CAST("${c}" AS VARCHAR), '<null>')`).join(` || '|' || `);
    // The sum of 64-bit row hashes: independent of row order, so nothing is sorted. DuckDB hashes
    // the row struct; PostgreSQL the row's text.
    const digest =
      storage.engine === 'duckdb'
        ? `count(*) AS n, CAST(coalesce(sum(hash(${table})), 0) AS VARCHAR) AS h FROM ${table}`
        : `count(*) AS n, CAST(coalesce(sum(hashtextextended(${row}, 0)), 0) AS VARCHAR) AS h FROM ${table}`;
    return columns.includes('tenant_id')
      ? `SELECT '${table}' AS t, CAST(tenant_id AS VARCHAR) AS k, ${digest} GROUP BY tenant_id`
      : `SELECT '${table}' AS t, '-' AS k, ${digest}`;
  });
  const sql = parts.join('\nUNION ALL\n');
  const stampOf = (file: string): string => {
    try {
      const st = statSync(file, { bigint: true });
      return `${st.size}@${st.mtimeNs}`;
    } catch {
      return 'absent';
    }
  };
  let last: { stamp: string; rows: Fingerprint } | null = null;
  return {
    async take() {
      const stamp = databaseFiles.map(stampOf).join(' ');
      let rows: Fingerprint;
      if (databaseFiles.length > 0 && last?.stamp === stamp) {
        rows = last.rows;
      } else {
        const result = await storage.query<{ t: string; k: string; n: number; h: string }>(sql);
        rows = new Map(result.map((r) => [`${r.t}/${r.k}`, `${Number(r.n)} ${r.h}`]));
        last = { stamp, rows };
      }
      const fp: Fingerprint = new Map(rows);
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
