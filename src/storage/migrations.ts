import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Executor, Transaction } from './types.ts';

export interface Migration {
  name: string;
  sql: string;
}

/** Reads `NNN-name.sql` files of one engine, in numeric order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(files.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })));
}

/**
 * Splits a migration file into statements on `;` at line ends, outside dollar-quoted bodies
 * (PostgreSQL `DO $$ … $$` blocks and functions contain semicolons of their own).
 */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql.replace(/^\s*--.*$/gm, '');
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of withoutComments.split('\n')) {
    const dollars = line.match(/\$\$/g)?.length ?? 0;
    if (dollars % 2 === 1) inDollar = !inDollar;
    current += line + '\n';
    if (!inDollar && /;\s*$/.test(line)) {
      out.push(current.trim().replace(/;$/, ''));
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out.filter((s) => s.length > 0);
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction.
 * `lock` serialises concurrent starters (PostgreSQL advisory lock; a no-op on DuckDB).
 */
export async function applyMigrations(
  storage: { query: Executor['query']; transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> },
  migrations: Migration[],
  lockSql?: string,
): Promise<string[]> {
  await storage.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at_ms BIGINT NOT NULL)',
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await storage.transaction(async (tx) => {
      if (lockSql) await tx.query(lockSql);
      const rows = await tx.query('SELECT name FROM schema_migrations WHERE name = $1', [m.name]);
      if (rows.length > 0) return false;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (name, applied_at_ms) VALUES ($1, $2)', [m.name, Date.now()]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}
