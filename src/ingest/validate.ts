/**
 * Validation and normalization of ingest batches (contract: Ingestion, readings 11 and 12).
 *
 * Pure: no storage, no HTTP. The caller (ingest-service.ts) parses the body (parse-body.ts), calls
 * validateBatch, and then answers 404 tenant_not_found (foreignTenant, or an unknown id in
 * tenantIds), 400 with the parse errors and `errors` merged by index, or hands `records` to
 * storage. Every bad field of every bad record is reported, in index order, so a client fixes a
 * batch in one round trip.
 */

import type { ErrorDetail } from '../domain/errors.ts';
import { UnparsableRecord } from './parse-body.ts';
import {
  INCIDENT_SEVERITIES,
  INGEST_FIELDS,
  PREDICTION_OUTCOMES,
  WORKFLOW_RUN_STATUSES,
  parseIsoTimestamp,
  recordKey,
} from './records.ts';
import type {
  IncidentRecord,
  IncidentSeverity,
  IngestKind,
  MetricSampleRecord,
  NormalizedRecord,
  PredictionOutcome,
  PredictionRecord,
  RecordOfKind,
  WorkflowRunRecord,
  WorkflowRunStatus,
} from './records.ts';
import { redact } from './redact.ts';

/** Who is ingesting: a tenant key's tenant, or null for the admin key. */
export interface IngestAuth {
  tenantId: string | null;
}

export interface ValidationResult<R extends NormalizedRecord = NormalizedRecord> {
  /**
   * The normalized records, deduplicated by (tenant_id, key): when a key occurs more than once
   * the last occurrence wins and the list is in the order of those last occurrences. Only
   * meaningful when `errors` is empty and `foreignTenant` is false.
   */
  records: R[];
  /** One detail per bad field of every bad record (`field: ''` when it is the record itself). */
  errors: ErrorDetail[];
  /**
   * Distinct well-formed tenant ids named by the batch (or filled in from the key), in order of
   * first appearance, including records that have other errors; the route checks they exist.
   */
  tenantIds: string[];
  /**
   * A tenant key sent a record naming another (well-formed) tenant id. The contract answers that
   * with 404 tenant_not_found, the same as an unknown tenant, before anything else and storing
   * nothing; it is therefore a flag and not an error detail.
   */
  foreignTenant: boolean;
}

/** Limits beyond the contract's table; documented in the README. */
export const INGEST_LIMITS = Object.freeze({
  /** Identifiers: id, workflow_id, service, model, model_version, workflow_run_id (characters). */
  idMaxLength: 256,
  /** Free text: title, workflow_name (characters, counted before redaction). */
  textMaxLength: 1000,
  /** Timestamps must lie within [1970-01-01T00:00:00Z, 9999-12-31T23:59:59.999Z]. */
  minTimestampMs: 0,
  maxTimestampMs: 253_402_300_799_999,
  /** Unbounded quantities (durations, latencies, throughput) must stay exactly representable. */
  maxQuantity: Number.MAX_SAFE_INTEGER,
  /**
   * A run cannot last longer than the timestamp range. The bound also keeps the rollups'
   * 64-bit duration sums safe (tens of thousands of maximal runs per 15-minute slot).
   */
  maxDurationMs: 253_402_300_799_999,
});

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

type FieldSpec =
  | { type: 'id'; required: boolean }
  | { type: 'text' }
  | { type: 'enum'; required: boolean; values: readonly string[] }
  | { type: 'timestamp'; required: boolean }
  | { type: 'number'; required: boolean; min: number; max: number; integer: boolean };

const REQUIRED_ID: FieldSpec = { type: 'id', required: true };
const OPTIONAL_ID: FieldSpec = { type: 'id', required: false };
const TEXT: FieldSpec = { type: 'text' };
const REQUIRED_TS: FieldSpec = { type: 'timestamp', required: true };
const OPTIONAL_TS: FieldSpec = { type: 'timestamp', required: false };
const QUANTITY: FieldSpec = { type: 'number', required: true, min: 0, max: INGEST_LIMITS.maxQuantity, integer: false };
const PROBABILITY: FieldSpec = { type: 'number', required: true, min: 0, max: 1, integer: false };

