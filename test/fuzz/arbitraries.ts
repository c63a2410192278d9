/**
 * Generators of hostile requests for every endpoint: malformed and deeply nested JSON, extreme
 * numbers, wrong types, odd Unicode (lone surrogates, RTL marks, emoji, NUL), injection strings,
 * absurd periods and zones, duplicated query parameters, wrong content types, empty bodies, and
 * every kind of key. Mostly wrong, sometimes right: accepted requests put odd data in the
 * database for the reports and exports to chew on.
 */
import fc from 'fast-check';
import type { RawRequest } from './raw-client.ts';

/** What the generators may name: the tenants and keys of the server under test. */
export interface FuzzWorld {
  adminKey: string;
  a: { id: string; key: string };
  b: { id: string; key: string };
  /** A key that was revoked before fuzzing. */
  revokedKey: string;
  /** Ids of keys the fuzzer may revoke (never A's or B's). */
  spareKeyIds: string[];
  /** `/export/csv/{type}` values from /openapi.json. */
  exportTypes: string[];
  kinds: string[];
}

export interface FuzzRequest extends RawRequest {
  /** The operation, e.g. `GET /reports/trends/{tenant_id}`. */
  op: string;
}

const DAY_MS = 86_400_000;

export const NASTY_STRINGS: readonly string[] = [
  "'; DROP TABLE tenants; --",
  "' OR '1'='1",
  '" OR ""="',
  'SELECT * FROM api_keys',
  "1; SELECT pg_sleep(5) --",
  "x' UNION SELECT key_hash FROM api_keys --",
  'Robert"); DELETE FROM workflow_runs; --',
  '$1',
  '?',
  '%',
  '_',
  '\\',
  '../',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '%2e%2e/%2e%2e/',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'file:///etc/passwd',
  'C:\\boot.ini',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00x',
  '\u202eevil\u202c',
  '\u200f\u200e\u061c',
  'שלום',
  'مرحبا',
  '😀🔥',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\ufeff',
  '\uffff',
  '\ufffd',
  'é',
  'ß',
  'Ω≈ç√∫',
  '中文字符',
  'Z̤͔ͧ̑̓ä͖̭̈̇l͖͎g̞̥͈ͮ̇o̶',
  ' ',
  '',
  '   ',
  '\t',
  '\r\n',
  '\n',
  '\u0007\u001b[31m',
  '\u007f',
  '\u2028\u2029',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  '1e308',
  '9223372036854775808',
  '-9223372036854775809',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  "=cmd|' /C calc'!A0",
  '+SUM(1)',
  '-2+3',
  '@A1',
  '\tTAB',
  '\rCR',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'Error: boom',
  'AAA',
  'a,b;c"d\'e',
  '"quoted"',
  'x'.repeat(64),
  'y'.repeat(65),
  'z'.repeat(257),
  'w'.repeat(1001),
];

/** String of arbitrary UTF-16 code units: lone surrogates, controls, NUL included. */
const codeUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 3 });

export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 2, arbitrary: codeUnitString },
  { weight: 1, arbitrary: loneSurrogates },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 6000 }).map((n) => 'L'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY_STRINGS), fc.constantFrom(...NASTY_STRINGS)).map(([a, b]) => a + b) },
);

export const EXTREME_NUMBERS: readonly number[] = [
  1e308,
  -1e308,
  Number.MAX_VALUE,
  -0,
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  0,
  1,
  -1,
  0.5,
  1.0000000000000002,
  0.1 + 0.2,
  1e-7,
  0.0000001,
  123456.1234567,
  999999999999.999999,
  253402300799999,
  253402300800000,
  8.64e15,
];

export const weirdNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EXTREME_NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
);

/** Number literals JSON.stringify never writes; substituted into bodies as raw text. */
export const NUMBER_LITERALS: readonly string[] = [
  '1e308',
  '1e400',
  '-1e400',
  '-0',
  '-0.0',
  '9223372036854775808',
  '18446744073709551616',
  '123456789012345678901234567890',
  '1e-400',
  '0.1e1',
  '1E+2',
  '00',
  '01',
  '.5',
  '5.',
  '+1',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '1_000',
  '1e',
  '--1',
];

/** Nested arrays/objects, from a few levels to far deeper than any parser's recursion. */
const deepValue: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 2, max: 3000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let v: unknown = arrays ? [] : { x: 1 };
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { x: v };
    return v;
  });

