import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unionLength, uptimePercent } from '../../../src/reports/metrics/uptime.ts';
import { refDowntime, refUptime } from '../../reference/metrics-reference.ts';

const H = 3_600_000;

describe('unionLength', () => {
  it('counts overlapping outages once', () => {
    assert.equal(unionLength([[0, 10], [5, 15], [20, 30]], 0, 100), 25);
    assert.equal(unionLength([[0, 50], [10, 20]], 0, 100), 50, 'a nested interval adds nothing');
    assert.equal(unionLength([[0, 10], [10, 20]], 0, 100), 20, 'touching intervals are contiguous');
  });

  it('clips to the window', () => {
    assert.equal(unionLength([[-50, 10], [90, 500]], 0, 100), 20);
    assert.equal(unionLength([[200, 300], [-20, -10]], 0, 100), 0);
  });

  it('ignores empty and inverted intervals', () => {
    assert.equal(unionLength([[5, 5], [9, 3]], 0, 100), 0);
    assert.equal(unionLength([], 0, 100), 0);
  });

  it('matches the elementary-segment reference', () => {
    const interval = fc.tuple(fc.integer({ min: -200, max: 1200 }), fc.integer({ min: -200, max: 1200 }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 25 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 600 }), (intervals, from, len) => {
        return unionLength(intervals, from, from + len) === refDowntime(intervals, from, from + len);
      }),
    );
  });
});

describe('uptimePercent', () => {
  const from = Date.parse('2026-03-01T00:00:00Z');
  const to = from + 100 * H;

  it('is 100 without critical incidents', () => {
    assert.equal(uptimePercent([], from, to), 100);
  });

  it('does not double count overlapping outages', () => {
    const incidents = [
      { openedMs: from + 10 * H, resolvedMs: from + 20 * H },
      { openedMs: from + 15 * H, resolvedMs: from + 25 * H },
    ];
    assert.equal(uptimePercent(incidents, from, to), 85);
  });

  it('runs an unresolved incident until the end of the period', () => {
    assert.equal(uptimePercent([{ openedMs: from + 90 * H, resolvedMs: null }], from, to), 90);
  });

  it('counts only the part inside the period', () => {
    assert.equal(uptimePercent([{ openedMs: from - 50 * H, resolvedMs: from + 10 * H }], from, to), 90);
    assert.equal(uptimePercent([{ openedMs: from + 95 * H, resolvedMs: to + 50 * H }], from, to), 95);
    assert.equal(uptimePercent([{ openedMs: from - 5 * H, resolvedMs: null }], from, to), 0);
  });

  it('is null for an empty period', () => {
    assert.equal(uptimePercent([], from, from), null);
  });

  it('matches the reference on random incidents', () => {
    const incident = fc.record({
      openedMs: fc.integer({ min: -100, max: 1100 }),
      resolvedMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(incident, { maxLength: 20 }), (raw) => {
        // resolved_at ≥ opened_at, as ingest guarantees
        const incidents = raw.map((i) => ({ openedMs: i.openedMs, resolvedMs: i.resolvedMs === null ? null : i.openedMs + i.resolvedMs }));
        const got = uptimePercent(incidents, 0, 1000) as number;
        return got === refUptime(incidents, 0, 1000) && got >= 0 && got <= 100;
      }),
    );
  });
});