// tenant_id is handled apart (it depends on the key); every other input field is described here.
const SPECS: { readonly [K in IngestKind]: Readonly<Record<string, FieldSpec>> } = {
  workflow_runs: {
    id: REQUIRED_ID,
    workflow_id: REQUIRED_ID,
    workflow_name: TEXT,
    service: REQUIRED_ID,
    status: { type: 'enum', required: true, values: WORKFLOW_RUN_STATUSES },
    started_at: REQUIRED_TS,
    finished_at: OPTIONAL_TS,
    // Whole milliseconds: the defaulted value (finished − started) is always whole, and storage
    // keeps durations as BIGINT like the timestamps they derive from.
    duration_ms: { type: 'number', required: false, min: 0, max: INGEST_LIMITS.maxDurationMs, integer: true },
  },
  incidents: {
    id: REQUIRED_ID,
    service: REQUIRED_ID,
    severity: { type: 'enum', required: true, values: INCIDENT_SEVERITIES },
    title: TEXT,
    opened_at: REQUIRED_TS,
    acknowledged_at: OPTIONAL_TS,
    resolved_at: OPTIONAL_TS,
  },
  metrics: {
    service: REQUIRED_ID,
    ts: REQUIRED_TS,
    p95_latency_ms: QUANTITY,
    throughput_rps: QUANTITY,
    error_rate: PROBABILITY,
  },
  predictions: {
    id: REQUIRED_ID,
    model: REQUIRED_ID,
    model_version: OPTIONAL_ID,
    workflow_run_id: OPTIONAL_ID,
    predicted_at: REQUIRED_TS,
    failure_probability: PROBABILITY,
    outcome: { type: 'enum', required: false, values: PREDICTION_OUTCOMES },
  },
};

/**
 * The values an ingest field of `kind` can hold once validated, where validation restricts them
 * more than "any text": `enum` (one of the listed words) or `tenant` (TENANT_ID_PATTERN); null for
 * free text, ids, timestamps and numbers. Lets the CSV export skip checks that cannot succeed
 * (raw-export.ts).
 */
export function validatedValues(kind: IngestKind, field: string): { enum: readonly string[] } | 'tenant' | null {
  if (field === 'tenant_id') return 'tenant';
  const spec = SPECS[kind][field];
  return spec?.type === 'enum' ? { enum: spec.values } : null;
}

/** Outcome of checking one field: a value (null = absent) or an error message. */
type Checked = { ok: true; value: unknown } | { ok: false; message: string };

const ok = (value: unknown): Checked => ({ ok: true, value });
const fail = (message: string): Checked => ({ ok: false, message });

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

/** Quotes a value for a message without letting a huge input blow up the response. */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** Length in characters (code points); only counted when UTF-16 length could exceed `max`. */
function lengthOver(s: string, max: number): number | null {
  if (s.length <= max) return null;
  let n = 0;
  for (const _ of s) n++;
  return n > max ? n : null;
}

// With the `u` flag a well-formed pair is one code point, so this matches lone surrogates only;
// they cannot be encoded as UTF-8 and would come back from storage changed.
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkId(field: string, value: unknown, required: boolean): Checked {
  if (value === undefined || value === null) return required ? fail(`${field} is required`) : ok(null);
  if (typeof value !== 'string') return fail(`${field} must be a string, got ${typeName(value)}`);
  if (value.trim() === '') return fail(`${field} must not be empty`);
  const length = lengthOver(value, INGEST_LIMITS.idMaxLength);
  if (length !== null) {
    return fail(`${field} must be at most ${INGEST_LIMITS.idMaxLength} characters, got ${length}`);
  }
  if (CONTROL_CHARS.test(value)) return fail(`${field} must not contain control characters`);
  if (LONE_SURROGATE.test(value)) return fail(`${field} must be valid Unicode text (it contains an unpaired surrogate)`);
  return ok(value);
}