export const TIMESTAMPS: readonly string[] = [
  '2026-03-01T10:00:00Z',
  '2026-03-01T10:00:00+05:45',
  '2026-03-01T10:00:00-03:30',
  '2026-03-01T10:00:00.123456789Z',
  '2026-03-01T10:00:00',
  '2026-03-01',
  '0001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00Z',
  '275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2026-03-01T24:00:00Z',
  '2026-03-01T23:59:60Z',
  '2026-03-01T10:00:00+24:00',
  '2026-03-01T10:00:00+14:00',
  '2026-03-01t10:00:00z',
  '2026-03-01 10:00:00Z',
  '2026-03-29T02:30:00+02:00',
  '2026-11-01T01:30:00-04:00',
  '1700000000000',
  '2026-W09-1T00:00:00Z',
  '2026-060T00:00:00Z',
  '2026-03-01T10:00Z',
  '2026-03-01T10Z',
];

export const PERIOD_VALUES: readonly string[] = [
  '2026-03-01',
  '2026-03-31',
  '2026-03-01T00:00:00Z',
  '2026-03-01T00:00:00',
  '2026-03-01T00:00:00+05:45',
  '9999-99-99',
  '9999-12-31',
  '9999-12-31T23:59:59.999Z',
  '0001-01-01',
  '0000-01-01',
  '0001-01-01T00:00:00Z',
  '275760-09-13',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '2026-02-30',
  '2024-02-29',
  '2026-03-01T24:00:00Z',
  '2026-03-01T23:59:60Z',
  '2026-03-01T00:00:00.000000001Z',
  '2026-13-01',
  '2026-00-10',
  'now',
  'today',
  '1700000000000',
  ' 2026-03-01',
  '2026-03-01 ',
  '2026-03-01T00:00:00+99:99',
  '2026-03-01T00:00:00+1400',
  '2026-03-01T00:00:00-00',
  '1970-01-01',
  '1969-12-31T23:59:59Z',
  '2026-03-29T02:30:00+02:00',
  '2026-10-25',
  '2026-03-08',
];

/** Zones that exist (the first entries of TIME_ZONES). */
const VALID_TIME_ZONES: readonly string[] = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Pacific/Apia',
  'Africa/Casablanca',
  'Etc/GMT+12',
  'Etc/GMT-14',
  'EST5EDT',
];

export const TIME_ZONES: readonly string[] = [
  ...VALID_TIME_ZONES,
  'GMT',
  'Etc/UTC',
  '../../etc/passwd',
  '../../../../etc/localtime',
  '/usr/share/zoneinfo/UTC',
  'UTC+1',
  'UTC-05:00',
  '+01:00',
  '-0530',
  'Z',
  'utc',
  'Europe/berlin',
  'europe/berlin',
  'America/Argentina/ComodRivadavia',
  'US/Pacific-New',
  'Mars/Olympus_Mons',
  'local',
  'Europe/Berlin\u0000',
  ' UTC',
  'UTC ',
  'Europe//Berlin',
  'Europe/Berlin/',
  'x'.repeat(101),
];

const SPANS_MS: readonly number[] = [1, 999, 1000, 3_600_000, DAY_MS, 7 * DAY_MS, 31 * DAY_MS, 400 * DAY_MS, 400 * DAY_MS + 1, 401 * DAY_MS, 0, -1, -DAY_MS];
const PERIOD_BASES: readonly string[] = [
  '2026-03-01T00:00:00Z',
  '2026-02-20T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-01-01T00:00:00Z',
  '9999-12-31T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-10-25T00:30:00+02:00',
  '2026-03-08T01:59:59.999-05:00',
];

/** A `from`/`to` pair: an edge or absurd span from an edge base, or two arbitrary period values. */
const periodPair: fc.Arbitrary<[string, string][]> = fc.oneof(
  fc.tuple(fc.constantFrom(...PERIOD_BASES), fc.constantFrom(...SPANS_MS)).map(([from, span]) => {
    const toMs = Date.parse(from) + span;
    // Past year 9999 toISOString writes `+010000-…`, itself a value worth sending.
    const to = Number.isFinite(toMs) && Math.abs(toMs) <= 8.64e15 ? new Date(toMs).toISOString() : '+275760-09-13T00:00:00.001Z';
    return [
      ['from', from],
      ['to', to],
    ] as [string, string][];
  }),
  fc.tuple(fc.constantFrom(...PERIOD_VALUES), fc.constantFrom(...PERIOD_VALUES)).map(([from, to]) => [
    ['from', from],
    ['to', to],
  ] as [string, string][]),
);

/** Tenant ids as the fuzzer names them: own, other, unknown, or nonsense. */
function tenantRef(w: FuzzWorld): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(w.a.id) },
    { weight: 2, arbitrary: fc.constant(w.b.id) },
    { weight: 1, arbitrary: fc.constantFrom('ghost', 'AAA', w.a.id.toLowerCase(), `${w.a.id} `, `${w.a.id}%00`, 'x'.repeat(64), 'x'.repeat(65)) },
    { weight: 2, arbitrary: weirdString },
  );
}

