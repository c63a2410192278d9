/**
 * What every answer must satisfy, whatever was asked (contract: Conventions, "Errors"): no 5xx,
 * no stack trace, SQL or internal path in the body, and every error in exactly the contract shape
 * `{"error": {"code", "message", "details"}}`.
 */
import assert from 'node:assert/strict';
import { redact } from '../../src/ingest/redact.ts';
import type { RawRequest, RawResponse } from './raw-client.ts';

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** Things that only leak from internals. Each is skipped when the request itself matches it (an echoed input is no leak). */
const LEAKS: { name: string; re: RegExp }[] = [
  { name: 'a stack frame', re: /\bat (?:async )?[^\s()]*\s?\(?(?:file:\/\/|node:)?\/?[\w.\-/]+\.(?:ts|js|mjs|cjs):\d+/ },
  { name: 'an error class prefix', re: /\b(?:[A-Z][A-Za-z]*)?Error: / },
  { name: 'SQL text', re: /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b|\bON CONFLICT\b/ },
  {
    name: 'a database error',
    re: /syntax error|Binder Error|Catalog Error|Parser Error|Conversion Error|Constraint Error|relation "|column "[^"]*" (?:does not exist|of relation)|violates (?:not-null|foreign key|unique|check) constraint|invalid byte sequence|invalid input syntax|current transaction is aborted/i,
  },
  { name: 'a server file', re: /"devDependencies"\s*:|root:x:0:0:|\[extensions\]/ },
  { name: 'an internal path', re: /\/work\/main|node_modules|\/src\/[\w\-/]+\.ts|atom-test-|atom-fuzz-|\/home\/|\\\\src\\\\/ },
];

/** Text of the request that an answer may legitimately echo back (decoded where possible). */
function requestMaterial(req: RawRequest): string {
  let decoded = req.path;
  try {
    decoded = decodeURIComponent(req.path.replace(/\+/g, ' '));
  } catch {
    // Broken escapes: match against the raw text.
  }
  const body = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : req.body;
  return `${req.path}\n${decoded}\n${body}\n${JSON.stringify(body)}`;
}

/**
 * Strings that accepted requests stored and that reports, lists and exports may rightly return
 * later; only those that look like a leak are kept (the rest need no exemption).
 */
export class StoredText {
  readonly suspicious = new Set<string>();

  /** Remembers every string of an accepted JSON or NDJSON body, as stored and as serialised. */
  rememberBody(body: string | Buffer | undefined): void {
    if (body === undefined) return;
    const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
    try {
      this.remember(JSON.parse(text));
    } catch {
      for (const line of text.split('\n')) {
        try {
          this.remember(JSON.parse(line));
        } catch {
          // Not a record.
        }
      }
    }
  }

  remember(value: unknown): void {
    if (typeof value === 'string') {
      for (const s of [value, value.trim(), redact(value)]) {
        for (const form of [s, JSON.stringify(s).slice(1, -1), s.replace(/"/g, '""')]) {
          if (LEAKS.some((l) => l.re.test(form))) this.suspicious.add(form);
        }
      }
    } else if (Array.isArray(value)) {
      for (const v of value) this.remember(v);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        this.remember(k);
        this.remember(v);
      }
    }
  }
}

export interface CheckOptions {
  /** Strings stored by earlier accepted requests that reports and exports may rightly return. */
  stored?: StoredText;
  /** Skip the internal-path check (the audit export answers with its file locations by contract). */
  allowPaths?: boolean;
}

/** Throws (an assertion naming the request) when an answer breaks a rule. */
export function checkResponse(req: RawRequest, res: RawResponse, opts: CheckOptions = {}): void {
  const what = `${req.method} ${req.path.slice(0, 300)} → ${res.status}: ${res.text.slice(0, 500)}`;
  assert.ok(res.status >= 200 && res.status < 500, `no answer may be a 5xx (or below 200): ${what}`);

  const material = requestMaterial(req);
  let text = res.text;
  if (res.status < 300) for (const s of opts.stored?.suspicious ?? []) text = text.split(s).join('');
  const isStatic = /^(?:text\/html|application\/javascript|text\/css|image\/)/.test(String(res.headers['content-type'] ?? ''));
  if (!(isStatic && res.status < 300)) {
    for (const leak of LEAKS) {
      if (leak.name === 'an internal path' && opts.allowPaths) continue;
      if (leak.re.test(text) && !leak.re.test(material)) assert.fail(`the body must not contain ${leak.name}: ${what}`);
    }
  }

  const type = String(res.headers['content-type'] ?? '');
  if (res.status >= 300) {
    assert.match(type, /^application\/json\b/, `an error answer is JSON: ${what}`);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      assert.fail(`an error answer is parsable JSON: ${what}`);
    }
    assertErrorShape(body, what);
  } else if (/json/.test(type)) {
    assert.doesNotThrow(() => JSON.parse(res.text), `a JSON answer parses: ${what}`);
  }
}

/** Exactly `{error: {code: snake_case, message: string, details: [{message, …}]}}`, nothing more. */
export function assertErrorShape(body: unknown, what = ''): asserts body is { error: { code: string; message: string; details: unknown[] } } {
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `the error body is an object: ${what}`);
  assert.deepEqual(Object.keys(body).sort(), ['error'], `the error body has only "error": ${what}`);
  const error = (body as { error: unknown }).error;
  assert.ok(error !== null && typeof error === 'object' && !Array.isArray(error), `"error" is an object: ${what}`);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'message'], `"error" has exactly code, message, details: ${what}`);
  const { code, message, details } = error as { code: unknown; message: unknown; details: unknown };
  assert.ok(typeof code === 'string' && SNAKE_CASE.test(code), `error.code is a snake_case string: ${what}`);
  assert.ok(typeof message === 'string' && message.length > 0, `error.message is a non-empty string: ${what}`);
  assert.ok(Array.isArray(details), `error.details is an array: ${what}`);
  for (const d of details) {
    assert.ok(d !== null && typeof d === 'object' && typeof (d as { message?: unknown }).message === 'string', `each detail has a message: ${what}`);
    const { index, field } = d as { index?: unknown; field?: unknown };
    if (index !== undefined) assert.ok(Number.isInteger(index) && (index as number) >= 0, `detail.index counts from 0: ${what}`);
    if (field !== undefined) assert.equal(typeof field, 'string', `detail.field is a string: ${what}`);
  }
}