function checkText(field: string, value: unknown): Checked {
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== 'string') return fail(`${field} must be a string, got ${typeName(value)}`);
  const length = lengthOver(value, INGEST_LIMITS.textMaxLength);
  if (length !== null) {
    return fail(`${field} must be at most ${INGEST_LIMITS.textMaxLength} characters, got ${length}`);
  }
  // PostgreSQL text cannot hold NUL; rejecting it keeps both engines identical.
  if (value.includes('\u0000')) return fail(`${field} must not contain NUL characters`);
  if (LONE_SURROGATE.test(value)) return fail(`${field} must be valid Unicode text (it contains an unpaired surrogate)`);
  return ok(redact(value));
}

function checkEnum(field: string, value: unknown, required: boolean, values: readonly string[]): Checked {
  if (value === undefined || value === null) return required ? fail(`${field} is required`) : ok(null);
  if (typeof value === 'string' && values.includes(value)) return ok(value);
  const got = typeof value === 'string' ? quote(value) : typeName(value);
  return fail(`${field} must be one of ${values.join(', ')}; got ${got}`);
}

const TIMESTAMP_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
const NO_OFFSET_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/;
const DATE_ONLY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP_EXAMPLE = 'e.g. 2026-03-01T12:00:00Z or 2026-03-01T14:00:00+02:00';

function checkTimestamp(field: string, value: unknown, required: boolean): Checked {
  if (value === undefined || value === null) return required ? fail(`${field} is required`) : ok(null);
  if (typeof value !== 'string') {
    return fail(`${field} must be an ISO 8601 timestamp string (${TIMESTAMP_EXAMPLE}), got ${typeName(value)}`);
  }
  const ms = parseIsoTimestamp(value);
  if (ms === null) {
    if (NO_OFFSET_SHAPE.test(value)) {
      return fail(`${field} must carry an explicit UTC offset (Z or ±hh:mm), ${TIMESTAMP_EXAMPLE}; got ${quote(value)}, which has none`);
    }
    if (DATE_ONLY_SHAPE.test(value)) {
      return fail(`${field} must be a date-time with an offset, not a date (${TIMESTAMP_EXAMPLE}); got ${quote(value)}`);
    }
    if (TIMESTAMP_SHAPE.test(value)) return fail(`${field} is not a valid date-time (no such date, time or offset): ${quote(value)}`);
    return fail(`${field} must be an ISO 8601 date-time with an explicit offset (${TIMESTAMP_EXAMPLE}); got ${quote(value)}`);
  }
  if (ms < INGEST_LIMITS.minTimestampMs || ms > INGEST_LIMITS.maxTimestampMs) {
    return fail(`${field} must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z; got ${quote(value)}`);
  }
  return ok(ms);
}

function checkNumber(field: string, value: unknown, spec: Extract<FieldSpec, { type: 'number' }>): Checked {
  if (value === undefined || value === null) return spec.required ? fail(`${field} is required`) : ok(null);
  if (typeof value === 'string') return fail(`${field} must be a JSON number, not a string (got ${quote(value)}); send it unquoted`);
  if (typeof value !== 'number') return fail(`${field} must be a number, got ${typeName(value)}`);
  // JSON.parse turns overflowing literals such as 1e400 into Infinity.
  if (!Number.isFinite(value)) return fail(`${field} must be a finite number`);
  if (spec.integer && !Number.isInteger(value)) return fail(`${field} must be a whole number of milliseconds, got ${value}`);
  if (spec.max === 1 && spec.min === 0) {
    if (value < 0 || value > 1) return fail(`${field} must be between 0 and 1, got ${value}`);
  } else {
    if (value < spec.min) return fail(`${field} must be >= ${spec.min}, got ${value}`);
    if (value > spec.max) return fail(`${field} must be at most ${spec.max}, got ${value}`);
  }
  // -0 would otherwise survive into storage and print as 0 or -0 depending on the engine.
  return ok(value === 0 ? 0 : value);
}