/** Path segments: own/other/unknown ids, traversal, broken escapes, far too long. */
function pathSegment(w: FuzzWorld, valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const raw = fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2e%2e%2f',
    '..%2f..%2ftenants',
    '%2F',
    '%00',
    '%zz',
    '%',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    '%ED%A0%80',
    '%F0%9F%98%80',
    ';',
    '?',
    '#frag',
    '*',
    'é',
    '\u00ff',
    '%2e%2e%2f%2e%2e%2ftenants',
    '..;/tenants',
  );
  return fc.oneof(
    { weight: 5, arbitrary: valid.map(encodeComponent) },
    { weight: 2, arbitrary: tenantRef(w).map(encodeComponent) },
    { weight: 2, arbitrary: weirdString.map(encodeComponent) },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: fc.constantFrom(99, 100, 101, 5000).map((n) => 'p'.repeat(n)) },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

/** encodeURIComponent that also survives lone surrogates (sent as their WTF-8 bytes). */
export function encodeComponent(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

type QueryPairs = [string, string][];

function queryParam(w: FuzzWorld): fc.Arbitrary<[string, string]> {
  const value = (name: string, values: fc.Arbitrary<string>) => values.map((v): [string, string] => [name, v]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom('from', 'to'), fc.oneof(fc.constantFrom(...PERIOD_VALUES), weirdString)) },
    { weight: 3, arbitrary: value('tz', fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TIME_ZONES) }, { weight: 1, arbitrary: weirdString })) },
    { weight: 3, arbitrary: value('tenant_id', tenantRef(w)) },
    { weight: 1, arbitrary: value('group_by', fc.oneof(fc.constantFrom('service', 'severity', 'tenant', 'SERVICE', 'service,severity'), weirdString)) },
    { weight: 1, arbitrary: value('granularity', fc.oneof(fc.constantFrom('hour', 'day', 'week', 'month', 'minute', 'HOUR', 'year'), weirdString)) },
    {
      weight: 1,
      arbitrary: value(
        'threshold',
        fc.oneof(fc.constantFrom('0', '1', '0.5', '-0', '1e308', '-1e308', '1e-400', 'NaN', 'Infinity', '0x1', '.5', '5e-1', '1.0000001', '2^63', ' 0.5'), weirdString),
      ),
    },
    { weight: 1, arbitrary: value('limit', fc.oneof(fc.constantFrom('0', '1', '2', '1000', '1001', '9999', '-1', '1e3', '00001', '99999'), weirdString)) },
    { weight: 1, arbitrary: value('after', fc.oneof(tenantRef(w), weirdString)) },
    { weight: 1, arbitrary: fc.tuple(weirdString, weirdString) },
  );
}

/** A sensible period (edge spans included) in a real zone, the right extras, and maybe one odd parameter. */
function saneQuery(w: FuzzWorld): fc.Arbitrary<QueryPairs> {
  return fc
    .record({
      from: fc.constantFrom('2026-02-20', '2026-03-01', '2026-02-28T00:00:00Z', '2026-02-25T00:00:00+05:45', '2026-03-01T10:00:00.000Z'),
      span: fc.constantFrom(1, 3_600_000, DAY_MS, 7 * DAY_MS, 31 * DAY_MS, 90 * DAY_MS, 400 * DAY_MS),
      tz: sometimes(fc.constantFrom(...VALID_TIME_ZONES), 3, 4),
      tenant: sometimes(fc.constantFrom(w.a.id, w.b.id), 1, 3),
      extra: sometimes(
        fc.constantFrom<[string, string]>(['group_by', 'service'], ['group_by', 'severity'], ['granularity', 'hour'], ['granularity', 'week'], ['granularity', 'day'], ['threshold', '0'], ['threshold', '1'], ['threshold', '0.25']),
        2,
        3,
      ),
      odd: sometimes(queryParam(w), 1, 4),
    })
    .map(({ from, span, tz, tenant, extra, odd }) => {
      const fromMs = /T/.test(from) ? Date.parse(from) : Date.parse(`${from}T00:00:00Z`);
      const pairs: QueryPairs = [
        ['from', from],
        ['to', new Date(fromMs + span).toISOString()],
      ];
      if (tz) pairs.push(['tz', tz]);
      if (tenant) pairs.push(['tenant_id', tenant]);
      if (extra) pairs.push(extra);
      if (odd) pairs.push(odd);
      return pairs;
    });
}

