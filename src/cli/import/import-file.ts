import type { ErrorDetail } from '../../domain/errors.ts';
import { CommandError, UsageError } from '../args.ts';
import { createProgress } from '../context.ts';
import { LISTED_REJECTS, removeCheckpoint, saveCheckpoint, type ImportIdentity, type ImportProgress, type RejectedLine } from './checkpoint.ts';
import { LineError, openRecordSource, type Line } from './read-records.ts';
import type { SendResult, Sink } from './sinks.ts';

export interface ImportRun {
  file: string;
  format: 'ndjson' | 'csv';
  kind: string;
  /** --tenant: filled into records that have no tenant_id. */
  tenant: string | undefined;
  batchSize: number;
  identity: ImportIdentity;
  /** Where a resumed import stands (emptyProgress() for a fresh one). */
  start: ImportProgress;
  sink: Sink;
}

function isPlainObject(r: unknown): r is Record<string, unknown> {
  return typeof r === 'object' && r !== null && !Array.isArray(r);
}

/** The validator counts a null tenant_id as absent, so --tenant fills that in too. */
const lacksTenantId = (r: Record<string, unknown>) => r.tenant_id === undefined || r.tenant_id === null;

/** One line's reasons, each once, naming its field unless the message already starts with it. */
function describe(details: ErrorDetail[], fieldMessages: Record<string, string> | undefined): string {
  const messages = details.map((d) => {
    const message = (d.field && fieldMessages?.[d.field]) || d.message;
    return d.field && !message.startsWith(d.field) ? `${d.field}: ${message}` : message;
  });
  return [...new Set(messages)].join('; ');
}

/**
 * Streams `file` into `sink` in batches after the resume point, and returns the totals for the
 * whole file (the resumed part included). After every batch a checkpoint records the last
 * committed line with the totals and the first rejected lines, so an interrupted import resumes
 * and its summary still covers every line; a complete import removes the checkpoint.
 */
export async function importFile(run: ImportRun): Promise<ImportProgress> {
  const { file, format, kind, tenant, batchSize, identity, sink } = run;
  const state: ImportProgress = { ...run.start, rejected: [...run.start.rejected] };
  const resumeAfter = state.committedLine;
  const source = openRecordSource(file, format);
  const progress = createProgress(`importing ${kind}`, { total: identity.size, unit: 'bytes' });
  let batch: Line[] = [];

  const flush = async () => {
    if (!batch.length) return;
    const rejected: RejectedLine[] = [];
    const sent: Line[] = [];
    for (const l of batch) {
      if (l.record instanceof LineError) rejected.push({ line: l.line, message: l.record.message });
      else sent.push(l);
    }
    if (sent.length) {
      const records = sent.map(({ record: r }) => (tenant && isPlainObject(r) && lacksTenantId(r) ? { ...r, tenant_id: tenant } : r));
      let res: SendResult;
      try {
        res = await sink.send(records);
      } catch (err) {
        if (err instanceof CommandError && state.committedLine > 0) {
          throw new CommandError(`${err.message}. Lines up to ${state.committedLine} are stored: run the same command again to resume`);
        }
        throw err;
      }
      state.inserted += res.inserted;
      state.updated += res.updated;
      state.unchanged += res.unchanged;
      for (const r of res.rejected) {
        const l = sent[r.index]!;
        rejected.push({ line: l.line, message: describe(r.details, l.fieldMessages) });
      }
    }
    // Batches come in line order, so the first LISTED_REJECTS of the file are kept exactly.
    rejected.sort((a, b) => a.line - b.line);
    state.rejectedCount += rejected.length;
    state.rejected.push(...rejected.slice(0, Math.max(0, LISTED_REJECTS - state.rejected.length)));
    state.read += batch.length;
    state.committedLine = batch[batch.length - 1]!.line;
    saveCheckpoint(file, identity, state);
    batch = [];
  };

  let tenantChecked = tenant !== undefined;
  for await (const l of source.lines) {
    if (l.line <= resumeAfter) continue;
    if (!tenantChecked && isPlainObject(l.record)) {
      tenantChecked = true;
      // Without a tenant every record would be rejected one by one; say it once instead.
      if (lacksTenantId(l.record) && (await sink.needsTenantId())) {
        throw new UsageError(`line ${l.line} has no tenant_id and no --tenant was given: pass --tenant <id>, or add tenant_id to the records`);
      }
    }
    batch.push(l);
    if (batch.length >= batchSize) await flush();
    progress.update(source.bytesRead(), () => `${(state.read + batch.length).toLocaleString('en-US')} records`);
  }
  await flush();
  progress.update(identity.size, `${state.read.toLocaleString('en-US')} records`);
  progress.done();
  // A complete run needs no checkpoint; re-running is still safe (upserts are idempotent).
  removeCheckpoint(file);
  return state;
}