function checkField(field: string, value: unknown, spec: FieldSpec): Checked {
  switch (spec.type) {
    case 'id':
      return checkId(field, value, spec.required);
    case 'text':
      return checkText(field, value);
    case 'enum':
      return checkEnum(field, value, spec.required, spec.values);
    case 'timestamp':
      return checkTimestamp(field, value, spec.required);
    case 'number':
      return checkNumber(field, value, spec);
  }
}

interface TenantCheck {
  tenantId: string | null;
  foreign: boolean;
  message?: string;
}

function checkTenant(value: unknown, auth: IngestAuth): TenantCheck {
  if (value === undefined || value === null) {
    if (auth.tenantId !== null) return { tenantId: auth.tenantId, foreign: false };
    return { tenantId: null, foreign: false, message: 'tenant_id is required with an admin key' };
  }
  if (typeof value !== 'string') return { tenantId: null, foreign: false, message: `tenant_id must be a string, got ${typeName(value)}` };
  if (!TENANT_ID_PATTERN.test(value)) {
    return { tenantId: null, foreign: false, message: `tenant_id must match ^[A-Za-z0-9_-]{1,64}$; got ${quote(value)}` };
  }
  return { tenantId: value, foreign: auth.tenantId !== null && value !== auth.tenantId };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof UnparsableRecord);
}

/** Reads an own property only, so `constructor` or `__proto__` never resolve through the prototype. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

type Values = Record<string, unknown>;

/** A checked timestamp, or null when it is absent or failed its own check. */
function instant(v: Values, field: string): number | null {
  const value = v[field];
  return typeof value === 'number' ? value : null;
}

/** Cross-field rules and output shape per kind; `v` holds only fields that passed their checks. */
function buildRecord(
  kind: IngestKind,
  tenantId: string,
  v: Values,
  bad: ReadonlySet<string>,
  addError: (field: string, message: string) => void,
): NormalizedRecord {
  let record: NormalizedRecord;
  switch (kind) {
    case 'workflow_runs': {
      const started = instant(v, 'started_at');
      const finished = instant(v, 'finished_at');
      if (finished === null && !bad.has('finished_at') && !bad.has('status') && v.status !== 'running') {
        addError('finished_at', `finished_at is required unless status is running (status is ${quote(String(v.status))})`);
      }
      if (finished !== null && started !== null && finished < started) {
        addError('finished_at', 'finished_at must not be before started_at');
      }
      const duration = v.duration_ms as number | null;
      record = {
        tenant_id: tenantId,
        id: v.id as string,
        workflow_id: v.workflow_id as string,
        workflow_name: v.workflow_name as string | null,
        service: v.service as string,
        status: v.status as RecordOfKind['workflow_runs']['status'],
        started_at_ms: started as number,
        finished_at_ms: finished,
        duration_ms: duration !== null ? duration : finished !== null && started !== null ? finished - started : null,
      };
      break;
    }
    case 'incidents': {
      const opened = instant(v, 'opened_at');
      for (const field of ['acknowledged_at', 'resolved_at'] as const) {
        const at = instant(v, field);
        if (at !== null && opened !== null && at < opened) addError(field, `${field} must not be before opened_at`);
      }
      record = {
        tenant_id: tenantId,
        id: v.id as string,
        service: v.service as string,
        severity: v.severity as RecordOfKind['incidents']['severity'],
        title: v.title as string | null,
        opened_at_ms: opened as number,
        acknowledged_at_ms: v.acknowledged_at as number | null,
        resolved_at_ms: v.resolved_at as number | null,
      };
      break;
    }
    case 'metrics':
      record = {
        tenant_id: tenantId,
        service: v.service as string,
        ts_ms: v.ts as number,
        p95_latency_ms: v.p95_latency_ms as number,
        throughput_rps: v.throughput_rps as number,
        error_rate: v.error_rate as number,
      };
      break;
    case 'predictions':
      record = {
        tenant_id: tenantId,
        id: v.id as string,
        model: v.model as string,
        model_version: v.model_version as string | null,
        workflow_run_id: v.workflow_run_id as string | null,
        predicted_at_ms: v.predicted_at as number,
        failure_probability: v.failure_probability as number,
        outcome: v.outcome as RecordOfKind['predictions']['outcome'],
      };
      break;
  }
  return record;
}