function queryPairs(w: FuzzWorld): fc.Arbitrary<QueryPairs> {
  return fc.oneof(
    { weight: 4, arbitrary: saneQuery(w) },
    { weight: 3, arbitrary: fc.array(queryParam(w), { maxLength: 6 }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(periodPair, fc.option(fc.constantFrom(...TIME_ZONES), { nil: undefined }), fc.array(queryParam(w), { maxLength: 2 }))
        .map(([p, tz, extra]) => [...p, ...(tz ? ([['tz', tz]] as QueryPairs) : []), ...extra]),
    },
    // Every parameter twice, with different values (`?from=a&from=b`).
    { weight: 1, arbitrary: fc.tuple(queryParam(w), queryParam(w)).map(([a, b]) => [a, [a[0], b[1]]] as QueryPairs) },
  );
}

/** Encodes query pairs: properly, raw (so `&`, `=`, `#`, `%` land as they are), or twice. */
function queryString(w: FuzzWorld): fc.Arbitrary<string> {
  return fc.tuple(queryPairs(w), fc.constantFrom('component', 'component', 'component', 'raw', 'double', 'plus')).map(([pairs, mode]) => {
    if (pairs.length === 0) return '';
    const enc = (s: string) =>
      mode === 'raw' ? s : mode === 'double' ? encodeComponent(encodeComponent(s)) : mode === 'plus' ? encodeComponent(s).replace(/%20/g, '+') : encodeComponent(s);
    return '?' + pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  });
}

/** Authorization header values (undefined: none). Valid keys dominate so requests get past auth. */
function authorization(w: FuzzWorld, weights = { a: 4, admin: 4, b: 1, none: 1, bad: 1 }): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: weights.a, arbitrary: fc.constant(`Bearer ${w.a.key}`) },
    { weight: weights.admin, arbitrary: fc.constant(`Bearer ${w.adminKey}`) },
    { weight: weights.b, arbitrary: fc.constant(`Bearer ${w.b.key}`) },
    { weight: weights.none, arbitrary: fc.constant(undefined) },
    {
      weight: weights.bad,
      arbitrary: fc.constantFrom(
        `Bearer ${w.revokedKey}`,
        'Bearer',
        'Bearer ',
        `bearer ${w.a.key}`,
        `BEARER ${w.adminKey}`,
        `Basic ${w.a.key}`,
        `Bearer ${w.a.key} extra`,
        `Bearer  ${w.adminKey}  `,
        `Bearer ${w.a.key.slice(0, -1)}`,
        `Bearer ${w.a.key}x`,
        `Bearer ${'k'.repeat(300)}`,
        "Bearer ' OR 1=1 --",
        'Bearer ../../etc/passwd',
        'Bearer é€ü',
        'Token abc',
        `${w.adminKey}`,
        `Bearer ${w.a.key}, Bearer ${w.adminKey}`,
      ),
    },
  );
}

export const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'text/plain',
  'application/x-ndjson',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'application/json;',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/vnd.api+json',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  ';;;',
  '*/*',
  'application/json, text/plain',
  'application/ndjson',
  'application/x-ndjson; charset=utf-8',
  '',
];

function contentType(usual: string): fc.Arbitrary<string | undefined> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
}

const MALFORMED_JSON: readonly string[] = [
  '',
  ' ',
  '\n',
  '{',
  '[',
  '}',
  '{"name":}',
  '{"name":"x",}',
  "{'name':'x'}",
  '{"name":"x"}{"name":"y"}',
  '{"name":"x"} trailing',
  'null',
  'true',
  '0',
  '"string"',
  '[]',
  '{}',
  '[{}]',
  '\ufeff{"name":"x"}',
  '\ufeff\ufeff[]',
  '{"name":"\\ud800"}',
  '{"name":"\\u0000"}',
  '{"name":"x","name":"y"}',
  '{"__proto__":{"admin":true},"name":"x"}',
  '{"constructor":{"prototype":{"polluted":1}},"name":"x"}',
  'NaN',
  '{"name": NaN}',
  '<?xml version="1.0"?><x/>',
  'name=x&id=y',
  '\u0000',
  '{"name":"x"',
  '{"name":"\\x41"}',
  '{"name":"\\u12"}',
  '{"name":"\u0001raw control"}',
  '[1,2,3',
  '{"a":1}\n{"b":2}',
  '/* comment */ {}',
  '{"name":"x"}\u0000',
];

