/**
 * The progress display of long commands: what one line shows, and that it is drawn only on a
 * terminal and at most 10 times a second.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, formatBytes, formatDuration, formatProgressLine } from '../../src/cli/context.ts';

function fakeTerminal(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 200, write: (s: string) => (writes.push(s), true) } };
}

describe('CLI progress', () => {
  it('shows a bar, the percentage, the sizes and the remaining time when the total is known', () => {
    const line = formatProgressLine({ label: 'importing runs', done: 5 * 1024 * 1024, total: 20 * 1024 * 1024, unit: 'bytes', ratePerSecond: 1024 * 1024, extra: '1,000 records' });
    assert.equal(line, `importing runs [${'#'.repeat(6)}${'.'.repeat(18)}]  25.0% 5.0 MB / 20.0 MB ETA 0:15 1,000 records`);
  });

  it('leaves the remaining time out until there is a rate, and shows 0:00 at the end', () => {
    assert.doesNotMatch(formatProgressLine({ label: 'x', done: 10, total: 100, unit: 'bytes', ratePerSecond: null }), /ETA/);
    assert.match(formatProgressLine({ label: 'x', done: 100, total: 100, unit: 'bytes', ratePerSecond: null }), /100\.0% .* ETA 0:00$/);
  });

  it('shows a count and its rate when the total is unknown', () => {
    assert.equal(formatProgressLine({ label: 'exporting raw_metrics', done: 12345, total: null, unit: 'count', ratePerSecond: 2000, extra: 'rows' }), 'exporting raw_metrics 12,345 (2,000/s) rows');
  });

  it('formats sizes and durations for people', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GB');
    assert.equal(formatDuration(75), '1:15');
    assert.equal(formatDuration(3725), '1:02:05');
  });

  it('draws nothing when the output is not a terminal', () => {
    const t = fakeTerminal(false);
    const p = createProgress('importing', { total: 100, unit: 'bytes', out: t.out });
    p.update(50);
    p.done();
    assert.deepEqual(t.writes, []);
  });

  it('redraws one line at most every 100 ms, estimating the remaining time from the rate since the first update', () => {
    const t = fakeTerminal(true);
    let now = 1_000;
    const p = createProgress('importing', { total: 1000, unit: 'count', out: t.out, now: () => now });
    p.update(100); // first update: drawn, no rate yet
    now += 50;
    p.update(150); // within 100 ms: not drawn
    now += 950; // 1 s after the first update, 300 done since: 300/s, 600 left
    p.update(400);
    p.done();
    assert.equal(t.writes.length, 4, 'three draws and the final newline');
    assert.ok(t.writes.slice(0, 3).every((w) => w.startsWith('\r') && w.endsWith('\x1b[K')));
    assert.match(t.writes[1]!, / 40\.0% 400 \/ 1,000 ETA 0:02/);
    assert.equal(t.writes[3], '\n');
  });
});
