import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { ValidationError } from '../../../src/domain/errors.ts';
import { isValidTimeZone, parsePeriod, parseTimestamp } from '../../../src/reports/period.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-15T12:34:56.789Z');
const at = (iso: string): number => Date.parse(iso);

/** Asserts a ValidationError with code validation_error whose details name `field`. */
function rejects(query: Parameters<typeof parsePeriod>[0], field: string): void {
  assert.throws(
    () => parsePeriod(query, NOW),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, 'a ValidationError');
      assert.equal(err.code, 'validation_error');
      assert.ok(err.details.some((d) => d.field === field), `details name ${field}: ${JSON.stringify(err.details)}`);
      return true;
    },
  );
}

describe('parseTimestamp', () => {
  it('parses Z and numeric offsets', () => {
    assert.equal(parseTimestamp('2026-03-01T12:00:00Z'), at('2026-03-01T12:00:00Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00:00+02:00'), at('2026-03-01T10:00:00Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00:00-05:30'), at('2026-03-01T17:30:00Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00:00+0545'), at('2026-03-01T06:15:00Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00Z'), at('2026-03-01T12:00:00Z'));
  });

  it('truncates sub-millisecond digits', () => {
    assert.equal(parseTimestamp('2026-03-01T12:00:00.123456789Z'), at('2026-03-01T12:00:00.123Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00:00.9999Z'), at('2026-03-01T12:00:00.999Z'));
    assert.equal(parseTimestamp('2026-03-01T12:00:00.5Z'), at('2026-03-01T12:00:00.500Z'));
    assert.equal(parseTimestamp('1969-12-31T23:59:59.9999Z'), -1);
  });

  it('rejects timestamps without offset, impossible dates and non-ISO input', () => {
    for (const bad of [
      '2026-03-01T12:00:00',
      '2026-03-01',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T12:60:00Z',
      '2026-03-01T12:00:60Z',
      '2026-03-01T12:00:00+24:00',
      '2026-03-01 12:00:00Z',
      'March 1, 2026',
      '1772366400000',
      ' 2026-03-01T12:00:00Z',
      '',
    ]) {
      assert.equal(parseTimestamp(bad), null, bad);
    }
    assert.equal(parseTimestamp(1772366400000), null);
    assert.equal(parseTimestamp(null), null);
    assert.equal(parseTimestamp('2024-02-29T00:00:00Z'), at('2024-02-29T00:00:00Z'), 'leap day exists in 2024');
  });

  it('round-trips any instant written with any whole-minute offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('1900-01-01T00:00:00Z'), max: at('2200-01-01T00:00:00Z') }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (ms, offsetMin) => {
          const iso = DateTime.fromMillis(ms, { zone: `UTC${offsetMin >= 0 ? '+' : '-'}${Math.floor(Math.abs(offsetMin) / 60)}:${String(Math.abs(offsetMin) % 60).padStart(2, '0')}` }).toISO();
          return parseTimestamp(iso) === ms;
        },
      ),
    );
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names including half- and quarter-hour zones', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe']) assert.ok(isValidTimeZone(tz), tz);
  });
  it('rejects unknown names and offsets', () => {
    for (const tz of ['Mars/Olympus_Mons', 'Europe/Berlln', '+05:30', '', ' UTC', 42]) assert.equal(isValidTimeZone(tz), false, String(tz));
  });
});