/** Raw bodies: malformed JSON, deep nesting, invalid UTF-8, random JSON. */
export const malformedBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 200_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 100_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 100_000 }).map((n) => '['.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
      Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('[{"id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]),
      Buffer.from([0x00, 0x00, 0x00]),
      Buffer.from('{"name":"x"}', 'utf16le'),
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

/** Any value a JSON field may hold, mostly the wrong kind. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: weirdString },
  { weight: 4, arbitrary: weirdNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 2, arbitrary: fc.constantFrom(...TIMESTAMPS) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMBER_LITERALS) },
);

/**
 * A JSON body from an object whose values are arbitraries, serialised; a marker value is then
 * sometimes replaced by a raw number literal (`1e400`, `-0`, `9223372036854775808`).
 */
function objectBody(fields: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[] = []): fc.Arbitrary<string | Buffer> {
  const structured = fc
    .tuple(
      fc.record(fields, { requiredKeys }),
      sometimes(fc.tuple(weirdString, weirdValue), 1, 8),
      sometimes(fc.tuple(fc.constantFrom(...Object.keys(fields)), fc.constantFrom(...NUMBER_LITERALS)), 1, 6),
      sometimes(fc.constantFrom(...Object.keys(fields)), 1, 8),
    )
    .map(([obj, extra, literal, drop]) => {
      const o: Record<string, unknown> = { ...obj };
      if (drop) delete o[drop];
      if (extra) o[extra[0]] = extra[1];
      if (literal) o[literal[0]] = '__RAW_NUMBER__';
      let text = JSON.stringify(o);
      if (literal) text = text.replace('"__RAW_NUMBER__"', literal[1]);
      return text;
    });
  return fc.oneof({ weight: 6, arbitrary: structured }, { weight: 2, arbitrary: malformedBody });
}

function request(
  op: string,
  parts: { path: fc.Arbitrary<string>; query?: fc.Arbitrary<string>; auth: fc.Arbitrary<string | undefined>; body?: fc.Arbitrary<string | Buffer | undefined>; type?: fc.Arbitrary<string | undefined> },
): fc.Arbitrary<FuzzRequest> {
  const method = op.split(' ')[0]!;
  return fc
    .record({
      path: parts.path,
      query: parts.query ?? fc.constant(''),
      auth: parts.auth,
      body: parts.body ?? fc.constant(undefined),
      type: parts.type ?? fc.constant(undefined),
    })
    .map(({ path, query, auth, body, type }) => {
      const headers: Record<string, string> = {};
      if (auth !== undefined) headers.authorization = auth;
      if (type !== undefined) headers['content-type'] = type;
      return { op, method, path: path + query, headers, body };
    });
}

const constPath = (p: string) => fc.constant(p);

/** A valid value `odds` times to 1, else anything. */
function mostly<T>(valid: fc.Arbitrary<T>, odds = 4): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: odds, arbitrary: valid }, { weight: 1, arbitrary: weirdValue });
}

/** Odd strings that pass validation as ids and text, so they get stored and come back in reports and exports. */
export const ODD_VALID_STRINGS: readonly string[] = [
  "'; DROP TABLE tenants; --",
  'SELECT * FROM api_keys',
  'Error: boom',
  '😀🔥',
  '👩‍👩‍👧‍👦',
  '\u202eevil\u202c',
  'שלום',
  'مرحبا',
  "=cmd|' /C calc'!A0",
  '+SUM(1)',
  '-2+3',
  '@A1',
  'a,b;c"d\'e',
  '"quoted"',
  'Z̤͔ͧ̑̓ä͖̭̈̇l͖͎g̞̥͈ͮ̇o̶',
  '中文字符',
  '../../etc/passwd',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '\u2028\u2029',
  '\ufeffbom',
  ' padded ',
  'v'.repeat(256),
];

/** `arb` in `weight` out of `of` cases, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, weight: number, of: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: of - weight, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });
}

/** GET operations: reports, exports, lists, operations endpoints. Keyed by `METHOD /openapi/path`. */
export function readRequests(w: FuzzWorld): Record<string, fc.Arbitrary<FuzzRequest>> {
  const q = queryString(w);
  const auth = authorization(w);
  const own = fc.constant(w.a.id);
  const report = (name: string) => request(`GET /reports/${name}`, { path: constPath(`/reports/${name}`), query: q, auth });
  const withTenant = (name: string) =>
    request(`GET /reports/${name}/{tenant_id}`, {
      path: pathSegment(w, fc.oneof(own, fc.constant(w.b.id))).map((s) => `/reports/${name}/${s}`),
      query: q,
      auth,
    });
  return {
    'GET /reports/overview': report('overview'),
    'GET /reports/mttr': report('mttr'),
    'GET /reports/costs': report('costs'),
    'GET /reports/health': report('health'),
    'GET /reports/predictions': report('predictions'),
    'GET /reports/trends/{tenant_id}': withTenant('trends'),
    'GET /reports/tenant/{tenant_id}': withTenant('tenant'),
    'GET /export/csv/{type}': request('GET /export/csv/{type}', {
      path: pathSegment(w, fc.constantFrom(...w.exportTypes)).map((s) => `/export/csv/${s}`),
      query: q,
      auth,
    }),
    'GET /tenants': request('GET /tenants', { path: constPath('/tenants'), query: q, auth }),
    'GET /healthz': request('GET /healthz', { path: constPath('/healthz'), query: q, auth }),
    'GET /readyz': request('GET /readyz', { path: constPath('/readyz'), query: q, auth }),
    'GET /metrics': request('GET /metrics', { path: constPath('/metrics'), query: q, auth }),
    'GET /openapi.json': request('GET /openapi.json', { path: constPath('/openapi.json'), query: q, auth }),
    'GET /docs': request('GET /docs', { path: constPath('/docs'), query: q, auth }),
    'GET /': request('GET /', { path: fc.constantFrom('/', '/index.html', '/assets/../index.html', '/assets/%2e%2e/%2e%2e/package.json', '/favicon.ico'), query: q, auth }),
  };
}

