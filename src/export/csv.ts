/**
 * CSV formatting for exports (contract: "Export", Precise readings 1 and 14).
 *
 * RFC 4180, UTF-8 without BOM, CRLF record terminators, a header row of the JSON field names.
 * Everything here is engine-independent: the storage side feeds rows (or pre-built lines) and
 * gets a byte stream that is produced only as fast as the consumer reads it.
 */

import { Readable } from 'node:stream';

/** The Content-Type of every CSV answer (contract, Precise reading 14). */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Record terminator: RFC 4180 mandates CRLF, and the contract repeats it. */
export const CSV_EOL = '\r\n';

/**
 * Leading characters that make a spreadsheet read a text cell as a formula. Exported so a
 * database-side CSV builder (fast path) can apply exactly the same rule.
 */
export const CSV_FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** Characters that make a cell need quotes (RFC 4180): quote, comma, CR, LF. Shared like the above. */
export const CSV_QUOTE_TRIGGERS: readonly string[] = ['"', ',', '\r', '\n'];

/**
 * Target size of one emitted chunk, in UTF-16 code units (≈ bytes for the mostly-ASCII report
 * data). Emitting one small chunk per line costs a stream round trip per row; batching to 64 KiB
 * keeps the per-row overhead negligible while memory stays bounded by one chunk.
 */
const CHUNK_TARGET = 64 * 1024;

const regexClass = (chars: readonly string[]) => chars.map((c) => c.replace(/[\\\]\-^]/g, '\\$&')).join('');
const NEEDS_QUOTES = new RegExp(`[${regexClass(CSV_QUOTE_TRIGGERS)}]`);
const FORMULA_START = new RegExp(`^[${regexClass(CSV_FORMULA_TRIGGERS)}]`);
const QUOTE_ALL = /"/g;

/**
 * Formats one value as an RFC 4180 cell.
 *
 * - `null` / `undefined` → empty cell; so do non-finite numbers, which JSON would give as `null`.
 * - numbers → `String(n)` (shortest round-trip form, full precision), never prefixed, so `-2`
 *   stays a number a spreadsheet can sum; bigints likewise.
 * - booleans → `true` / `false`; `Date` → ISO 8601 in UTC.
 * - strings → prefixed with `'` when they start with a formula trigger (`=`, `+`, `-`, `@`,
 *   tab, CR), then quoted when they contain `"`, `,`, CR or LF (quotes doubled).
 * - any other object (should have been flattened) → its JSON text, treated as a string.
 */
export function formatCsvCell(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return formatText(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : '';
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return '';
    case 'object':
      if (value === null) return '';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
      return formatText(JSON.stringify(value));
    default:
      return formatText(String(value));
  }
}

function formatText(text: string): string {
  // The guard comes first so that a guarded cell containing quotes or commas is still quoted.
  const guarded = FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replace(QUOTE_ALL, '""')}"` : guarded;
}

/**
 * Formats one CSV record (cells joined by commas), terminated by CRLF.
 */
export function csvLine(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += formatCsvCell(values[i]);
  }
  return line + CSV_EOL;
}

/**
 * Flattens a report row for CSV, keeping key order (contract, Precise reading 1):
 * a nested object becomes `<field>_<subfield>` columns (`prices_workflow_run`), an array becomes
 * `<field>_<k>` / `<field>_<k>_<subfield>` columns (`calibration_0_bin_lower`), recursively.
 * Scalars, `null` and `Date` values are kept as they are.
 */
export function flattenRow(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) flattenValue(out, key, value);
  return out;
}

function flattenValue(out: Record<string, unknown>, name: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) flattenValue(out, `${name}_${k}`, value[k]);
  } else if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) flattenValue(out, `${name}_${key}`, inner);
  } else {
    out[name] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Streams a CSV: the header row (`columns`), then one record per row with the cells taken from
 * `row[column]` in column order (a missing key is an empty cell). Rows must already be flat (see
 * {@link flattenRow}).
 *
 * The result is a byte stream (Buffers) that pulls rows only when its consumer reads, so memory
 * stays flat however many rows there are. If `rows` throws, the stream is destroyed with that
 * error; if the consumer destroys the stream, `rows` is closed (its `finally` blocks run), which
 * releases a database cursor behind it.
 */
export function createCsvStream(
  columns: readonly string[],
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
): Readable {
  const cols = [...columns];
  return Readable.from(generateRowChunks(cols, rows), { objectMode: false });
}

async function* generateRowChunks(
  columns: readonly string[],
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
): AsyncGenerator<string> {
  let pending = csvLine(columns);
  const n = columns.length;
  for await (const row of rows) {
    // Inlined csvLine over the column list: this loop runs once per exported row.
    let line = '';
    for (let i = 0; i < n; i++) {
      if (i > 0) line += ',';
      line += formatCsvCell(row[columns[i]]);
    }
    pending += line + CSV_EOL;
    if (pending.length >= CHUNK_TARGET) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}

/**
 * Streams a CSV from pre-formatted records, for the fast path where the database builds the
 * lines itself: the header row (`columns`), then every item of `lines` verbatim.
 *
 * Each item must be one or more complete records, each already quoted, guarded against formula
 * injection (see {@link CSV_FORMULA_TRIGGERS}) and terminated by CRLF; items are only batched
 * into ~64 KiB chunks, never inspected.
 */
export function createCsvStreamFromLines(
  columns: readonly string[],
  lines: AsyncIterable<string> | Iterable<string>,
): Readable {
  return Readable.from(generateLineChunks(csvLine(columns), lines), { objectMode: false });
}

async function* generateLineChunks(
  header: string,
  lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<string> {
  let pending = header;
  for await (const item of lines) {
    pending += item;
    if (pending.length >= CHUNK_TARGET) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}

/**
 * The attachment file name of a CSV export: `<type>_report.csv` (`raw_workflow_runs_report.csv`
 * for raw exports), as the contract's Content-Disposition requires.
 */
export function csvAttachmentFilename(type: string): string {
  return `${type}_report.csv`;
}
