import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketIndexFor, generateBuckets } from '../../../src/reports/metrics/buckets.ts';
import type { Granularity } from '../../../src/reports/metrics/buckets.ts';
import { instantForWall } from '../../../src/reports/metrics/tz.ts';
import { refBuckets } from '../../reference/metrics-reference.ts';

const H = 3_600_000;
const at = (iso: string): number => Date.parse(iso);
const hours = (b: { startMs: number; endMs: number }): number => (b.endMs - b.startMs) / H;
const labels = (from: string, to: string, tz: string, g: Granularity): string[] =>
  generateBuckets(at(from), at(to), tz, g).map((b) => b.bucketStart);

describe('generateBuckets: days', () => {
  it('New York 2026-03-08 is a 23 h day and 2026-11-01 a 25 h day', () => {
    const spring = generateBuckets(at('2026-03-07T05:00:00Z'), at('2026-03-10T04:00:00Z'), 'America/New_York', 'day');
    assert.deepEqual(spring.map((b) => b.bucketStart), ['2026-03-07T00:00:00-05:00', '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00']);
    assert.deepEqual(spring.map(hours), [24, 23, 24]);

    const fall = generateBuckets(at('2026-10-31T04:00:00Z'), at('2026-11-03T05:00:00Z'), 'America/New_York', 'day');
    assert.deepEqual(fall.map((b) => b.bucketStart), ['2026-10-31T00:00:00-04:00', '2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00']);
    assert.deepEqual(fall.map(hours), [24, 25, 24]);
  });

  it('Kathmandu (+05:45) days start at 18:15Z of the previous UTC day', () => {
    const b = generateBuckets(at('2025-12-31T18:15:00Z'), at('2026-01-03T18:15:00Z'), 'Asia/Kathmandu', 'day');
    assert.deepEqual(b.map((x) => new Date(x.startMs).toISOString()), ['2025-12-31T18:15:00.000Z', '2026-01-01T18:15:00.000Z', '2026-01-02T18:15:00.000Z']);
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-01-01T00:00:00+05:45', '2026-01-02T00:00:00+05:45', '2026-01-03T00:00:00+05:45']);
  });

  it('Kolkata (+05:30) days start at 18:30Z', () => {
    assert.deepEqual(labels('2026-02-28T18:30:00Z', '2026-03-02T18:30:00Z', 'Asia/Kolkata', 'day'), ['2026-03-01T00:00:00+05:30', '2026-03-02T00:00:00+05:30']);
  });

  it('UTC buckets carry +00:00', () => {
    assert.deepEqual(labels('2026-03-01T00:00:00Z', '2026-03-03T00:00:00Z', 'UTC', 'day'), ['2026-03-01T00:00:00+00:00', '2026-03-02T00:00:00+00:00']);
  });

  it('a day whose midnight is skipped starts when its clock starts (Santiago)', () => {
    const b = generateBuckets(at('2026-09-05T04:00:00Z'), at('2026-09-07T03:00:00Z'), 'America/Santiago', 'day');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-09-05T00:00:00-04:00', '2026-09-06T01:00:00-03:00']);
    assert.deepEqual(b.map(hours), [24, 23]);
  });

  it('Lord Howe days are 23.5 h and 24.5 h on its 30-minute DST days', () => {
    const b = generateBuckets(at('2026-04-04T13:00:00Z'), at('2026-04-05T13:30:00Z'), 'Australia/Lord_Howe', 'day');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-04-05T00:00:00+11:00']);
    assert.deepEqual(b.map(hours), [24.5]);
    const spring = generateBuckets(at('2026-10-03T13:30:00Z'), at('2026-10-04T13:00:00Z'), 'Australia/Lord_Howe', 'day');
    assert.deepEqual(spring.map((x) => x.bucketStart), ['2026-10-04T00:00:00+10:30']);
    assert.deepEqual(spring.map(hours), [23.5]);
  });
});

