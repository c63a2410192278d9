import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/domain/errors.ts';
import { UnparsableRecord, isNdjsonContentType, parseIngestBody } from '../../../src/ingest/parse-body.ts';

const NDJSON = 'application/x-ndjson';

describe('parseIngestBody: JSON', () => {
  it('returns the array elements as records, whatever they are', () => {
    assert.deepEqual(parseIngestBody('[{"id":"a"}, 1, null]', 'application/json'), { records: [{ id: 'a' }, 1, null], errors: [] });
    assert.deepEqual(parseIngestBody('[]', undefined), { records: [], errors: [] });
    assert.deepEqual(parseIngestBody('\uFEFF [ {"id":"a"} ]\n', 'application/json; charset=utf-8'), { records: [{ id: 'a' }], errors: [] });
  });

  it('treats a missing or other content type as JSON', () => {
    assert.deepEqual(parseIngestBody('[{"id":"a"}]', undefined).records, [{ id: 'a' }]);
    assert.deepEqual(parseIngestBody('[{"id":"a"}]', 'text/plain').records, [{ id: 'a' }]);
  });

  it('rejects a non-array body with a clear message', () => {
    assert.throws(
      () => parseIngestBody('{"id":"a"}', 'application/json'),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.code === 'validation_error' &&
        err.message ===
          'Request body must be a JSON array of records, got an object (wrap a single record in [ ]); for one record per line use Content-Type: application/x-ndjson',
    );
    for (const [body, what] of [['"x"', 'a string'], ['42', 'a number'], ['null', 'null'], ['true', 'a boolean']]) {
      assert.throws(
        () => parseIngestBody(body, undefined),
        (err: unknown) => err instanceof ValidationError && err.message.startsWith(`Request body must be a JSON array of records, got ${what};`),
        body,
      );
    }
  });

  it('rejects invalid JSON and an empty body', () => {
    assert.throws(
      () => parseIngestBody('[{"id":"a"},]', undefined),
      (err: unknown) => err instanceof ValidationError && err.message.startsWith('Request body is not valid JSON: '),
    );
    assert.throws(
      () => parseIngestBody('  \n', undefined),
      (err: unknown) => err instanceof ValidationError && err.message.startsWith('Request body is empty'),
    );
  });

  it('treats NDJSON sent as JSON as invalid JSON (one body, one value)', () => {
    assert.throws(() => parseIngestBody('{"id":"a"}\n{"id":"b"}\n', 'application/json'), ValidationError);
  });
});

describe('parseIngestBody: NDJSON', () => {
  it('recognises the content type, ignoring parameters and case', () => {
    assert.equal(isNdjsonContentType('application/x-ndjson'), true);
    assert.equal(isNdjsonContentType('Application/X-NDJSON; charset=utf-8'), true);
    assert.equal(isNdjsonContentType('application/ndjson'), true);
    assert.equal(isNdjsonContentType('application/json'), false);
    assert.equal(isNdjsonContentType(undefined), false);
  });

  it('parses one record per line, LF or CRLF, with or without a final newline', () => {
    assert.deepEqual(parseIngestBody('{"id":"a"}\n{"id":"b"}', NDJSON), { records: [{ id: 'a' }, { id: 'b' }], errors: [] });
    assert.deepEqual(parseIngestBody('{"id":"a"}\r\n{"id":"b"}\r\n', NDJSON), { records: [{ id: 'a' }, { id: 'b' }], errors: [] });
    assert.deepEqual(parseIngestBody('\uFEFF{"id":"a"}\n', NDJSON).records, [{ id: 'a' }]);
  });

  it('skips blank lines without counting them', () => {
    const parsed = parseIngestBody('\n{"id":"a"}\n\n   \n\t\r\n{"id":"b"}\n\n', NDJSON);
    assert.deepEqual(parsed, { records: [{ id: 'a' }, { id: 'b' }], errors: [] });
  });

  it('an empty NDJSON body is an empty batch', () => {
    assert.deepEqual(parseIngestBody('', NDJSON), { records: [], errors: [] });
    assert.deepEqual(parseIngestBody('\n\n', NDJSON), { records: [], errors: [] });
  });

  it('reports every invalid line at its record index (blank lines not counted) and keeps the position', () => {
    const body = ['{"id":"a"}', '', '{"id":', '{"id":"c"}', '   ', 'not json', '{"id":"e"} trailing'].join('\n');
    const parsed = parseIngestBody(body, NDJSON);
    assert.equal(parsed.records.length, 5);
    assert.deepEqual(parsed.records[0], { id: 'a' });
    assert.ok(parsed.records[1] instanceof UnparsableRecord);
    assert.deepEqual(parsed.records[2], { id: 'c' });
    assert.ok(parsed.records[3] instanceof UnparsableRecord);
    assert.ok(parsed.records[4] instanceof UnparsableRecord);
    assert.deepEqual(
      parsed.errors.map((e) => [e.index, e.field]),
      [
        [1, ''],
        [3, ''],
        [4, ''],
      ],
    );
    for (const e of parsed.errors) assert.match(e.message, /^invalid JSON: /);
    assert.equal((parsed.records[1] as UnparsableRecord).message, parsed.errors[0].message);
  });

  it('keeps non-object lines as records (validation reports them)', () => {
    assert.deepEqual(parseIngestBody('[1,2]\n"x"\nnull\n', NDJSON).records, [[1, 2], 'x', null]);
  });
});
