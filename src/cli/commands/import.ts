import { createReadStream, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import type { ErrorDetail } from '../../domain/errors.ts';
import { storeRecords, type Rec } from '../../ingest/ingest-service.ts';
import { isIngestKind, type IngestKindName } from '../../ingest/kinds.ts';
import { validateBatch } from '../../ingest/validate.ts';
import { findMissingTenants } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { createProgress, withAdminContext } from '../context.ts';

/** Fields that are numbers in the API; CSV cells for them are converted, other cells stay text. */
const NUMERIC_FIELDS = new Set(['duration_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate', 'failure_probability']);

interface Line {
  line: number;
  record: unknown;
}

interface SendResult {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: { index: number; message: string }[];
}

/** Reads records with their 1-based line numbers; bad JSON lines become rejects. */
async function* readRecords(file: string, format: 'ndjson' | 'csv'): AsyncGenerator<Line> {
  if (format === 'ndjson') {
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const text of rl) {
      n++;
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (err) {
        record = new Error(`invalid JSON: ${(err as Error).message}`);
      }
      yield { line: n, record };
    }
    return;
  }
  const parser = createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, info: true, relax_column_count: false }));
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    const rec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item.record)) {
      if (v === '') continue;
      rec[k] = NUMERIC_FIELDS.has(k) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v) ? Number(v) : v;
    }
    yield { line: item.info.lines, record: rec };
  }
}

type Sink = (records: unknown[]) => Promise<SendResult>;

function describe(details: ErrorDetail[], index: number): string {
  return details
    .filter((d) => d.index === index)
    .map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))
    .join('; ');
}

/** Direct to the database through the same validator and upsert as POST /ingest. */
function databaseSink(kind: IngestKindName, storage: Parameters<typeof storeRecords>[0]): Sink {
  return async (records) => {
    const v = validateBatch(kind, records, { tenantId: null });
    const bad = new Set(v.errors.map((e) => e.index!));
    const rejected = [...bad].map((index) => ({ index, message: describe(v.errors, index) }));
    // validateBatch drops nothing on errors, so re-validate only the good ones to get their records.
    const good = records.filter((_, i) => !bad.has(i));
    const goodIdx = records.map((_, i) => i).filter((i) => !bad.has(i));
    const ok = validateBatch(kind, good, { tenantId: null });
    const missing = new Set(await findMissingTenants(storage, ok.tenantIds));
    const keep = (ok.records as unknown as Rec[]).filter((rec) => !missing.has(rec.tenant_id as string));
    if (missing.size) {
      good.forEach((r, j) => {
        const t = (r as { tenant_id?: unknown })?.tenant_id;
        if (typeof t === 'string' && missing.has(t)) rejected.push({ index: goodIdx[j]!, message: `tenant_id: unknown tenant "${t}"` });
      });
    }
    const counts = keep.length ? await storeRecords(storage, kind, keep) : { inserted: 0, updated: 0, unchanged: 0 };
    return { inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged, rejected };
  };
}

