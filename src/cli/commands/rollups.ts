import { availableParallelism } from 'node:os';
import { isDuckdbSize, loadConfig } from '../../config.ts';
import { rebuildRollups } from '../../ingest/rollups.ts';
import { UsageError, type CommandSpec } from '../args.ts';
import { NO_INGEST, withAdminContext } from '../context.ts';

/**
 * DuckDB memory limit of a rebuild unless --memory-limit says otherwise. The rebuild aggregates
 * every raw row in one transaction; under the server's own limit (DUCKDB_MEMORY_LIMIT, 128MB) its
 * aggregates spill to disk: 30 s instead of 7 s at 10M runs.
 */
export const REBUILD_MEMORY_LIMIT = '1GB';

export const rollupsCommand: CommandSpec = {
  name: 'rollups',
  summary: 'rebuild the pre-aggregated rollups from raw rows',
  usage: 'atom-analytics rollups rebuild [--memory-limit 1GB]',
  options: {
    'memory-limit': {
      type: 'string',
      description: `embedded database: DuckDB memory limit for the rebuild (default ${REBUILD_MEMORY_LIMIT}; less spills to disk and takes longer)`,
    },
  },
  maxPositionals: 1,
  notes: [
    'The server must be stopped on the embedded database (one process per file); on PostgreSQL it may run.',
    'On the embedded database the rebuild uses every core (DUCKDB_THREADS to set fewer).',
  ],
  async run({ values, positionals, env }) {
    if (positionals[0] !== 'rebuild') throw new UsageError('rollups needs an action: rebuild');
    const limit = typeof values['memory-limit'] === 'string' ? values['memory-limit'] : REBUILD_MEMORY_LIMIT;
    if (!isDuckdbSize(limit)) throw new UsageError(`--memory-limit must be a size such as 512MB or 2GB, got "${limit}"`);
    // Alone on the file, the rebuild's aggregates over every raw row use every core unless
    // DUCKDB_THREADS says otherwise (10M runs: 6.5 s on two threads, 11 s on the server's one).
    const config = loadConfig({ ...env, DUCKDB_MEMORY_LIMIT: limit, DUCKDB_THREADS: env.DUCKDB_THREADS || String(availableParallelism()) });
    const started = Date.now();
    const counts = await withAdminContext((ctx) => rebuildRollups(ctx.storage), config, NO_INGEST);
    for (const [table, n] of Object.entries(counts)) process.stdout.write(`${table.padEnd(24)} ${n} rows\n`);
    process.stdout.write(`rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