/** Admin writes and the audit export, with hostile JSON bodies. */
export function writeRequests(w: FuzzWorld): Record<string, fc.Arbitrary<FuzzRequest>> {
  const auth = authorization(w, { a: 2, admin: 8, b: 1, none: 1, bad: 1 });
  const json = contentType('application/json');
  const tenantIdPath = pathSegment(w, fc.oneof(fc.constant(w.a.id), fc.constant(w.b.id), fc.constant('ghost')));
  const price = mostly(fc.constantFrom(0, 0.01, 0.000001, 1.5, 100, 1e6, null, -0), 8);
  const name = mostly(fc.oneof(fc.constantFrom(...ODD_VALID_STRINGS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })));
  const periodField = mostly(fc.constantFrom('2026-03-01', '2026-02-01T00:00:00Z', '2026-03-08T00:00:00+05:45', '2027-01-01', '0001-01-01', '9999-12-31'), 12);
  return {
    'POST /tenants': request('POST /tenants', {
      path: constPath('/tenants'),
      auth,
      type: json,
      body: objectBody(
        {
          id: fc.oneof(
            { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
            { weight: 1, arbitrary: fc.constantFrom(w.a.id, w.b.id, 'fz-new', 'fz_new-2') },
            { weight: 1, arbitrary: weirdValue },
          ),
          name,
        },
        ['name'],
      ),
    }),
    'POST /tenants/{id}/keys': request('POST /tenants/{id}/keys', {
      path: tenantIdPath.map((s) => `/tenants/${s}/keys`),
      auth,
      type: json,
      body: fc.oneof({ weight: 4, arbitrary: objectBody({ name }) }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'null', '{}') }),
    }),
    'DELETE /keys/{key_id}': request('DELETE /keys/{key_id}', {
      path: pathSegment(w, fc.constantFrom(...w.spareKeyIds, 'key_unknown', 'env')).map((s) => `/keys/${s}`),
      auth,
      type: sometimes(fc.constantFrom(...CONTENT_TYPES), 1, 3),
      body: sometimes(malformedBody, 1, 3),
    }),
    'PUT /tenants/{id}/prices': request('PUT /tenants/{id}/prices', {
      path: tenantIdPath.map((s) => `/tenants/${s}/prices`),
      auth,
      type: json,
      body: objectBody({ workflow_run: price, metric_sample: price, prediction: price }),
    }),
    'POST /export/audit': request('POST /export/audit', {
      path: constPath('/export/audit'),
      auth: authorization(w, { a: 4, admin: 4, b: 1, none: 1, bad: 1 }),
      type: json,
      body: objectBody(
        {
          type: mostly(fc.constantFrom(...w.exportTypes), 12),
          from: periodField,
          to: periodField,
          tz: mostly(fc.constantFrom(...VALID_TIME_ZONES), 12),
          tenant_id: mostly(fc.constantFrom(w.a.id, w.b.id), 12),
          group_by: mostly(fc.constantFrom('service', 'severity'), 12),
          granularity: mostly(fc.constantFrom('hour', 'day', 'week'), 12),
          threshold: mostly(fc.constantFrom('0.5', '1', '0'), 12),
        },
        ['type'],
      ),
    }),
  };
}

/** A valid record of each kind; mutations then break (or keep) it. */
function validRecord(kind: string, id: string): Record<string, unknown> {
  switch (kind) {
    case 'workflow_runs':
      return { id, workflow_id: 'wf-fuzz', workflow_name: 'fuzz run', service: 'fz-svc', status: 'failed', started_at: '2026-03-01T10:00:00Z', finished_at: '2026-03-01T10:00:07Z' };
    case 'incidents':
      return { id, service: 'fz-svc', severity: 'critical', title: 'fuzz incident', opened_at: '2026-03-01T10:00:00Z', resolved_at: '2026-03-01T11:00:00Z' };
    case 'metrics':
      return { service: 'fz-svc', ts: '2026-03-01T10:00:00Z', p95_latency_ms: 120.5, throughput_rps: 33, error_rate: 0.01 };
    default:
      return { id, model: 'fz-model', predicted_at: '2026-03-01T10:00:00Z', failure_probability: 0.7, outcome: 'failed' };
  }
}

