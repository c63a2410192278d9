import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CsvDigestCounter, type CsvDigest } from '../../../src/export/csv-digest.ts';
import { csvLine } from '../../../src/export/csv.ts';

async function digestOf(chunks: (string | Buffer)[]): Promise<CsvDigest> {
  const counter = new CsvDigestCounter();
  await pipeline(
    Readable.from(chunks),
    counter,
    new Writable({
      write(_chunk, _enc, cb) {
        cb();
      },
    }),
  );
  return counter.result();
}

describe('CsvDigestCounter', () => {
  it('counts data rows, not lines, when quoted cells contain CRLF', async () => {
    const csv = csvLine(['id', 'title']) + csvLine(['1', 'two\r\nlines']) + csvLine(['2', 'three\r\nli\nnes']) + csvLine(['3', 'x']);
    const d = await digestOf([csv]);
    assert.equal(d.records, 4);
    assert.equal(d.dataRows, 3);
    assert.equal(d.sha256, createHash('sha256').update(csv).digest('hex'));
    assert.equal(d.bytes, Buffer.byteLength(csv));
  });

  it('handles chunk boundaries inside quotes, escapes and CRLF', async () => {
    const csv = 'a,b\r\n"x""\r\n,y",2\r\n"",3\r\n';
    for (let size = 1; size <= csv.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < csv.length; i += size) chunks.push(csv.slice(i, i + size));
      const d = await digestOf(chunks);
      assert.equal(d.dataRows, 2, `chunk size ${size}`);
    }
  });

  it('counts a last record without terminator, and nothing for empty or header-only input', async () => {
    assert.equal((await digestOf(['a\r\n1\r\n2'])).dataRows, 2);
    assert.equal((await digestOf(['a,b\r\n'])).dataRows, 0);
    assert.equal((await digestOf(['a,b'])).dataRows, 0);
    const empty = await digestOf([]);
    assert.equal(empty.dataRows, 0);
    assert.equal(empty.sha256, createHash('sha256').digest('hex'));
  });

  it('agrees with the number of formatted rows for arbitrary text split anywhere', async () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', 'é', '🚀', ' ') }),
      fc.double(),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { maxLength: 20 }), fc.integer({ min: 1, max: 17 }), async (rows, size) => {
        const bytes = Buffer.from(csvLine(['c1', 'c2']) + rows.map((r) => csvLine(r)).join(''), 'utf8');
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const d = await digestOf(chunks);
        assert.equal(d.dataRows, rows.length);
        assert.equal(d.sha256, createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to report before the stream ended', () => {
    assert.throws(() => new CsvDigestCounter().result(), /before the stream ended/);
  });
});