/**
 * Validates and normalizes one ingest batch of `kind`.
 *
 * Per record (index = position in `records`, counted from 0):
 * - not a JSON object → one detail with `field: ''`; an UnparsableRecord (bad NDJSON line) is
 *   skipped without a detail: its `invalid JSON: …` detail comes from parseIngestBody, and the
 *   caller must reject the batch when `[...parsed.errors, ...result.errors]` is non-empty;
 * - every field not in the kind's table → one detail per field (`unknown field`);
 * - every field of the table checked on its own (required, type, enum, timestamp, range, length),
 *   then cross-field rules (finished_at, acknowledged_at, resolved_at against their start) on
 *   fields that passed; `null` counts as absent for optional fields;
 * - tenant_id: omitted → the key's tenant (a tenant key) or a detail (admin); well-formed but
 *   another tenant under a tenant key → `foreignTenant` (no detail).
 * Free text is redacted; timestamps become epoch ms; duration_ms defaults to finished − started.
 */
export function validateBatch<K extends IngestKind>(kind: K, records: readonly unknown[], auth: IngestAuth): ValidationResult<RecordOfKind[K]> {
  const specs = SPECS[kind];
  if (specs === undefined) throw new TypeError(`Unknown ingest kind: ${String(kind)}`);
  const allowed = new Set(INGEST_FIELDS[kind]);
  const fast = FAST[kind];
  const errors: ErrorDetail[] = [];
  const tenantIds = new Set<string>();
  let foreignTenant = false;
  const tenants = new TenantCache(auth);
  const valid: RecordOfKind[K][] = [];
  const seen = new SeenKeys(kind === 'metrics');

  for (let index = 0; index < records.length; index++) {
    const raw = records[index];
    // A hole of a sparse array is no record (as with forEach); JSON.parse never makes holes.
    if (raw === undefined && !(index in records)) continue;
    // Its `invalid JSON` detail is in parseIngestBody's errors, which callers merge with ours;
    // reporting it here too would list the line twice. It never yields a record.
    if (raw instanceof UnparsableRecord) continue;
    if (!isPlainObject(raw)) {
      errors.push({ index, field: '', message: `record must be a JSON object, got ${typeName(raw)}` });
      continue;
    }

    // The fast path accepts only records the general path below accepts without any detail, and
    // builds the same record; anything else (any doubt) goes the general way.
    const quick = fast(raw, allowed, tenants);
    if (quick !== SLOW) {
      const t = quick.tenant_id;
      tenantIds.add(t);
      if (auth.tenantId !== null && t !== auth.tenantId) foreignTenant = true;
      valid.push(quick as RecordOfKind[K]);
      seen.add(quick);
      continue;
    }

    const bad = new Set<string>();
    const addError = (field: string, message: string): void => {
      bad.add(field);
      errors.push({ index, field, message });
    };

    for (const key of Object.keys(raw)) {
      if (!allowed.has(key)) addError(key, `unknown field ${quote(key)}; ${kind} accepts ${INGEST_FIELDS[kind].join(', ')}`);
    }

    const values: Values = {};
    let tenant: TenantCheck | null = null;
    // Contract order, so details of one record read like the table.
    for (const field of INGEST_FIELDS[kind]) {
      if (field === 'tenant_id') {
        tenant = checkTenant(own(raw, 'tenant_id'), auth);
        if (tenant.message !== undefined) addError('tenant_id', tenant.message);
        if (tenant.tenantId !== null) tenantIds.add(tenant.tenantId);
        if (tenant.foreign) foreignTenant = true;
        continue;
      }
      const checked = checkField(field, own(raw, field), specs[field]);
      if (checked.ok) values[field] = checked.value;
      else addError(field, checked.message);
    }

    // Cross-field rules still run on a record with other errors, to report everything at once.
    const record = buildRecord(kind, tenant?.tenantId ?? '', values, bad, addError);
    if (bad.size > 0) continue;
    valid.push(record as RecordOfKind[K]);
    seen.add(record);
  }

  if (!seen.duplicates) return { records: valid, errors, tenantIds: [...tenantIds], foreignTenant };
  // A key occurs more than once: the last occurrence wins, in the order of last occurrences.
  const byKey = new Map<string, RecordOfKind[K]>();
  for (const rec of valid) {
    const key = `${rec.tenant_id}\u0000${recordKey(kind, rec)}`;
    // Delete first so that the Map's insertion order becomes the order of last occurrences.
    byKey.delete(key);
    byKey.set(key, rec);
  }
  return { records: [...byKey.values()], errors, tenantIds: [...tenantIds], foreignTenant };
}

