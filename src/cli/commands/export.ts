import { createWriteStream } from 'node:fs';
import { isDuckdbSize, loadConfig, sizeBytes } from '../../config.ts';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvDigestCounter } from '../../export/csv-digest.ts';
import { exportNeedsTenant, exportTypes, openCsvExport } from '../../export/export-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { createProgress, NO_INGEST, withAdminContext } from '../context.ts';
import { readReportOptions, REPORT_OPTIONS } from '../report-options.ts';

/**
 * DuckDB memory limit of a CLI export unless --memory-limit (or a lower DUCKDB_MEMORY_LIMIT) says
 * otherwise. The command runs alone on the database, so what the server's 128MB would cache of
 * the scanned table is of no use: a raw export of 3M runs peaks ≈ 60 MB lower at 64MB, as fast.
 * Below ≈ 40MB a 100k-row slice's sort no longer fits (out of memory).
 */
export const EXPORT_MEMORY_LIMIT = '64MB';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a report or raw records as CSV (same code path as GET /export/csv)',
  usage: 'atom-analytics export <type> [--from … --to … --tz … --tenant …] [--out file.csv]',
  maxPositionals: 1,
  options: {
    ...REPORT_OPTIONS,
    out: { type: 'string', short: 'o', description: 'output file (default: stdout)' },
    'memory-limit': {
      type: 'string',
      description: `embedded database: DuckDB memory limit for the export (default ${EXPORT_MEMORY_LIMIT}, or DUCKDB_MEMORY_LIMIT when lower)`,
    },
  },
  notes: [
    'Types:',
    ...exportTypes().map((t) => `  ${t}${exportNeedsTenant(t) ? ' (needs --tenant)' : ''}`),
  ],
  async run({ values, positionals, env }) {
    const [type] = positionals;
    if (!type) throw new UsageError(`export needs a type: one of ${exportTypes().join(', ')}`);
    if (!exportTypes().includes(type)) throw new UsageError(`unknown export type ${type}; one of ${exportTypes().join(', ')}`);
    if (exportNeedsTenant(type) && !optionalString(values, 'tenant')) throw new UsageError(`export ${type} needs --tenant`);
    const out = optionalString(values, 'out');
    const given = optionalString(values, 'memory-limit');
    if (given !== undefined && !isDuckdbSize(given)) throw new UsageError(`--memory-limit must be a size such as 64MB or 1GB, got "${given}"`);
    const configured = loadConfig(env);
    const limit = given ?? (sizeBytes(configured.duckdbMemoryLimit) < sizeBytes(EXPORT_MEMORY_LIMIT) ? configured.duckdbMemoryLimit : EXPORT_MEMORY_LIMIT);
    const exportConfig = { ...configured, duckdbMemoryLimit: limit };
    await withAdminContext(async (ctx, config) => {
      const { q, params } = await readReportOptions(ctx, values);
      const exp = await openCsvExport({ storage: ctx.storage.scoped(q.tenantIds), config }, type, q, params);
      const progress = createProgress(`exporting ${type}`);
      // Progress counts line feeds (a quoted cell may hold one, so it is approximate); the
      // final figures come from the digest, which counts records exactly.
      const digest = new CsvDigestCounter();
      let lineFeeds = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lineFeeds++;
          progress.update(Math.max(0, lineFeeds - 1), 'rows');
          done(null, chunk);
        },
      });
      await pipeline(exp.stream, digest, tap, out ? createWriteStream(out) : process.stdout);
      progress.done();
      const { dataRows, sha256 } = digest.result();
      process.stderr.write(`${out ? `wrote ${out}: ` : ''}${dataRows.toLocaleString('en-US')} rows, sha256 ${sha256}\n`);
    }, exportConfig, NO_INGEST);
    return 0;
  },
};