const FIELDS: Record<string, string[]> = {
  workflow_runs: ['id', 'tenant_id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at', 'finished_at', 'duration_ms'],
  incidents: ['id', 'tenant_id', 'service', 'severity', 'title', 'opened_at', 'acknowledged_at', 'resolved_at'],
  metrics: ['tenant_id', 'service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate'],
  predictions: ['id', 'tenant_id', 'model', 'model_version', 'workflow_run_id', 'predicted_at', 'failure_probability', 'outcome'],
};

type Mutation = { op: 'set'; field: string; value: unknown } | { op: 'delete'; field: string } | { op: 'tenant'; value: string };

function mutation(w: FuzzWorld, kind: string): fc.Arbitrary<Mutation> {
  const fields = FIELDS[kind] ?? FIELDS.workflow_runs!;
  const enumLike = fc.constantFrom('running', 'succeeded', 'failed', 'cancelled', 'critical', 'high', 'low', 'medium', 'done', 'FAILED', '');
  const stringFields = fields.filter((f) => !/_at$|^ts$|_ms$|rate|probability|latency|throughput|^tenant_id$/.test(f));
  const oddButValid = fc.oneof(
    fc.constantFrom(...ODD_VALID_STRINGS),
    fc.constantFrom('mail ops@example.com from 10.0.0.1, call +1 555 123 4567', 'host 2001:db8::1 failed'),
  );
  const numberFields = fields.filter((f) => /_ms$|rate|probability|latency|throughput/.test(f));
  const timeFields = fields.filter((f) => /_at$|^ts$/.test(f));
  const validEdgeNumber = fc.constantFrom(0, -0, 5e-324, 1, 0.9999999999999999, 0.1, 1e15, Number.MAX_SAFE_INTEGER);
  const validEdgeTime = fc.constantFrom('1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-03-01T10:00:00.999999+14:00', '2026-03-29T01:30:00+01:00', '2026-02-28T23:59:59.999-12:00');
  const setOneOf = (names: string[], value: fc.Arbitrary<unknown>, weight: number) =>
    names.length ? [{ weight, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...names), value }) }] : [];
  return fc.oneof(
    ...setOneOf(stringFields, oddButValid, 4),
    ...setOneOf(numberFields, validEdgeNumber, 2),
    ...setOneOf(timeFields, validEdgeTime, 2),
    { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...fields), value: fc.oneof(weirdValue, enumLike, weirdString) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), field: weirdString, value: weirdValue }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('tenant' as const), value: tenantRef(w) }) },
  );
}

/** A record, sometimes valid, mostly broken in up to three ways. */
function ingestRecord(w: FuzzWorld, kind: string): fc.Arbitrary<unknown> {
  const id = fc.oneof(fc.constantFrom('fz-1', 'fz-2', 'fz-3', 'AAA-shared'), fc.nat(50).map((n) => `fz-${n}`), weirdString);
  const built = fc.tuple(id, fc.oneof(fc.constant([]), fc.array(mutation(w, kind), { maxLength: 3 }))).map(([rid, muts]) => {
    const rec: Record<string, unknown> = validRecord(kind, rid);
    for (const m of muts) {
      if (m.op === 'set') rec[m.field] = m.value;
      else if (m.op === 'delete') delete rec[m.field];
      else rec.tenant_id = m.value;
    }
    return rec;
  });
  return fc.oneof({ weight: 8, arbitrary: built }, { weight: 1, arbitrary: weirdValue });
}

/** Ingest of every kind, JSON array or NDJSON, with hostile records, formats and content types. */
export function ingestRequests(w: FuzzWorld): Record<string, fc.Arbitrary<FuzzRequest>> {
  const kind = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...w.kinds) }, { weight: 1, arbitrary: fc.oneof(weirdString, fc.constantFrom('Workflow_runs', 'metric', 'tenants')) });
  const body = kind.chain((k) =>
    fc.record({
      kind: fc.constant(k),
      records: fc.array(ingestRecord(w, w.kinds.includes(k) ? k : 'workflow_runs'), { maxLength: 6 }),
      format: fc.constantFrom('json', 'json', 'ndjson', 'ndjson', 'ndjson-crlf-blank', 'ndjson-garbage', 'object', 'literal', 'malformed', 'empty'),
      type: fc.oneof({ weight: 5, arbitrary: fc.constant('default' as const) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      literal: fc.constantFrom(...NUMBER_LITERALS),
      malformed: malformedBody,
      auth: authorization(w, { a: 8, admin: 3, b: 1, none: 1, bad: 1 }),
    }),
  );
  return {
    'POST /ingest/{kind}': body.map(({ kind: k, records, format, type, literal, malformed, auth }): FuzzRequest => {
      let text: string | Buffer;
      let usual = 'application/json';
      switch (format) {
        case 'json':
          text = JSON.stringify(records);
          break;
        case 'ndjson':
          text = records.map((r) => JSON.stringify(r)).join('\n');
          usual = 'application/x-ndjson';
          break;
        case 'ndjson-crlf-blank':
          text = '\r\n' + records.map((r) => JSON.stringify(r)).join('\r\n\r\n   \r\n') + '\r\n';
          usual = 'application/x-ndjson';
          break;
        case 'ndjson-garbage':
          text = [...records.map((r) => JSON.stringify(r)), '{not json', '[1,2]', '"str"', 'null'].join('\n');
          usual = 'application/x-ndjson';
          break;
        case 'object':
          text = JSON.stringify(records[0] ?? {});
          break;
        case 'literal':
          // A numeric field written as a literal JSON.stringify cannot produce.
          text = JSON.stringify(records).replace(/:(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)([,}])/i, `:${literal}$2`);
          break;
        case 'malformed':
          text = malformed;
          break;
        default:
          text = '';
      }
      const headers: Record<string, string> = {};
      if (auth !== undefined) headers.authorization = auth;
      const ct = type === 'default' ? usual : type;
      if (ct !== undefined) headers['content-type'] = ct;
      const path = `/ingest/${w.kinds.includes(k) ? k : encodeComponent(k)}`;
      return { op: 'POST /ingest/{kind}', method: 'POST', path, headers, body: text };
    }),
  };
}