// ---------------------------------------------------------------------------------------------
// Batch helpers

/**
 * Notes whether any (tenant_id, key) of the valid records repeats, without building a string
 * key per record: per tenant, the ids (or per service the metric instants). The same identity as
 * `tenant_id + NUL + recordKey()`: neither a tenant id nor a service can contain NUL.
 */
class SeenKeys {
  duplicates = false;
  private readonly byTenant = new Map<string, Set<string> | Map<string, Set<number>>>();
  private lastTenant: string | null = null;
  private last: Set<string> | Map<string, Set<number>> | null = null;

  constructor(private readonly metrics: boolean) {}

  add(rec: NormalizedRecord): void {
    if (this.duplicates) return;
    const t = rec.tenant_id;
    let keys = t === this.lastTenant ? this.last : null;
    if (keys === null) {
      keys = this.byTenant.get(t) ?? null;
      if (keys === null) this.byTenant.set(t, (keys = this.metrics ? new Map<string, Set<number>>() : new Set<string>()));
      this.lastTenant = t;
      this.last = keys;
    }
    if (this.metrics) {
      const m = rec as MetricSampleRecord;
      const services = keys as Map<string, Set<number>>;
      let instants = services.get(m.service);
      if (instants === undefined) services.set(m.service, (instants = new Set<number>()));
      if (instants.has(m.ts_ms)) this.duplicates = true;
      else instants.add(m.ts_ms);
    } else {
      const ids = keys as Set<string>;
      const id = (rec as WorkflowRunRecord | IncidentRecord | PredictionRecord).id;
      if (ids.has(id)) this.duplicates = true;
      else ids.add(id);
    }
  }
}

/** tenant_id as checkTenant would accept it without a detail, remembering the last good id. */
class TenantCache {
  private lastGood: string | null = null;
  constructor(private readonly auth: IngestAuth) {}

  /** The record's tenant id, or SLOW when checkTenant would report something. */
  resolve(value: unknown): string | Slow {
    if (value === undefined || value === null) return this.auth.tenantId ?? SLOW;
    if (typeof value !== 'string') return SLOW;
    if (value !== this.lastGood) {
      if (!TENANT_ID_PATTERN.test(value)) return SLOW;
      this.lastGood = value;
    }
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Fast path: one function per kind for records that pass every check. Each field is first tested
// with a cheap sufficient condition; when that fails the general check decides (its value is
// used when it accepts). Any failure returns SLOW and the general path reports the details.

const SLOW: unique symbol = Symbol('slow');
type Slow = typeof SLOW;
type FastValidator = (raw: Record<string, unknown>, allowed: ReadonlySet<string>, tenants: TenantCache) => NormalizedRecord | Slow;

/** Every own enumerable key is a field of the kind (the general path reports the others). */
function onlyAllowedKeys(raw: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(raw)) if (!allowed.has(key)) return false;
  return true;
}

function idValue(field: string, value: unknown, required: boolean): string | null | Slow {
  if (typeof value === 'string') {
    // Printable ASCII with a non-space: what checkId accepts, in one pass.
    const n = value.length;
    if (n > 0 && n <= INGEST_LIMITS.idMaxLength) {
      let visible = false;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c < 0x20 || c > 0x7e) break;
        if (c !== 0x20) visible = true;
      }
      if (i === n && visible) return value;
    }
  } else if (value === undefined || value === null) {
    return required ? SLOW : null;
  }
  const checked = checkId(field, value, required);
  return checked.ok ? (checked.value as string) : SLOW;
}

