/**
 * One suite, every engine (STYLE.md: kysely's test setup). Each test context gets a fresh,
 * private database: a temp DuckDB file, or a PostgreSQL database created and dropped here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import pg from 'pg';
import { storeRecords, type IngestResult, type Rec } from '../../src/ingest/ingest-service.ts';
import type { IngestKindName } from '../../src/ingest/kinds.ts';
import { validateBatch } from '../../src/ingest/validate.ts';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import { createPostgresStorage } from '../../src/storage/postgres/index.ts';
import type { Storage } from '../../src/storage/types.ts';
import { PG_ADMIN_URL, serviceSkip } from './services.ts';

export const ENGINES = ['duckdb', 'postgres'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface TestDatabase {
  engine: EngineName;
  /** DATA_DIR for DuckDB, or DATABASE_URL for PostgreSQL. */
  env: { DATA_DIR?: string; DATABASE_URL?: string };
  dispose(): Promise<void>;
}

/** Creates an empty private database for one engine. */
export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'duckdb') {
    const dir = await mkdtemp(join(tmpdir(), 'atom-test-'));
    return { engine, env: { DATA_DIR: dir }, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = `atom_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    env: { DATABASE_URL: url.toString() },
    async dispose() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Opens storage directly on a test database (for service-level tests without HTTP). */
export async function openTestStorage(db: TestDatabase): Promise<Storage> {
  const storage =
    db.engine === 'duckdb'
      ? await createDuckDbStorage({ path: join(db.env.DATA_DIR!, 'atom.duckdb'), memoryLimit: '512MB', threads: 2 })
      : await createPostgresStorage({ connectionString: db.env.DATABASE_URL!, poolSize: 4 });
  await storage.migrate();
  return storage;
}

/** Validates records like ingest does (asserting they are valid) and stores them in one transaction. */
export async function storeValidated(storage: Storage, kind: IngestKindName, records: unknown[]): Promise<IngestResult> {
  const v = validateBatch(kind, records, { tenantId: null });
  assert.deepEqual(v.errors, []);
  const { tenantIds: _tenants, ...counts } = await storeRecords(storage, kind, v.records as unknown as Rec[]);
  return counts;
}

/** Skip reason for an engine: PostgreSQL tests skip (or fail in CI) when it is not running. */
export async function engineSkip(engine: EngineName): Promise<string | false> {
  return engine === 'postgres' ? serviceSkip('postgres') : false;
}

/**
 * Declares the same suite once per engine: `describeEachEngine('ingest', (engine) => { … })`.
 */
export async function describeEachEngine(name: string, body: (engine: EngineName) => void): Promise<void> {
  for (const engine of ENGINES) {
    const skip = await engineSkip(engine);
    describe(`${name} [${engine}]`, { skip }, () => body(engine));
  }
}