/** Through a running server's API (needed for the embedded engine while the server runs). */
function httpSink(kind: IngestKindName, url: string, key: string): Sink {
  const post = async (records: unknown[]) => {
    const res = await fetch(`${url.replace(/\/$/, '')}/ingest/${kind}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
      body: records.map((r) => JSON.stringify(r)).join('\n'),
    });
    const body = (await res.json()) as { inserted?: number; updated?: number; unchanged?: number; error?: { code: string; message: string; details?: ErrorDetail[] } };
    return { status: res.status, body };
  };
  return async (records) => {
    let { status, body } = await post(records);
    if (status === 400 && body.error?.details?.length) {
      const details = body.error.details;
      const bad = new Set(details.map((d) => d.index!));
      const rejected = [...bad].map((index) => ({ index, message: describe(details, index) }));
      const good = records.filter((_, i) => !bad.has(i));
      if (!good.length) return { inserted: 0, updated: 0, unchanged: 0, rejected };
      ({ status, body } = await post(good));
      if (status !== 200) throw new Error(`server answered ${status}: ${body.error?.message ?? 'unknown error'}`);
      return { inserted: body.inserted!, updated: body.updated!, unchanged: body.unchanged!, rejected };
    }
    if (status !== 200) throw new Error(`server answered ${status}: ${body.error?.message ?? 'unknown error'}`);
    return { inserted: body.inserted!, updated: body.updated!, unchanged: body.unchanged!, rejected: [] };
  };
}

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'import an NDJSON or CSV file in batches (idempotent, resumable)',
  usage: 'atom-analytics import <workflow_runs|incidents|metrics|predictions> <file.ndjson|file.csv> [--tenant acme] [--url http://127.0.0.1:8080 --key …]',
  options: {
    tenant: { type: 'string', description: 'tenant for records without tenant_id' },
    format: { type: 'string', description: 'ndjson or csv (default: from the file extension)' },
    batch: { type: 'string', description: 'records per batch', default: '1000' },
    url: { type: 'string', description: 'send through a running server instead of opening the database' },
    key: { type: 'string', description: 'API key for --url (admin, or the tenant\'s key)' },
    restart: { type: 'boolean', description: 'ignore a saved checkpoint and start from line 1' },
  },
  async run({ values, positionals }) {
    const [kind, file] = positionals;
    if (!kind || !isIngestKind(kind)) throw new UsageError('import needs a kind: workflow_runs, incidents, metrics or predictions');
    if (!file) throw new UsageError('import needs a file: atom-analytics import <kind> <file>');
    if (!existsSync(file)) throw new UsageError(`file not found: ${file}`);
    const format = (optionalString(values, 'format') ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson')) as 'ndjson' | 'csv';
    if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv');
    const batchSize = Number(values.batch ?? 1000);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) throw new UsageError('--batch must be a whole number from 1 to 50000');
    const tenant = optionalString(values, 'tenant');
    const url = optionalString(values, 'url');
    const key = optionalString(values, 'key');
    if (url && !key) throw new UsageError('--url needs --key');

    // Resumable: a checkpoint beside the file records the last committed line for this file version.
    const stat = statSync(file);
    const stateFile = `${file}.atom-import.json`;
    let resumeAfter = 0;
    if (!values.restart && existsSync(stateFile)) {
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { size: number; mtimeMs: number; kind: string; committedLine: number };
      if (s.size === stat.size && s.mtimeMs === stat.mtimeMs && s.kind === kind) resumeAfter = s.committedLine;
    }
    if (resumeAfter > 0) process.stderr.write(`resuming after line ${resumeAfter} (use --restart to start over)\n`);

    const run = async (sink: Sink) => {
      const totals = { inserted: 0, updated: 0, unchanged: 0 };
      const rejected: { line: number; message: string }[] = [];
      const progress = createProgress(`importing ${kind}`, null);
      let batch: Line[] = [];
      let seen = 0;
      const flush = async () => {
        if (!batch.length) return;
        const parseErrors = batch.filter((l) => l.record instanceof Error);
        for (const l of parseErrors) rejected.push({ line: l.line, message: (l.record as Error).message });
        const valid = batch.filter((l) => !(l.record instanceof Error));
        const records = valid.map((l) => {
          const r = l.record;
          if (tenant && r && typeof r === 'object' && !Array.isArray(r) && !('tenant_id' in r)) return { ...(r as object), tenant_id: tenant };
          return r;
        });
        if (records.length) {
          const res = await sink(records);
          totals.inserted += res.inserted;
          totals.updated += res.updated;
          totals.unchanged += res.unchanged;
          for (const r of res.rejected) rejected.push({ line: valid[r.index]!.line, message: r.message });
        }
        writeFileSync(stateFile, JSON.stringify({ size: stat.size, mtimeMs: stat.mtimeMs, kind, committedLine: batch[batch.length - 1]!.line }));
        batch = [];
      };
      for await (const l of readRecords(file, format)) {
        if (l.line <= resumeAfter) continue;
        batch.push(l);
        seen++;
        if (batch.length >= batchSize) {
          await flush();
          progress.update(seen, 'records');
        }
      }
      await flush();
      progress.done();
      // A complete run needs no checkpoint; re-running is still safe (upserts are idempotent).
      if (existsSync(stateFile)) unlinkSync(stateFile);
      rejected.sort((a, b) => a.line - b.line);
      process.stdout.write(
        `${kind}: ${seen} records read, ${totals.inserted} inserted, ${totals.updated} updated, ${totals.unchanged} unchanged, ${rejected.length} rejected\n`,
      );
      for (const r of rejected.slice(0, 100)) process.stdout.write(`  line ${r.line}: ${r.message}\n`);
      if (rejected.length > 100) process.stdout.write(`  … and ${rejected.length - 100} more\n`);
      return rejected.length ? 1 : 0;
    };

    if (url) return run(httpSink(kind, url, key!));
    return withAdminContext((ctx) => run(databaseSink(kind, ctx.storage)));
  },
};