function textValue(field: string, value: unknown): string | null | Slow {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.length <= INGEST_LIMITS.textMaxLength) {
    // No NUL and no surrogate at all (so none unpaired): checkText's conditions.
    const n = value.length;
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) break;
    }
    if (i === n) return redact(value);
  }
  const checked = checkText(field, value);
  return checked.ok ? (checked.value as string) : SLOW;
}

function enumValue(value: unknown, required: boolean, values: readonly string[]): string | null | Slow {
  if (typeof value === 'string' && values.includes(value)) return value;
  return !required && (value === undefined || value === null) ? null : SLOW;
}

function timestampValue(value: unknown, required: boolean): number | null | Slow {
  if (typeof value === 'string') {
    const ms = parseIsoTimestamp(value);
    return ms !== null && ms >= INGEST_LIMITS.minTimestampMs && ms <= INGEST_LIMITS.maxTimestampMs ? ms : SLOW;
  }
  return !required && (value === undefined || value === null) ? null : SLOW;
}

function numberValue(value: unknown, required: boolean, min: number, max: number, integer: boolean): number | null | Slow {
  if (typeof value === 'number') {
    // NaN fails both comparisons; ±Infinity fails one (the bounds are finite).
    if (value >= min && value <= max && (!integer || Number.isInteger(value))) return value === 0 ? 0 : value;
    return SLOW;
  }
  return !required && (value === undefined || value === null) ? null : SLOW;
}

const MAX_QUANTITY = INGEST_LIMITS.maxQuantity;

