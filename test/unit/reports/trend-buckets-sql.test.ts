import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SLOT_MS } from '../../../src/ingest/rollups.ts';
import { bucketIndexFor, generateBuckets, type Granularity } from '../../../src/reports/metrics/buckets.ts';
import { bucketIndexSql } from '../../../src/reports/trends.ts';
import type { Dialect, SqlValue } from '../../../src/storage/types.ts';

/** Just enough of a dialect to evaluate the generated expression in JS. */
const jsDialect = { floorDiv: (expr: string, divisor: number) => `Math.floor((${expr}) / ${divisor})` } as unknown as Dialect;

/**
 * The SQL of bucketIndexSql (an affine expression, or `CASE WHEN … THEN … ELSE … END`, with its
 * values as `CAST($n AS BIGINT)` parameters) as a JS function.
 */
function compile(sql: string, params: readonly unknown[]): (slot: number) => number {
  sql = sql.replace(/CAST\(\$(\d+) AS BIGINT\)/g, (_, n: string) => String(params[Number(n) - 1]));
  assert.doesNotMatch(sql, /\$\d/, 'every parameter substituted');
  let js = sql;
  if (sql.startsWith('CASE ')) {
    const [whens, otherwise] = sql.slice('CASE '.length, -' END'.length).split(' ELSE ');
    const branches = whens!
      .split('WHEN ')
      .filter((w) => w.trim())
      .map((w) => {
        const [condition, value] = w.trim().split(' THEN ');
        return `(${condition}) ? ${value} : `;
      });
    js = `${branches.join('')}${otherwise}`;
  }
  return new Function('slot', `return ${js};`) as (slot: number) => number;
}

describe('bucketIndexSql', () => {
  const cases: [string, Granularity, string, string][] = [
    ['UTC', 'day', '2026-08-03T00:00:00Z', '2026-11-01T00:00:00Z'],
    ['Asia/Kathmandu', 'day', '2026-08-02T18:15:00Z', '2026-10-31T18:15:00Z'],
    ['Asia/Kathmandu', 'hour', '2026-08-02T18:07:12.345Z', '2026-08-09T03:52:00Z'],
    ['America/New_York', 'hour', '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'],
    ['America/New_York', 'day', '2026-10-30T11:11:00Z', '2026-11-05T02:00:00Z'],
    ['Europe/Berlin', 'week', '2026-03-02T13:00:00Z', '2026-11-20T00:00:00Z'],
    ['America/Santiago', 'day', '2026-03-30T00:00:00Z', '2026-09-15T00:00:00Z'],
    ['America/Santiago', 'hour', '2026-04-04T00:00:00Z', '2026-04-06T00:00:00Z'],
    ['Australia/Lord_Howe', 'hour', '2026-04-04T12:00:00Z', '2026-04-05T20:00:00Z'],
  ];
  for (const [tz, granularity, from, to] of cases) {
    it(`maps every slot as bucketIndexFor does: ${granularity} in ${tz}`, () => {
      const fromMs = Date.parse(from);
      const toMs = Date.parse(to);
      const buckets = generateBuckets(fromMs, toMs, tz, granularity);
      const params: SqlValue[] = ['an earlier parameter'];
      const index = compile(bucketIndexSql(jsDialect, 'slot', buckets, fromMs, toMs, params), params);
      assert.equal(params[0], 'an earlier parameter');
      for (let slot = Math.floor(fromMs / SLOT_MS); slot * SLOT_MS < toMs; slot++) {
        assert.equal(index(slot), bucketIndexFor(buckets, Math.max(slot * SLOT_MS, fromMs)), `slot ${slot}`);
      }
    });
  }

  it('the text is the same for periods with the same run widths (one prepared statement serves them)', () => {
    const text = (from: string, to: string) => {
      const fromMs = Date.parse(from);
      const toMs = Date.parse(to);
      return bucketIndexSql(jsDialect, 'slot', generateBuckets(fromMs, toMs, 'Asia/Kathmandu', 'day'), fromMs, toMs, []);
    };
    assert.equal(text('2026-08-02T18:15:00Z', '2026-10-31T18:15:00Z'), text('2026-05-02T18:15:00Z', '2026-07-31T18:15:00Z'));
  });
});
