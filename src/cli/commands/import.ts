import { existsSync, statSync } from 'node:fs';
import { loadConfig } from '../../config.ts';
import { isIngestKind } from '../../ingest/kinds.ts';
import { findMissingTenants, TENANT_ID_PATTERN } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { describeDatabase, withAdminContext } from '../context.ts';
import { emptyProgress, LISTED_REJECTS, loadCheckpoint, type ImportIdentity } from '../import/checkpoint.ts';
import { importFile } from '../import/import-file.ts';
import { databaseSink, httpSink, type Sink } from '../import/sinks.ts';

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'import an NDJSON or CSV file in batches (idempotent, resumable)',
  usage: 'atom-analytics import <workflow_runs|incidents|metrics|predictions> <file.ndjson|file.csv> [--tenant acme] [--url http://127.0.0.1:8080]',
  maxPositionals: 2,
  options: {
    tenant: { type: 'string', description: 'tenant for records without tenant_id' },
    format: { type: 'string', description: 'ndjson or csv (default: from the file extension)' },
    batch: { type: 'string', description: 'records per batch', default: '1000' },
    url: { type: 'string', description: 'send through a running server instead of opening the database' },
    key: { type: 'string', description: 'API key for --url (admin, or the tenant\'s key); prefer ATOM_API_KEY' },
    restart: { type: 'boolean', description: 'ignore a saved checkpoint and start from line 1' },
  },
  notes: [
    'Environment:',
    '  ATOM_API_KEY                   API key for --url when --key is not given (keeps the key out of ps and the shell history)',
    '',
    `Rejected lines are listed with their line numbers (the first ${LISTED_REJECTS}); the exit code is 1 if any line was rejected.`,
    'An interrupted import resumes after its last committed batch, for the same file, kind, --tenant and destination.',
  ],
  async run({ values, positionals, env }) {
    const [kind, file] = positionals;
    if (!kind || !isIngestKind(kind)) throw new UsageError('import needs a kind: workflow_runs, incidents, metrics or predictions');
    if (!file) throw new UsageError('import needs a file: atom-analytics import <kind> <file>');
    if (!existsSync(file)) throw new UsageError(`file not found: ${file}`);
    const stat = statSync(file);
    if (!stat.isFile()) throw new UsageError(`not a file: ${file}`);
    const format = (optionalString(values, 'format') ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson')) as 'ndjson' | 'csv';
    if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv');
    const batchSize = Number(values.batch ?? 1000);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) throw new UsageError('--batch must be a whole number from 1 to 50000');
    const tenant = optionalString(values, 'tenant');
    if (tenant !== undefined && !TENANT_ID_PATTERN.test(tenant)) throw new UsageError(`--tenant ${JSON.stringify(tenant)} is not a valid tenant id`);
    const url = optionalString(values, 'url')?.replace(/\/+$/, '');
    const flagKey = optionalString(values, 'key');
    if (flagKey && !url) throw new UsageError('--key is only used with --url');
    const key = flagKey ?? (env.ATOM_API_KEY || undefined);
    if (url && !key) throw new UsageError('--url needs an API key: set ATOM_API_KEY (or pass --key)');
    if (url && !/^https?:\/\/[^/]/i.test(url)) throw new UsageError(`--url must be an http:// or https:// address, got "${url}"`);

    const config = url ? null : loadConfig();
    const identity: ImportIdentity = {
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      kind,
      tenant: tenant ?? null,
      destination: url ?? describeDatabase(config!),
    };
    let start = emptyProgress();
    if (!values.restart) {
      const { progress, note } = loadCheckpoint(file, identity);
      if (note) process.stderr.write(`${note}\n`);
      if (progress) {
        start = progress;
        process.stderr.write(`resuming after line ${progress.committedLine} (use --restart to start over)\n`);
      }
    }

    const run = async (sink: Sink) => {
      const total = await importFile({ file, format, kind, tenant, batchSize, identity, start, sink });
      process.stdout.write(
        `${kind}: ${total.read} records read, ${total.inserted} inserted, ${total.updated} updated, ${total.unchanged} unchanged, ${total.rejectedCount} rejected\n`,
      );
      for (const r of total.rejected) process.stdout.write(`  line ${r.line}: ${r.message}\n`);
      if (total.rejectedCount > total.rejected.length) process.stdout.write(`  … and ${total.rejectedCount - total.rejected.length} more\n`);
      return total.rejectedCount ? 1 : 0;
    };
    if (url) return run(httpSink(kind, url, key!));
    return withAdminContext(async (ctx) => {
      // Every record would name it: one line now instead of one rejected line per record.
      if (tenant && (await findMissingTenants(ctx.storage, [tenant])).length) {
        throw new UsageError(`unknown tenant "${tenant}" (--tenant); create it first: atom-analytics tenants create --id ${tenant} --name …`);
      }
      return run(databaseSink(kind, ctx.storage));
    }, config!);
  },
};