describe('generateBuckets: hours', () => {
  it('the New York fall-back night has two 01:00 buckets, -04:00 then -05:00', () => {
    assert.deepEqual(labels('2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z', 'America/New_York', 'hour'), [
      '2026-11-01T00:00:00-04:00',
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T02:00:00-05:00',
    ]);
  });

  it('the spring-forward night has no 02:00 bucket', () => {
    const b = generateBuckets(at('2026-03-08T05:00:00Z'), at('2026-03-08T09:00:00Z'), 'America/New_York', 'hour');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-03-08T00:00:00-05:00', '2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00', '2026-03-08T04:00:00-04:00']);
    assert.ok(b.every((x) => hours(x) === 1));
  });

  it('a New York DST day has 23 and 25 hour buckets', () => {
    assert.equal(generateBuckets(at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z'), 'America/New_York', 'hour').length, 23);
    assert.equal(generateBuckets(at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'), 'America/New_York', 'hour').length, 25);
  });

  it('Lord Howe: the 30-minute fall-back gives a half-hour 01:30 bucket', () => {
    const b = generateBuckets(at('2026-04-04T14:00:00Z'), at('2026-04-04T16:30:00Z'), 'Australia/Lord_Howe', 'hour');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-04-05T01:00:00+11:00', '2026-04-05T01:30:00+10:30', '2026-04-05T02:00:00+10:30']);
    assert.deepEqual(b.map(hours), [1, 0.5, 1]);
  });

  it('Kathmandu hour buckets start at :15 UTC', () => {
    const b = generateBuckets(at('2026-01-01T00:15:00Z'), at('2026-01-01T02:15:00Z'), 'Asia/Kathmandu', 'hour');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-01-01T06:00:00+05:45', '2026-01-01T07:00:00+05:45']);
  });
});

describe('generateBuckets: weeks and partial buckets', () => {
  it('weeks start on Monday 00:00 local', () => {
    // 2026-03-02 is a Monday.
    const b = generateBuckets(at('2026-03-02T05:00:00Z'), at('2026-03-23T04:00:00Z'), 'America/New_York', 'week');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-03-02T00:00:00-05:00', '2026-03-09T00:00:00-04:00', '2026-03-16T00:00:00-04:00']);
    assert.deepEqual(b.map(hours), [167, 168, 168], 'the DST week is 167 h');
    for (const x of b.slice(1)) assert.equal(new Date(x.bucketStart).getUTCDay(), 1);
  });

  it('a from inside a bucket starts the first bucket at from; the last ends at to', () => {
    // Wednesday 10:17:30.250 → the first week bucket is partial.
    const b = generateBuckets(at('2026-03-04T10:17:30.250Z'), at('2026-03-17T12:00:00Z'), 'UTC', 'week');
    assert.deepEqual(b.map((x) => x.bucketStart), ['2026-03-04T10:17:30.250+00:00', '2026-03-09T00:00:00+00:00', '2026-03-16T00:00:00+00:00']);
    assert.equal(b[0].startMs, at('2026-03-04T10:17:30.250Z'));
    assert.equal(b[2].endMs, at('2026-03-17T12:00:00Z'));

    const d = generateBuckets(at('2026-03-01T12:00:00Z'), at('2026-03-02T06:00:00Z'), 'Asia/Kolkata', 'day');
    assert.deepEqual(d.map((x) => x.bucketStart), ['2026-03-01T17:30:00+05:30', '2026-03-02T00:00:00+05:30']);
    assert.deepEqual(d.map(hours), [6.5, 11.5]);
  });

  it('an empty or inverted range has no buckets', () => {
    assert.deepEqual(generateBuckets(5, 5, 'UTC', 'day'), []);
    assert.deepEqual(generateBuckets(6, 5, 'UTC', 'day'), []);
  });

  it('a plain-date period gives whole local days', () => {
    const tz = 'America/New_York';
    const from = instantForWall(tz, at('2026-03-01T00:00:00Z'));
    const to = instantForWall(tz, at('2026-04-01T00:00:00Z'));
    const b = generateBuckets(from, to, tz, 'day');
    assert.equal(b.length, 31);
    assert.ok(b.every((x) => x.bucketStart.slice(11, 19) === '00:00:00'));
  });
});

describe('bucketIndexFor', () => {
  const b = generateBuckets(at('2026-11-01T04:00:00Z'), at('2026-11-01T08:00:00Z'), 'America/New_York', 'hour');

  it('finds the bucket by [start, end)', () => {
    assert.equal(bucketIndexFor(b, at('2026-11-01T04:00:00Z')), 0);
    assert.equal(bucketIndexFor(b, at('2026-11-01T05:59:59.999Z')), 1);
    assert.equal(bucketIndexFor(b, at('2026-11-01T06:00:00Z')), 2);
    assert.equal(bucketIndexFor(b, at('2026-11-01T07:59:59.999Z')), 3);
  });

  it('is -1 outside the buckets', () => {
    assert.equal(bucketIndexFor(b, at('2026-11-01T03:59:59.999Z')), -1);
    assert.equal(bucketIndexFor(b, at('2026-11-01T08:00:00Z')), -1);
    assert.equal(bucketIndexFor([], 0), -1);
  });
});

describe('generateBuckets: properties', () => {
  // Instants next to offset transitions (and ordinary zones) so random periods hit DST often.
  const anchors: [string, string][] = [
    ['America/New_York', '2026-03-08T07:00:00Z'],
    ['America/New_York', '2026-11-01T06:00:00Z'],
    ['Europe/London', '2026-03-29T01:00:00Z'],
    ['Europe/Berlin', '2026-10-25T01:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
    ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
    ['Pacific/Chatham', '2026-04-04T14:00:00Z'],
    ['America/Santiago', '2026-09-06T04:00:00Z'],
    ['America/Havana', '2026-11-01T05:00:00Z'],
    ['Africa/Casablanca', '2026-02-15T02:00:00Z'],
    ['Asia/Kathmandu', '2026-01-01T00:00:00Z'],
    ['Asia/Kolkata', '2026-06-01T00:00:00Z'],
    ['UTC', '2026-01-05T00:00:00Z'],
  ];
  const maxSpan: Record<Granularity, number> = { hour: 60 * H, day: 8 * 24 * H, week: 24 * 24 * H };
  const arbitraryCase = fc
    .record({
      anchor: fc.constantFrom(...anchors),
      granularity: fc.constantFrom<Granularity>('hour', 'day', 'week'),
      shift: fc.integer({ min: -4 * 24 * H, max: 2 * 24 * H }),
      span: fc.double({ min: 0, max: 1, noNaN: true }),
      aligned: fc.boolean(),
    })
    .map(({ anchor: [tz, iso], granularity, shift, span, aligned }) => {
      let fromMs = at(iso) + shift;
      let lengthMs = Math.max(1, Math.floor(span * maxSpan[granularity]));
      if (aligned) {
        // whole quarter hours, like periods built from dates or round timestamps
        fromMs -= fromMs % (15 * 60_000);
        lengthMs = Math.max(15 * 60_000, lengthMs - (lengthMs % (15 * 60_000)));
      }
      return { tz, granularity, fromMs, toMs: fromMs + lengthMs };
    });

  it('agree with the quarter-hour-scanning reference', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ tz, granularity, fromMs, toMs }) => {
        assert.deepEqual(generateBuckets(fromMs, toMs, tz, granularity), refBuckets(fromMs, toMs, tz, granularity));
      }),
      { numRuns: 150 },
    );
  });

  it('tile [from, to) exactly and bucketIndexFor inverts them', () => {
    fc.assert(
      fc.property(arbitraryCase, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ({ tz, granularity, fromMs, toMs }, u) => {
        const b = generateBuckets(fromMs, toMs, tz, granularity);
        assert.equal(b[0].startMs, fromMs);
        assert.equal(b[b.length - 1].endMs, toMs);
        for (let i = 0; i < b.length; i++) {
          assert.ok(b[i].endMs > b[i].startMs);
          if (i > 0) assert.equal(b[i].startMs, b[i - 1].endMs);
          assert.equal(Date.parse(b[i].bucketStart), b[i].startMs, 'bucketStart names the start instant');
        }
        const ts = fromMs + Math.floor(u * (toMs - fromMs));
        const i = bucketIndexFor(b, ts);
        assert.ok(b[i].startMs <= ts && ts < b[i].endMs);
      }),
      { numRuns: 300 },
    );
  });
});