describe('parsePeriod', () => {
  it('defaults to the 30 × 24 h ending now, in UTC', () => {
    assert.deepEqual(parsePeriod({}, NOW), { fromMs: NOW - 30 * DAY, toMs: NOW, tz: 'UTC' });
    assert.deepEqual(parsePeriod({ from: '', to: '', tz: '' }, NOW), { fromMs: NOW - 30 * DAY, toMs: NOW, tz: 'UTC' });
  });

  it('derives the missing bound as 30 × 24 h from the given one', () => {
    assert.deepEqual(parsePeriod({ from: '2026-01-01T00:00:00Z' }, NOW), { fromMs: at('2026-01-01T00:00:00Z'), toMs: at('2026-01-31T00:00:00Z'), tz: 'UTC' });
    assert.deepEqual(parsePeriod({ to: '2026-01-31T00:00:00Z' }, NOW), { fromMs: at('2026-01-01T00:00:00Z'), toMs: at('2026-01-31T00:00:00Z'), tz: 'UTC' });
  });

  it('reads timestamps with offsets as instants', () => {
    const p = parsePeriod({ from: '2026-03-01T00:00:00+02:00', to: '2026-03-02T00:00:00Z', tz: 'Asia/Tokyo' }, NOW);
    assert.deepEqual(p, { fromMs: at('2026-02-28T22:00:00Z'), toMs: at('2026-03-02T00:00:00Z'), tz: 'Asia/Tokyo' });
  });

  it('reads plain dates as local midnight in tz', () => {
    assert.deepEqual(parsePeriod({ from: '2026-03-01', to: '2026-03-02' }, NOW), { fromMs: at('2026-03-01T00:00:00Z'), toMs: at('2026-03-02T00:00:00Z'), tz: 'UTC' });
    const ktm = parsePeriod({ from: '2026-01-01', to: '2026-01-02', tz: 'Asia/Kathmandu' }, NOW);
    assert.equal(ktm.fromMs, at('2025-12-31T18:15:00Z'));
    assert.equal(ktm.toMs, at('2026-01-01T18:15:00Z'));
    const ny = parsePeriod({ from: '2026-03-08', to: '2026-03-09', tz: 'America/New_York' }, NOW);
    assert.equal(ny.fromMs, at('2026-03-08T05:00:00Z'));
    assert.equal(ny.toMs - ny.fromMs, 23 * 3_600_000, 'a DST day is 23 h');
    // Santiago skips midnight on 2026-09-06: the day starts at 01:00 local.
    assert.equal(parsePeriod({ from: '2026-09-06', tz: 'America/Santiago' }, NOW).fromMs, at('2026-09-06T04:00:00Z'));
    // Havana repeats 00:00–01:00 on 2026-11-01: the day starts at the first midnight.
    assert.equal(parsePeriod({ from: '2026-11-01', tz: 'America/Havana' }, NOW).fromMs, at('2026-11-01T04:00:00Z'));
  });

  it('mixes a date and a timestamp', () => {
    const p = parsePeriod({ from: '2026-03-01', to: '2026-03-01T12:00:00Z', tz: 'Europe/Berlin' }, NOW);
    assert.equal(p.fromMs, at('2026-02-28T23:00:00Z'));
    assert.equal(p.toMs, at('2026-03-01T12:00:00Z'));
  });

  it('rejects a timestamp without offset', () => {
    rejects({ from: '2026-03-01T00:00:00' }, 'from');
    rejects({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00' }, 'to');
    assert.throws(() => parsePeriod({ to: '2026-03-02T00:00:00' }, NOW), /offset/);
  });

  it('rejects unparsable values and impossible dates', () => {
    rejects({ from: 'yesterday' }, 'from');
    rejects({ to: '2026-02-30' }, 'to');
    rejects({ to: '2026-02-30T00:00:00Z' }, 'to');
    rejects({ from: '1772366400000' }, 'from');
  });

  it('rejects from >= to', () => {
    rejects({ from: '2026-03-02', to: '2026-03-01' }, 'from');
    rejects({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'from');
    rejects({ from: '2026-03-01T01:00:00+01:00', to: '2026-03-01T00:00:00Z' }, 'from');
  });

  it('allows exactly 400 days and rejects more', () => {
    const from = '2025-01-01T00:00:00Z';
    const p = parsePeriod({ from, to: new Date(at(from) + 400 * DAY).toISOString() }, NOW);
    assert.equal(p.toMs - p.fromMs, 400 * DAY);
    rejects({ from, to: new Date(at(from) + 400 * DAY + 1).toISOString() }, 'to');
    rejects({ from: '2025-01-01', to: '2026-02-06' }, 'to'); // 401 days
    assert.doesNotThrow(() => parsePeriod({ from: '2025-01-01', to: '2026-02-05' }, NOW)); // 400 days
  });

  it('allows 400 calendar days across DST, where elapsed time is 400 days + 1 h', () => {
    // 2025-11-01 (EDT) → 2026-12-06 (EST): 400 local days, one more fall-back than spring-forward.
    const p = parsePeriod({ from: '2025-11-01', to: '2026-12-06', tz: 'America/New_York' }, NOW);
    assert.equal(p.toMs - p.fromMs, 400 * DAY + 3_600_000);
    rejects({ from: '2025-11-01', to: '2026-12-07', tz: 'America/New_York' }, 'to');
    // With timestamps the same span is only allowed up to the local calendar limit, not beyond.
    rejects({ from: '2025-11-01T00:00:00-04:00', to: '2026-12-06T00:00:00.001-05:00', tz: 'America/New_York' }, 'to');
  });

  it('rejects an unknown time zone', () => {
    rejects({ tz: 'Mars/Olympus_Mons' }, 'tz');
    rejects({ tz: '+05:30' }, 'tz');
  });

  it('accepts half- and quarter-hour zones', () => {
    assert.equal(parsePeriod({ tz: 'Asia/Kolkata' }, NOW).tz, 'Asia/Kolkata');
    assert.equal(parsePeriod({ from: '2026-03-01', to: '2026-03-02', tz: 'Asia/Kolkata' }, NOW).fromMs, at('2026-02-28T18:30:00Z'));
  });

  it('reports every bad field at once', () => {
    assert.throws(
      () => parsePeriod({ from: 'x', to: '2026-03-01T00:00:00', tz: 'Nowhere/Land' }, NOW),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.details.map((d) => d.field).sort(), ['from', 'to', 'tz']);
        return true;
      },
    );
  });

  it('any valid pair of instants up to 400 days apart round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }), fc.integer({ min: 1, max: 400 * DAY }), (fromMs, len) => {
        const p = parsePeriod({ from: new Date(fromMs).toISOString(), to: new Date(fromMs + len).toISOString() }, NOW);
        return p.fromMs === fromMs && p.toMs === fromMs + len;
      }),
    );
  });
});
