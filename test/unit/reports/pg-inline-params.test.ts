import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inlineParams } from '../../../src/storage/postgres/index.ts';

// Scoped PostgreSQL report reads travel as one simple-protocol batch, with parameters inlined
// (pg's escapeLiteral writes a space before an E'' string).
describe('inlineParams (PostgreSQL scoped reads)', () => {
  it('writes each value as a literal of the same meaning', () => {
    assert.equal(
      inlineParams('SELECT * FROM t WHERE a >= $1 AND b = $2 AND c = ANY($3) AND d = $4 AND e = $5 AND f = $6 AND g < $7', [
        1793491200000,
        "o'brien\\x",
        ['a', "b'c"],
        0.1,
        null,
        true,
        -5,
      ]),
      "SELECT * FROM t WHERE a >= 1793491200000 AND b =  E'o''brien\\\\x' AND c = ANY(CAST(ARRAY['a', 'b''c'] AS TEXT[])) AND d = CAST('0.1' AS DOUBLE PRECISION) AND e = NULL AND f = TRUE AND g < (-5)",
    );
  });
  it('leaves placeholders inside strings, quoted identifiers and comments alone, and handles $10', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.equal(inlineParams(`SELECT '$1', "$2", $10 -- $3\n, /* $4 */ $1`, params), `SELECT '$1', "$2", 10 -- $3\n, /* $4 */ 1`);
  });
  it('rejects a placeholder without a value', () => {
    assert.throws(() => inlineParams('SELECT $2', [1]), RangeError);
  });
});
