import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import { CommandError } from '../args.ts';

/** Fields that are numbers in the API; CSV cells for them are converted, other cells stay text. */
const NUMERIC_FIELDS = new Set(['duration_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate', 'failure_probability']);
const NUMBER_CELL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export interface Line {
  /** 1-based line number of the record's last line (a quoted CSV cell may span lines). */
  line: number;
  /** The record, or the reason the line is no record at all (invalid JSON, wrong field count). */
  record: unknown;
  /**
   * CSV only: messages that replace the validator's for these fields. A CSV cell is always text,
   * so "send it unquoted" (the API's advice for a JSON string) would not help.
   */
  fieldMessages?: Record<string, string>;
}

/** A line that is no record; rejected with this message before validation. */
export class LineError {
  constructor(readonly message: string) {}
}

export interface RecordSource {
  lines: AsyncGenerator<Line>;
  /** Bytes of the file read so far (read-ahead included), for progress. */
  bytesRead(): number;
}

/** Reads NDJSON or CSV records with their line numbers; lines that are no record become LineErrors. */
export function openRecordSource(file: string, format: 'ndjson' | 'csv'): RecordSource {
  const input = createReadStream(file);
  return { lines: format === 'ndjson' ? readNdjson(input) : readCsv(input), bytesRead: () => input.bytesRead };
}

async function* readNdjson(input: NodeJS.ReadableStream): AsyncGenerator<Line> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      record = new LineError(`invalid JSON: ${(err as Error).message}`);
    }
    yield { line: n, record };
  }
}

async function* readCsv(input: NodeJS.ReadableStream & { destroy(): void }): AsyncGenerator<Line> {
  // relax_column_count: a row with too few or too many cells still comes through, flagged in
  // info.error, so it is rejected on its own line instead of aborting the file. Quoting errors
  // stay fatal: after one, csv-parse cannot tell where the next record starts.
  const parser = input.pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, info: true, relax_column_count: true }));
  input.on('error', (err) => parser.destroy(err));
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; index: number; columns: unknown[]; error?: CsvError } }>) {
      const { info } = item;
      if (info.error) {
        yield { line: info.lines, record: new LineError(`has ${info.index} fields, the header has ${info.columns.length}`) };
        continue;
      }
      const rec: Record<string, unknown> = {};
      const fieldMessages: Record<string, string> = {};
      for (const [k, v] of Object.entries(item.record)) {
        if (v === '') continue;
        if (!NUMERIC_FIELDS.has(k)) rec[k] = v;
        else if (NUMBER_CELL.test(v)) rec[k] = Number(v);
        else {
          rec[k] = v;
          fieldMessages[k] = `${k} must be a number, got ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
        }
      }
      yield { line: info.lines, record: rec, ...(Object.keys(fieldMessages).length ? { fieldMessages } : {}) };
    }
  } catch (err) {
    const e = err as Partial<CsvError> & Error;
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
      throw new CommandError(`import stopped: line ${e.lines ?? '?'} is not valid CSV (${e.message}); fix the file and re-run`);
    }
    throw err;
  } finally {
    input.destroy();
  }
}
