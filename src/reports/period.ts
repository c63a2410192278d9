/**
 * Report periods: parsing of `from`, `to` and `tz` (contract "Conventions" and precise reading 13).
 *
 * - `from` is inclusive, `to` exclusive.
 * - Each is an ISO 8601 timestamp with an explicit offset, or a plain date `YYYY-MM-DD`
 *   meaning the start of that local day in `tz` (the earliest instant whose local clock reads
 *   that day's 00:00 or later — see `instantForWall`).
 * - Default: the 30 × 24 h ending now. When only one bound is given the other is 30 × 24 h
 *   away from it.
 * - An empty query value (`?from=`) counts as absent, as an HTML form would send it.
 * - At most 400 days: allowed when the span is ≤ 400 × 24 h of elapsed time *or* ≤ 400
 *   calendar days on the local clock of `tz`. So exactly 400 × 24 h is allowed, and so is a
 *   span between plain dates 400 days apart even when DST makes it 1 h longer; 1 ms more is not.
 */
import { ValidationError } from '../domain/errors.ts';
import type { ErrorDetail } from '../domain/errors.ts';
import { DAY_MS, daysInMonth, instantForWall, isValidTimeZone, offsetAt, utcMs } from './metrics/tz.ts';

export { isValidTimeZone } from './metrics/tz.ts';

export const DEFAULT_TZ = 'UTC';
export const DEFAULT_PERIOD_MS = 30 * DAY_MS;
export const MAX_PERIOD_DAYS = 400;

export interface PeriodQuery {
  from?: string;
  to?: string;
  tz?: string;
}

/** A resolved period: [fromMs, toMs) in epoch ms, and the zone for local-clock rules. */
export interface Period {
  fromMs: number;
  toMs: number;
  tz: string;
}

const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface TimestampParts {
  epochMs: number | null;
  hasOffset: boolean;
}

function parseTimestampParts(value: string): TimestampParts | null {
  const m = TIMESTAMP_RE.exec(value);
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, offset] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  // Hour 24 and leap second 60 are legal ISO 8601 spellings but ambiguous for storage; reject.
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!valid || offset === undefined) return { epochMs: null, hasOffset: offset !== undefined };

  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return { epochMs: null, hasOffset: true };
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Sub-millisecond digits are truncated (architecture: timestamps are integer epoch ms).
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const epochMs = utcMs(year, month, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return { epochMs, hasOffset: true };
}

/**
 * Parses a strict ISO 8601 / RFC 3339 timestamp that carries an explicit offset (`Z`, `±hh:mm`,
 * `±hhmm` or `±hh`; `T` and `Z` may be lower case as RFC 3339 allows; seconds and fraction are
 * optional) into epoch ms, truncating digits below the millisecond.
 * Returns null for anything else: non-strings, no offset, impossible dates (2026-02-30),
 * hour 24, leap seconds. Shared by report periods and ingest validation.
 */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const parts = parseTimestampParts(value);
  return parts === null ? null : parts.epochMs;
}

/** Parses `YYYY-MM-DD` into a wall value (local midnight as if UTC), or null when invalid. */
function parsePlainDate(value: string): number | null {
  const m = DATE_RE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return utcMs(year, month, day);
}

type Bound = { kind: 'absent' } | { kind: 'instant'; ms: number } | { kind: 'date'; wallMs: number } | { kind: 'invalid' };

function parseBound(field: 'from' | 'to', raw: unknown, details: ErrorDetail[]): Bound {
  if (raw === undefined || raw === null || raw === '') return { kind: 'absent' };
  if (typeof raw !== 'string') {
    details.push({ field, message: `${field} must be given once, as an ISO 8601 timestamp or a date YYYY-MM-DD` });
    return { kind: 'invalid' };
  }
  const wallMs = parsePlainDate(raw);
  if (wallMs !== null) return { kind: 'date', wallMs };
  const parts = parseTimestampParts(raw);
  if (parts !== null && parts.epochMs !== null) return { kind: 'instant', ms: parts.epochMs };
  if (parts !== null && !parts.hasOffset) {
    details.push({
      field,
      message: `${field} must include a UTC offset (for example Z or +02:00); a timestamp without one is ambiguous`,
    });
  } else {
    details.push({
      field,
      message: `${field} is not a valid ISO 8601 timestamp with offset or date YYYY-MM-DD: ${JSON.stringify(raw)}`,
    });
  }
  return { kind: 'invalid' };
}

function throwIfAny(details: ErrorDetail[]): void {
  if (details.length === 0) return;
  const message = details.length === 1 ? `Invalid period: ${details[0].message}` : 'Invalid period parameters';
  throw new ValidationError(message, details);
}

/**
 * Resolves the report period from query parameters (see module doc for the rules).
 * Throws ValidationError (`validation_error`, one detail per bad field: `from`, `to`, `tz`)
 * for unparsable values, timestamps without offset, unknown zones, `from >= to` and spans
 * over 400 days.
 */
export function parsePeriod(query: PeriodQuery, nowMs: number): Period {
  if (!Number.isFinite(nowMs)) throw new RangeError('nowMs must be a finite epoch-ms value');
  const details: ErrorDetail[] = [];

  const rawTz: unknown = query.tz;
  let tz = DEFAULT_TZ;
  if (rawTz !== undefined && rawTz !== null && rawTz !== '') {
    if (isValidTimeZone(rawTz)) tz = rawTz;
    else details.push({ field: 'tz', message: `tz must be an IANA time-zone name such as Europe/Berlin; got ${JSON.stringify(rawTz)}` });
  }
  const from = parseBound('from', query.from, details);
  const to = parseBound('to', query.to, details);
  throwIfAny(details);

  const resolve = (b: Bound): number | null =>
    b.kind === 'instant' ? b.ms : b.kind === 'date' ? instantForWall(tz, b.wallMs) : null;
  let fromMs = resolve(from);
  let toMs = resolve(to);
  if (fromMs === null && toMs === null) {
    toMs = nowMs;
    fromMs = nowMs - DEFAULT_PERIOD_MS;
  } else if (fromMs === null) {
    fromMs = (toMs as number) - DEFAULT_PERIOD_MS;
  } else if (toMs === null) {
    toMs = fromMs + DEFAULT_PERIOD_MS;
  }
  const f = fromMs as number;
  const t = toMs as number;

  if (f >= t) {
    details.push({ field: 'from', message: 'from must be earlier than to' });
  } else if (t - f > maxSpanMs(f, tz)) {
    details.push({ field: 'to', message: `the period may span at most ${MAX_PERIOD_DAYS} days` });
  }
  throwIfAny(details);
  return { fromMs: f, toMs: t, tz };
}

/**
 * The longest allowed span from `fromMs`: 400 × 24 h, or 400 calendar days on the local clock
 * when DST makes those longer (so plain dates exactly 400 days apart always pass).
 */
function maxSpanMs(fromMs: number, tz: string): number {
  const elapsed = MAX_PERIOD_DAYS * DAY_MS;
  const localWall = fromMs + offsetAt(tz, fromMs) + elapsed;
  return Math.max(elapsed, instantForWall(tz, localWall) - fromMs);
}
