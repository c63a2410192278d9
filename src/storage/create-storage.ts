import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createDuckDbStorage } from './duckdb/index.ts';
import { createPostgresStorage } from './postgres/index.ts';
import type { Storage } from './types.ts';

/** Picks the engine from configuration: PostgreSQL when DATABASE_URL is set, else DuckDB under DATA_DIR. */
export async function createStorage(config: Config): Promise<Storage> {
  if (config.databaseUrl) {
    return createPostgresStorage({ connectionString: config.databaseUrl, poolSize: config.pgPoolSize, workMem: config.pgWorkMem });
  }
  return createDuckDbStorage({
    path: join(config.dataDir, 'atom.duckdb'),
    memoryLimit: config.duckdbMemoryLimit,
    threads: config.duckdbThreads,
    exportMemoryLimit: config.duckdbExportMemoryLimit,
    allocatorFlushThreshold: config.duckdbAllocatorFlushThreshold,
    allocatorBulkFlushThreshold: config.duckdbAllocatorBulkFlushThreshold,
  });
}
