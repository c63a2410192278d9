/**
 * parseIsoTimestamp has a hand-written fast path for the common form. This checks it against the
 * parser before that change (kept verbatim below as the reference) on valid, invalid and
 * adversarial strings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIsoTimestamp } from '../../../src/ingest/records.ts';

// ---- reference: parseIsoTimestamp before the fast path ----
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(:?)(\d{2}))$/;
function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
function reference(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64) return null;
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
// ---- end of reference ----

const same = (s: unknown) => assert.equal(parseIsoTimestamp(s), reference(s), JSON.stringify(s));

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** Field values around and beyond their ranges. */
const timestampLike = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1969, 1970, 2000, 2024, 2100, 9999)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^[.,][0-9]{0,12}$/)),
    offset: fc.oneof(
      fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+0530', '+05:30', '-23:59', '+24:00', '+12:60', '+1:00', '+01', 'Z '),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`),
    ),
    t: fc.constantFrom('T', 'T', 't', ' '),
    seconds: fc.boolean(),
  })
  .map((r) => `${pad(r.year, 4)}-${pad(r.month, 2)}-${pad(r.day, 2)}${r.t}${pad(r.hour, 2)}:${pad(r.minute, 2)}${r.seconds ? `:${pad(r.second, 2)}${r.fraction}` : ''}${r.offset}`);

/** One character replaced, inserted or removed. */
const mutated = fc
  .tuple(timestampLike, fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.constantFrom(...'0123456789:-+.TZ ١/x\u0000'))
  .map(([s, at, op, c]) => {
    const i = at % (s.length + 1);
    if (op === 'insert') return s.slice(0, i) + c + s.slice(i);
    if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
    return s.slice(0, i) + c + s.slice(i + 1);
  });

describe('parseIsoTimestamp: the fast path agrees with the general parser', () => {
  it('on fixed cases', () => {
    for (const s of [
      '2026-03-01T12:00:00Z', '2026-03-01T12:00:00.1Z', '2026-03-01T12:00:00.12Z', '2026-03-01T12:00:00.123Z',
      '2026-03-01T12:00:00.123456789Z', '2026-03-01T12:00:00.1234567891Z', '2026-03-01T14:00:00+02:00', '2026-03-01T14:00:00-02:30',
      '1970-01-01T00:00:00Z', '1970-01-01T00:00:00+00:01', '1969-12-31T23:59:59.999Z', '1970-01-01T00:59:59.999+01:00',
      '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T12:60:00Z', '2026-03-01T12:00:60Z',
      '2026-03-01T12:00:00.Z', '2026-03-01T12:00:00,5Z', '2026-03-01t12:00:00Z', '2026-03-01T12:00:00z', '2026-03-01T12:00Z',
      '2026-03-01T12:00:00+0200', '2026-03-01T12:00:00+24:00', '2026-03-01T12:00:00', '2026-03-01', '', ' 2026-03-01T12:00:00Z',
      '2026-03-01T12:00:00Z ', '2026-03-01T12:00:00+02:00:00', '２026-03-01T12:00:00Z', 'x'.repeat(70), 12, null, undefined,
    ]) same(s);
  });

  it('on timestamp-like and mutated strings', () => {
    fc.assert(fc.property(timestampLike, same), { numRuns: 20000 });
    fc.assert(fc.property(mutated, same), { numRuns: 20000 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), same), { numRuns: 2000 });
  });

  it('on every millisecond digit count and offset of a valid instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -1439, max: 1439 }), fc.integer({ min: 0, max: 9 }), (ms, off, digits) => {
        const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
        const frac = digits ? '.' + String(ms % 1000).padStart(3, '0').padEnd(digits, '7').slice(0, digits) : '';
        const o = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}:${pad(Math.abs(off) % 60, 2)}`;
        same(local + frac + o);
      }),
      { numRuns: 20000 },
    );
  });
});