const FAST: { readonly [K in IngestKind]: FastValidator } = {
  workflow_runs(raw, allowed, tenants) {
    if (!onlyAllowedKeys(raw, allowed)) return SLOW;
    const tenantId = tenants.resolve(own(raw, 'tenant_id'));
    if (tenantId === SLOW) return SLOW;
    const id = idValue('id', own(raw, 'id'), true);
    if (id === SLOW) return SLOW;
    const workflowId = idValue('workflow_id', own(raw, 'workflow_id'), true);
    if (workflowId === SLOW) return SLOW;
    const workflowName = textValue('workflow_name', own(raw, 'workflow_name'));
    if (workflowName === SLOW) return SLOW;
    const service = idValue('service', own(raw, 'service'), true);
    if (service === SLOW) return SLOW;
    const status = enumValue(own(raw, 'status'), true, WORKFLOW_RUN_STATUSES);
    if (status === SLOW) return SLOW;
    const started = timestampValue(own(raw, 'started_at'), true);
    if (started === SLOW) return SLOW;
    const finished = timestampValue(own(raw, 'finished_at'), false);
    if (finished === SLOW) return SLOW;
    const duration = numberValue(own(raw, 'duration_ms'), false, 0, INGEST_LIMITS.maxDurationMs, true);
    if (duration === SLOW) return SLOW;
    if (finished === null ? status !== 'running' : finished < (started as number)) return SLOW;
    const record: WorkflowRunRecord = {
      tenant_id: tenantId,
      id: id as string,
      workflow_id: workflowId as string,
      workflow_name: workflowName,
      service: service as string,
      status: status as WorkflowRunStatus,
      started_at_ms: started as number,
      finished_at_ms: finished,
      duration_ms: duration !== null ? duration : finished !== null ? finished - (started as number) : null,
    };
    return record;
  },
  incidents(raw, allowed, tenants) {
    if (!onlyAllowedKeys(raw, allowed)) return SLOW;
    const id = idValue('id', own(raw, 'id'), true);
    if (id === SLOW) return SLOW;
    const tenantId = tenants.resolve(own(raw, 'tenant_id'));
    if (tenantId === SLOW) return SLOW;
    const service = idValue('service', own(raw, 'service'), true);
    if (service === SLOW) return SLOW;
    const severity = enumValue(own(raw, 'severity'), true, INCIDENT_SEVERITIES);
    if (severity === SLOW) return SLOW;
    const title = textValue('title', own(raw, 'title'));
    if (title === SLOW) return SLOW;
    const opened = timestampValue(own(raw, 'opened_at'), true);
    if (opened === SLOW) return SLOW;
    const acknowledged = timestampValue(own(raw, 'acknowledged_at'), false);
    if (acknowledged === SLOW || (acknowledged !== null && acknowledged < (opened as number))) return SLOW;
    const resolved = timestampValue(own(raw, 'resolved_at'), false);
    if (resolved === SLOW || (resolved !== null && resolved < (opened as number))) return SLOW;
    const record: IncidentRecord = {
      tenant_id: tenantId,
      id: id as string,
      service: service as string,
      severity: severity as IncidentSeverity,
      title,
      opened_at_ms: opened as number,
      acknowledged_at_ms: acknowledged,
      resolved_at_ms: resolved,
    };
    return record;
  },
  metrics(raw, allowed, tenants) {
    if (!onlyAllowedKeys(raw, allowed)) return SLOW;
    const tenantId = tenants.resolve(own(raw, 'tenant_id'));
    if (tenantId === SLOW) return SLOW;
    const service = idValue('service', own(raw, 'service'), true);
    if (service === SLOW) return SLOW;
    const ts = timestampValue(own(raw, 'ts'), true);
    if (ts === SLOW) return SLOW;
    const latency = numberValue(own(raw, 'p95_latency_ms'), true, 0, MAX_QUANTITY, false);
    if (latency === SLOW) return SLOW;
    const throughput = numberValue(own(raw, 'throughput_rps'), true, 0, MAX_QUANTITY, false);
    if (throughput === SLOW) return SLOW;
    const errorRate = numberValue(own(raw, 'error_rate'), true, 0, 1, false);
    if (errorRate === SLOW) return SLOW;
    const record: MetricSampleRecord = {
      tenant_id: tenantId,
      service: service as string,
      ts_ms: ts as number,
      p95_latency_ms: latency as number,
      throughput_rps: throughput as number,
      error_rate: errorRate as number,
    };
    return record;
  },
  predictions(raw, allowed, tenants) {
    if (!onlyAllowedKeys(raw, allowed)) return SLOW;
    const id = idValue('id', own(raw, 'id'), true);
    if (id === SLOW) return SLOW;
    const tenantId = tenants.resolve(own(raw, 'tenant_id'));
    if (tenantId === SLOW) return SLOW;
    const model = idValue('model', own(raw, 'model'), true);
    if (model === SLOW) return SLOW;
    const modelVersion = idValue('model_version', own(raw, 'model_version'), false);
    if (modelVersion === SLOW) return SLOW;
    const runId = idValue('workflow_run_id', own(raw, 'workflow_run_id'), false);
    if (runId === SLOW) return SLOW;
    const predicted = timestampValue(own(raw, 'predicted_at'), true);
    if (predicted === SLOW) return SLOW;
    const probability = numberValue(own(raw, 'failure_probability'), true, 0, 1, false);
    if (probability === SLOW) return SLOW;
    const outcome = enumValue(own(raw, 'outcome'), false, PREDICTION_OUTCOMES);
    if (outcome === SLOW) return SLOW;
    const record: PredictionRecord = {
      tenant_id: tenantId,
      id: id as string,
      model: model as string,
      model_version: modelVersion,
      workflow_run_id: runId,
      predicted_at_ms: predicted as number,
      failure_probability: probability as number,
      outcome: outcome as PredictionOutcome | null,
    };
    return record;
  },
};