/**
 * Cheap requests answered before any real work: no key or a bad key on every operation, a tenant
 * key on admin operations, wrong methods, unknown paths, broken URLs, oversized headers.
 */
export function cheapRequests(w: FuzzWorld, operations: { method: string; path: string }[]): fc.Arbitrary<FuzzRequest> {
  const fill = (template: string) =>
    fc
      .array(pathSegment(w, fc.constantFrom(w.a.id, w.b.id, 'overview', 'workflow_runs')), { minLength: 3, maxLength: 3 })
      .map((segs) => {
        let i = 0;
        return template.replace(/\{[^}]+\}/g, () => segs[i++ % segs.length]!);
      });
  const badAuth = authorization(w, { a: 0, admin: 0, b: 0, none: 2, bad: 3 });
  const op = fc.constantFrom(...operations);
  const noKey = op.chain(({ method, path }) =>
    request(`${method} ${path}`, { path: fill(path), query: fc.constantFrom('', '?tenant_id=' + w.b.id, '?from=9999-99-99'), auth: badAuth, body: sometimes(malformedBody, 1, 2), type: fc.constantFrom(...CONTENT_TYPES) }),
  );
  const adminOnly = fc.constantFrom(...operations.filter((o) => /^\/(tenants|keys)/.test(o.path)));
  const tenantOnAdmin = adminOnly.chain(({ method, path }) =>
    request(`${method} ${path}`, { path: fill(path), auth: fc.constantFrom(`Bearer ${w.a.key}`, `Bearer ${w.b.key}`), body: sometimes(malformedBody, 1, 2), type: fc.constant('application/json') }),
  );
  const wrongMethod = fc
    .tuple(op, fc.constantFrom('PATCH', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'TRACE', 'PROPFIND', 'GET'))
    .chain(([{ path }, method]) => request(`${method} ${path}`, { path: fill(path), auth: authorization(w) }).map((r) => ({ ...r, method })));
  const unknownPath = fc
    .tuple(fc.constantFrom('/reports', '/report/overview', '/ingest', '/export/csv', '/tenants/x/y/z', '/%2e%2e/%2e%2e/etc/passwd', '/reports/overview/..', '/reports/trends/', '/.env', '/../../etc/passwd', '//tenants', '/tenants//keys', '/reports/%zz', '/export/csv/%E0%A4%A', '/api/v1/tenants', '/openapi.yaml'), weirdString)
    .chain(([p, s]) => request(`GET ${p}`, { path: fc.constantFrom(p, `${p}/${encodeComponent(s)}`), auth: authorization(w) }));
  // Past Node's 16 KiB header limit (URL or one header): refused by the HTTP parser itself.
  const oversized = fc
    .tuple(op, fc.constantFrom(17_000, 40_000), fc.boolean())
    .chain(([{ method, path }, n, inUrl]) =>
      request(`${method} ${path}`, { path: fill(path), query: fc.constant(inUrl ? `?pad=${'q'.repeat(n)}` : ''), auth: authorization(w) }).map((r) =>
        inUrl ? r : { ...r, headers: { ...r.headers, 'x-padding': 'h'.repeat(n) } },
      ),
    );
  return fc.oneof(
    { weight: 4, arbitrary: noKey },
    { weight: 3, arbitrary: tenantOnAdmin },
    { weight: 2, arbitrary: wrongMethod },
    { weight: 2, arbitrary: unknownPath },
    { weight: 1, arbitrary: oversized },
  );
}
