/**
 * Turns a raw ingest body into a list of candidate records (not yet validated).
 *
 * Two formats (contract, Ingestion): a JSON array, or NDJSON when the content type is
 * `application/x-ndjson` (`application/ndjson` is accepted as well). Record positions are the
 * `index` of every error detail, for both formats alike (contract reading 12).
 */

import { ValidationError } from '../domain/errors.ts';
import type { ErrorDetail } from '../domain/errors.ts';

/**
 * Stands in for an NDJSON line that is not valid JSON, so that `records[i]` stays the record at
 * index `i` for validateBatch's details. validateBatch skips it (no record, no detail).
 */
export class UnparsableRecord {
  constructor(readonly message: string) {}
}

export interface ParsedBody {
  /** One entry per record, in body order; an unparsable NDJSON line is an UnparsableRecord. */
  records: unknown[];
  /**
   * One detail per unparsable NDJSON line (`{index, field: '', message: 'invalid JSON: …'}`).
   * validateBatch does not repeat them: merge them with its errors (sorted by index) and reject
   * the batch when the union is non-empty.
   */
  errors: ErrorDetail[];
}

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson']);

/** True when the Content-Type header (parameters such as `charset` ignored) selects NDJSON. */
export function isNdjsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return NDJSON_TYPES.has(contentType.split(';')[0].trim().toLowerCase());
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function jsonErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses an ingest body.
 *
 * - JSON (any content type other than NDJSON): the body must be one JSON array; an empty body,
 *   invalid JSON or any other JSON value throws a ValidationError (there is no record to point
 *   an index at).
 * - NDJSON: one record per line, `\n` or `\r\n` separated. Lines holding only whitespace are
 *   skipped and do NOT count: `index` is the position among non-blank lines, i.e. the same index
 *   the record would have in the equivalent JSON array. A line that is not valid JSON does count;
 *   it becomes an UnparsableRecord plus an error detail, so one response lists every bad line.
 *   An empty NDJSON body is an empty batch.
 *
 * A leading UTF-8 byte order mark is ignored in both formats.
 */
export function parseIngestBody(raw: string, contentType: string | undefined): ParsedBody {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  return isNdjsonContentType(contentType) ? parseNdjson(text) : parseJsonArray(text);
}

function parseJsonArray(text: string): ParsedBody {
  if (text.trim() === '') {
    throw new ValidationError('Request body is empty: send a JSON array of records, or NDJSON with Content-Type: application/x-ndjson');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`Request body is not valid JSON: ${jsonErrorMessage(err)}`);
  }
  if (!Array.isArray(value)) {
    throw new ValidationError(
      `Request body must be a JSON array of records, got ${describe(value)}` +
        (describe(value) === 'an object' ? ' (wrap a single record in [ ])' : '') +
        '; for one record per line use Content-Type: application/x-ndjson',
    );
  }
  return { records: value, errors: [] };
}

function parseNdjson(text: string): ParsedBody {
  const records: unknown[] = [];
  const errors: ErrorDetail[] = [];
  for (const line of text.split('\n')) {
    // JSON.parse ignores surrounding whitespace, including the `\r` of CRLF line ends.
    if (line.trim() === '') continue;
    const index = records.length;
    try {
      records.push(JSON.parse(line));
    } catch (err) {
      const message = `invalid JSON: ${jsonErrorMessage(err)}`;
      records.push(new UnparsableRecord(message));
      errors.push({ index, field: '', message });
    }
  }
  return { records, errors };
}
