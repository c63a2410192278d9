import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Storage } from './types.ts';

/** What a process opening the database will do with it. */
export interface StorageUse {
  /**
   * False for a short process that only reads (or writes no records): a CLI report, export or
   * tenant command. The embedded engine then skips what only pays off in a long-running server
   * or an import — the in-memory record key index and the start-up compaction of rollup deltas
   * — so the command starts at once and holds no memory for them. Default true.
   */
  ingest?: boolean;
}

/**
 * Picks the engine from configuration: PostgreSQL when DATABASE_URL is set, else DuckDB under DATA_DIR.
 * Each engine's module (and its driver) is imported only when chosen: a process on one engine
 * never loads the other's (`pg` ≈ 15 MB of RSS, DuckDB's library ≈ 35 MB).
 */
export async function createStorage(config: Config, use: StorageUse = {}): Promise<Storage> {
  const ingest = use.ingest ?? true;
  if (config.databaseUrl) {
    const { createPostgresStorage } = await import('./postgres/index.ts');
    return createPostgresStorage({ connectionString: config.databaseUrl, poolSize: config.pgPoolSize, workMem: config.pgWorkMem, parallelWorkers: config.pgParallelWorkers });
  }
  const { createDuckDbStorage } = await import('./duckdb/index.ts');
  return createDuckDbStorage({
    path: join(config.dataDir, 'atom.duckdb'),
    memoryLimit: config.duckdbMemoryLimit,
    threads: config.duckdbThreads,
    exportMemoryLimit: config.duckdbExportMemoryLimit,
    allocatorFlushThreshold: config.duckdbAllocatorFlushThreshold,
    allocatorBulkFlushThreshold: config.duckdbAllocatorBulkFlushThreshold,
    recordKeyIndex: ingest,
    ...(ingest ? {} : { startupCompactDelayMs: -1 }),
  });
}
