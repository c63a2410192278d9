import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import {
  createCsvStream,
  createCsvStreamFromLines,
  csvAttachmentFilename,
  csvLine,
  flattenRow,
  formatCsvCell,
} from '../../../src/export/csv.ts';

describe('formatCsvCell', () => {
  it('writes null and undefined as an empty cell', () => {
    assert.equal(formatCsvCell(null), '');
    assert.equal(formatCsvCell(undefined), '');
  });

  it('writes numbers in shortest round-trip form, never prefixed', () => {
    assert.equal(formatCsvCell(0), '0');
    assert.equal(formatCsvCell(-2), '-2');
    assert.equal(formatCsvCell(0.1 + 0.2), '0.30000000000000004');
    assert.equal(formatCsvCell(1e21), '1e+21');
    assert.equal(formatCsvCell(-1.5e-7), '-1.5e-7');
    assert.equal(formatCsvCell(123456789012345680000), '123456789012345680000');
    assert.equal(formatCsvCell(-12n), '-12');
  });

  it('writes non-finite numbers as empty cells, like JSON null', () => {
    assert.equal(formatCsvCell(Number.NaN), '');
    assert.equal(formatCsvCell(Number.POSITIVE_INFINITY), '');
  });

  it('writes booleans as true/false', () => {
    assert.equal(formatCsvCell(true), 'true');
    assert.equal(formatCsvCell(false), 'false');
  });

  it('leaves plain text alone and quotes text with quotes, commas, CR or LF', () => {
    assert.equal(formatCsvCell('plain text'), 'plain text');
    assert.equal(formatCsvCell(''), '');
    assert.equal(formatCsvCell('a,b'), '"a,b"');
    assert.equal(formatCsvCell('say "hi"'), '"say ""hi"""');
    assert.equal(formatCsvCell('line1\nline2'), '"line1\nline2"');
    assert.equal(formatCsvCell('line1\r\nline2'), '"line1\r\nline2"');
    assert.equal(formatCsvCell('mid\rdle'), '"mid\rdle"');
  });

  it('keeps unicode as is', () => {
    assert.equal(formatCsvCell('Zürich ☃ 東京 🚀'), 'Zürich ☃ 東京 🚀');
    assert.equal(formatCsvCell('é,ü'), '"é,ü"');
  });

  it('guards text cells against formula injection', () => {
    assert.equal(formatCsvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
    assert.equal(formatCsvCell('=1+2'), "'=1+2");
    assert.equal(formatCsvCell('+1'), "'+1");
    assert.equal(formatCsvCell('-2'), "'-2");
    assert.equal(formatCsvCell('@x'), "'@x");
    assert.equal(formatCsvCell('\tcmd'), "'\tcmd");
    assert.equal(formatCsvCell('\rcmd'), '"\'\rcmd"');
    assert.equal(formatCsvCell('=a,b'), '"\'=a,b"');
  });

  it('does not guard numbers, and only guards the first character', () => {
    assert.equal(formatCsvCell(-2), '-2');
    assert.equal(formatCsvCell('a=b'), 'a=b');
    assert.equal(formatCsvCell(' =x'), ' =x');
    assert.equal(formatCsvCell("'already"), "'already");
  });

  it('writes dates as ISO UTC and other objects as JSON text', () => {
    assert.equal(formatCsvCell(new Date('2026-03-01T12:00:00+02:00')), '2026-03-01T10:00:00.000Z');
    assert.equal(formatCsvCell({ a: 1, b: 'x' }), '"{""a"":1,""b"":""x""}"');
  });
});

describe('csvLine', () => {
  it('joins cells with commas and ends with CRLF', () => {
    assert.equal(csvLine(['t1', 2, null, true, 'a,b', '-x', -3]), 't1,2,,true,"a,b",\'-x,-3\r\n');
    assert.equal(csvLine([]), '\r\n');
  });

  it('round-trips through an RFC 4180 parser', () => {
    const values = ['a"b', 'c,d', 'e\r\nf', 'Zürich', '', 'plain'];
    const parsed = parse(csvLine(values), { record_delimiter: '\r\n' }) as string[][];
    assert.deepEqual(parsed, [values]);
  });
});

describe('flattenRow', () => {
  it('flattens nested objects as <field>_<subfield>, keeping key order', () => {
    const row = {
      tenant_id: 't1',
      workflow_runs: 3,
      prices: { workflow_run: 0.01, metric_sample: 0.005, prediction: 0.02 },
      total_cost: 0.03,
    };
    const flat = flattenRow(row);
    assert.deepEqual(Object.keys(flat), [
      'tenant_id',
      'workflow_runs',
      'prices_workflow_run',
      'prices_metric_sample',
      'prices_prediction',
      'total_cost',
    ]);
    assert.equal(flat.prices_metric_sample, 0.005);
  });

  it('flattens calibration arrays as <field>_<k>_<subfield>', () => {
    const calibration = Array.from({ length: 10 }, (_, k) => ({
      bin_lower: k / 10,
      bin_upper: (k + 1) / 10,
      count: k === 3 ? 0 : k,
      mean_predicted: k === 3 ? null : k / 10 + 0.05,
      observed_failure_rate: k === 3 ? null : 0.5,
    }));
    const flat = flattenRow({ tenant_id: 't1', model: 'm', roc_auc: null, calibration });
    const keys = Object.keys(flat);
    assert.equal(keys.length, 3 + 50);
    assert.deepEqual(keys.slice(0, 8), [
      'tenant_id',
      'model',
      'roc_auc',
      'calibration_0_bin_lower',
      'calibration_0_bin_upper',
      'calibration_0_count',
      'calibration_0_mean_predicted',
      'calibration_0_observed_failure_rate',
    ]);
    assert.equal(keys.at(-1), 'calibration_9_observed_failure_rate');
    assert.equal(flat.calibration_9_bin_upper, 1);
    assert.equal(flat.calibration_3_mean_predicted, null);
    assert.equal(flat.roc_auc, null);
  });

  it('keeps null, dates and scalar array items as values', () => {
    const d = new Date(0);
    assert.deepEqual(flattenRow({ a: null, b: d, c: [1, 2], d: { e: { f: 'g' } } }), {
      a: null,
      b: d,
      c_0: 1,
      c_1: 2,
      d_e_f: 'g',
    });
  });
});

describe('createCsvStream', () => {
  it('writes the header then one CRLF-terminated record per row', async () => {
    async function* rows() {
      yield { tenant_id: 't1', count: 2, name: '=cmd', note: 'a\r\nb' };
      yield { tenant_id: 't2', count: -2, name: null };
    }
    const csv = await text(createCsvStream(['tenant_id', 'count', 'name', 'note'], rows()));
    assert.equal(csv, 'tenant_id,count,name,note\r\nt1,2,\'=cmd,"a\r\nb"\r\nt2,-2,,\r\n');
  });

  it('writes only the header for no rows, with no BOM', async () => {
    const stream = createCsvStream(['a', 'b'], []);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.toString('utf8'), 'a,b\r\n');
    assert.notEqual(bytes[0], 0xef);
  });

  it('emits UTF-8 bytes in chunks of about 64 KiB', async () => {
    const n = 20_000;
    async function* rows() {
      for (let i = 0; i < n; i++) yield { id: `r${i}`, city: 'Zürich', v: i / 3 };
    }
    const chunks: Buffer[] = [];
    for await (const chunk of createCsvStream(['id', 'city', 'v'], rows())) {
      assert.ok(Buffer.isBuffer(chunk));
      chunks.push(chunk);
    }
    assert.ok(chunks.length > 3 && chunks.length < 40, `got ${chunks.length} chunks`);
    const records = parse(Buffer.concat(chunks).toString('utf8'), { record_delimiter: '\r\n' }) as string[][];
    assert.equal(records.length, n + 1);
    assert.deepEqual(records[1], ['r0', 'Zürich', '0']);
    assert.deepEqual(records[n], [`r${n - 1}`, 'Zürich', String((n - 1) / 3)]);
  });

  it('pulls rows only as fast as the consumer reads (backpressure)', async () => {
    let produced = 0;
    async function* rows() {
      for (let i = 0; i < 1_000_000; i++) {
        produced++;
        yield { id: i, text: 'x'.repeat(100) };
      }
    }
    const stream = createCsvStream(['id', 'text'], rows());
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 50));
    // One chunk is ~600 rows; a few chunks of read-ahead are fine, the whole input is not.
    assert.ok(produced < 10_000, `produced ${produced} rows ahead of the reader`);
    await iterator.return?.();
  });

  it('fails the stream when the row source throws, and closes the source on destroy', async () => {
    async function* failing() {
      yield { a: 1 };
      throw new Error('database went away');
    }
    await assert.rejects(text(createCsvStream(['a'], failing())), /database went away/);

    let closed = false;
    async function* endless() {
      try {
        for (;;) yield { a: 'x'.repeat(1000) };
      } finally {
        closed = true;
      }
    }
    const stream = createCsvStream(['a'], endless());
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, true);
  });
});

describe('createCsvStreamFromLines', () => {
  it('writes the header then the given records verbatim', async () => {
    const stream = createCsvStreamFromLines(['a', 'b'], Readable.from(['1,x\r\n', '2,"y\r\nz"\r\n3,\r\n']));
    assert.equal(await text(stream), 'a,b\r\n1,x\r\n2,"y\r\nz"\r\n3,\r\n');
  });

  it('batches many small items into large chunks', async () => {
    function* lines() {
      for (let i = 0; i < 50_000; i++) yield `${i},abc\r\n`;
    }
    let chunks = 0;
    let size = 0;
    for await (const chunk of createCsvStreamFromLines(['i', 's'], lines())) {
      chunks++;
      size += (chunk as Buffer).length;
    }
    assert.ok(chunks < 20, `got ${chunks} chunks`);
    assert.ok(size > 400_000);
  });
});

describe('csvAttachmentFilename', () => {
  it('names files <type>_report.csv', () => {
    assert.equal(csvAttachmentFilename('overview'), 'overview_report.csv');
    assert.equal(csvAttachmentFilename('raw_workflow_runs'), 'raw_workflow_runs_report.csv');
  });
});
