/**
 * Normalized ingest records: the exact shape storage persists, one interface per kind.
 *
 * Everything here is pure. Timestamps are epoch milliseconds (UTC instants) so both engines store
 * the same BIGINTs and comparisons are plain number comparisons.
 */

export type IngestKind = 'workflow_runs' | 'incidents' | 'metrics' | 'predictions';

/** The ingest kinds in contract order (also the order of `POST /ingest/{kind}` in the docs). */
export const INGEST_KINDS: readonly IngestKind[] = Object.freeze(['workflow_runs', 'incidents', 'metrics', 'predictions']);

export type WorkflowRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export const WORKFLOW_RUN_STATUSES: readonly WorkflowRunStatus[] = Object.freeze(['running', 'succeeded', 'failed', 'cancelled']);

export type IncidentSeverity = 'critical' | 'high' | 'medium' | 'low';
export const INCIDENT_SEVERITIES: readonly IncidentSeverity[] = Object.freeze(['critical', 'high', 'medium', 'low']);

export type PredictionOutcome = 'failed' | 'succeeded';
export const PREDICTION_OUTCOMES: readonly PredictionOutcome[] = Object.freeze(['failed', 'succeeded']);

export interface WorkflowRunRecord {
  tenant_id: string;
  id: string;
  workflow_id: string;
  /** Redacted free text. */
  workflow_name: string | null;
  service: string;
  status: WorkflowRunStatus;
  started_at_ms: number;
  finished_at_ms: number | null;
  /** As sent, else finished − started; null only when neither is known (a running run). */
  duration_ms: number | null;
}

export interface IncidentRecord {
  tenant_id: string;
  id: string;
  service: string;
  severity: IncidentSeverity;
  /** Redacted free text. */
  title: string | null;
  opened_at_ms: number;
  acknowledged_at_ms: number | null;
  resolved_at_ms: number | null;
}

/** Keyed by (tenant_id, service, ts_ms); metrics have no id. */
export interface MetricSampleRecord {
  tenant_id: string;
  service: string;
  ts_ms: number;
  p95_latency_ms: number;
  throughput_rps: number;
  error_rate: number;
}

export interface PredictionRecord {
  tenant_id: string;
  id: string;
  model: string;
  model_version: string | null;
  workflow_run_id: string | null;
  predicted_at_ms: number;
  failure_probability: number;
  outcome: PredictionOutcome | null;
}

export interface RecordOfKind {
  workflow_runs: WorkflowRunRecord;
  incidents: IncidentRecord;
  metrics: MetricSampleRecord;
  predictions: PredictionRecord;
}

export type NormalizedRecord = RecordOfKind[IngestKind];

/**
 * Column order of each normalized record. Storage and raw exports can rely on it; recordsEqual
 * compares exactly these fields.
 */
export const RECORD_FIELDS: { readonly [K in IngestKind]: readonly (keyof RecordOfKind[K])[] } = Object.freeze({
  workflow_runs: Object.freeze([
    'tenant_id', 'id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at_ms', 'finished_at_ms', 'duration_ms',
  ] as const),
  incidents: Object.freeze([
    'tenant_id', 'id', 'service', 'severity', 'title', 'opened_at_ms', 'acknowledged_at_ms', 'resolved_at_ms',
  ] as const),
  metrics: Object.freeze(['tenant_id', 'service', 'ts_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate'] as const),
  predictions: Object.freeze([
    'tenant_id', 'id', 'model', 'model_version', 'workflow_run_id', 'predicted_at_ms', 'failure_probability', 'outcome',
  ] as const),
});

/**
 * Fields accepted on input for each kind, in contract order (raw CSV exports use the same names).
 * Timestamps here are the ISO strings of the API; the normalized records carry `*_ms` numbers.
 */
export const INGEST_FIELDS: { readonly [K in IngestKind]: readonly string[] } = Object.freeze({
  workflow_runs: Object.freeze([
    'id', 'tenant_id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at', 'finished_at', 'duration_ms',
  ]),
  incidents: Object.freeze(['id', 'tenant_id', 'service', 'severity', 'title', 'opened_at', 'acknowledged_at', 'resolved_at']),
  metrics: Object.freeze(['tenant_id', 'service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate']),
  predictions: Object.freeze([
    'id', 'tenant_id', 'model', 'model_version', 'workflow_run_id', 'predicted_at', 'failure_probability', 'outcome',
  ]),
});

/** Type guard for the `{kind}` path parameter. */
export function isIngestKind(value: unknown): value is IngestKind {
  return typeof value === 'string' && (INGEST_KINDS as readonly string[]).includes(value);
}

/**
 * The record's identity within its tenant: `id`, or for metrics `service + '\u0000' + ts_ms`.
 * Callers that mix tenants must prefix `tenant_id` themselves. NUL cannot occur inside a service
 * name (validation rejects control characters), so the separator keeps keys unambiguous.
 */
export function recordKey<K extends IngestKind>(kind: K, rec: RecordOfKind[K]): string {
  if (kind === 'metrics') {
    const m = rec as MetricSampleRecord;
    return `${m.service}\u0000${Number(m.ts_ms)}`;
  }
  return (rec as WorkflowRunRecord | IncidentRecord | PredictionRecord).id;
}

/**
 * True when every field of the two records is equal (contract reading 11: `unchanged`).
 * Timestamps are numbers, so equal instants compare equal whatever offset they were sent with.
 * Tolerates what drivers hand back: bigint for BIGINT columns and a missing field for NULL.
 */
export function recordsEqual<K extends IngestKind>(kind: K, a: RecordOfKind[K], b: RecordOfKind[K]): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const field of RECORD_FIELDS[kind] as readonly string[]) {
    if (!sameValue(x[field], y[field])) return false;
  }
  return true;
}

function sameValue(x: unknown, y: unknown): boolean {
  const xNull = x === null || x === undefined;
  const yNull = y === null || y === undefined;
  if (xNull || yNull) return xNull && yNull;
  const xNum = typeof x === 'number' || typeof x === 'bigint';
  const yNum = typeof y === 'number' || typeof y === 'bigint';
  // `===` after Number() also makes 0 and -0 equal, which is what a stored DOUBLE round-trip gives.
  if (xNum && yNum) return Number(x) === Number(y);
  return x === y;
}

// ---------------------------------------------------------------------------------------------
// Timestamps

// Date-time only, explicit offset required. Seconds are optional (ISO 8601 reduced precision);
// a fraction is only allowed after seconds. `,` is ISO 8601's other decimal sign.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(:?)(\d{2}))$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parses an ISO 8601 date-time with an explicit offset (`Z`, `±hh:mm` or `±hhmm`) into epoch
 * milliseconds. Digits below the millisecond are truncated (not rounded) so that every engine
 * stores the same instant. Returns null for anything else: a missing offset (never guessed), a
 * date without time, impossible calendar values (2026-02-30, hour 24 or 25, second 60), or an
 * offset of 24 hours or more.
 */
export function parseIsoTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const fast = parseIsoTimestampFast(value);
  return fast >= 0 ? fast : parseIsoTimestampRegex(value);
}

/** Value of the two ASCII digits at `i`, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The common form only, `YYYY-MM-DDTHH:MM:SS(.f{1,9})?(Z|±HH:MM)`, without a regex or
 * substrings: the epoch ms, or -1 for anything else (another form, an impossible value, or an
 * instant before 1970) so that parseIsoTimestampRegex decides. Where both accept a string they
 * compute the same value (test/unit/ingest/records-fast.test.ts).
 */
function parseIsoTimestampFast(s: string): number {
  const n = s.length;
  if (n < 20 || n > 35) return -1;
  const y1 = twoDigits(s, 0);
  const y2 = twoDigits(s, 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return -1;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return -1;
  const year = y1 * 100 + y2;
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return -1;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    // 1 to 9 digits; the first three are the milliseconds, the rest are truncated.
    const start = ++i;
    while (i < n) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (i - start < 3) millis = millis * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 9) return -1;
    if (digits === 1) millis *= 100;
    else if (digits === 2) millis *= 10;
  }
  let offsetMinutes = 0;
  const sign = s.charCodeAt(i);
  if (sign === 90) {
    if (i + 1 !== n) return -1;
  } else if (sign === 43 || sign === 45) {
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return -1;
    const offHours = twoDigits(s, i + 1);
    const offMins = twoDigits(s, i + 4);
    if (offHours < 0 || offHours > 23 || offMins < 0 || offMins > 59) return -1;
    offsetMinutes = (sign === 45 ? -1 : 1) * (offHours * 60 + offMins);
  } else {
    return -1;
  }
  const ms = (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60) * 1000 + millis;
  return ms >= 0 ? ms : -1;
}

/** The general parser (every form parseIsoTimestamp accepts). */
function parseIsoTimestampRegex(value: string): number | null {
  if (value.length > 64) return null;
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offHours = Number(m[10]);
    const offMins = Number(m[12]);
    if (offHours > 23 || offMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMins);
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return seconds * 1000 + millis;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). Plain integer
 * arithmetic: faster than a Date per timestamp on large batches, and free of Date.UTC's mapping
 * of years 0–99 to 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Formats epoch milliseconds as the contract's response form (UTC, `Z`, milliseconds). */
export function formatUtcTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
