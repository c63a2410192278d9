/**
 * The CSV fast path (records formatted in SQL, streamed by the engine) must write exactly the
 * bytes of the JS formatter (src/export/csv.ts) for the same rows, on every engine: tricky text,
 * numbers whose text differs by engine, timestamps, NULLs, ordering ties, and DuckDB's slicing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, it } from 'node:test';
import { CSV_QUOTE_TRIGGERS, createCsvStream } from '../../src/export/csv.ts';
import { TENANT_ID_PATTERN } from '../../src/tenancy/tenant-service.ts';
import { RAW_EXPORTS, openRawCsvStream, rawColumns, streamRawRecords } from '../../src/export/raw-export.ts';
import type { IngestKindName } from '../../src/ingest/kinds.ts';
import type { ReportQuery } from '../../src/reports/common.ts';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import type { SqlValue, Storage, TableName } from '../../src/storage/types.ts';
import { createTestDatabase, describeEachEngine, openTestStorage, type TestDatabase } from '../helpers/engines.ts';

const T0 = Date.UTC(2026, 2, 1, 12); // 2026-03-01T12:00:00Z
const DAY = 86_400_000;

/** Text that trips every rule: quoting, the formula guard (text only), unicode, empty vs NULL. */
const TEXTS: (string | null)[] = [
  'plain',
  '=HYPERLINK("x")',
  '-svc',
  '+1',
  '@x',
  '\tlead-tab',
  '\rlead-cr',
  'mid\ttab',
  'a,b',
  'say "hi"',
  'line1\nline2',
  'crlf\r\ninside',
  '=a,"b"\n',
  'é ü 中文 😀 \u202Eltr',
  "'already",
  ' spaced ',
  '',
  null,
];

/** Doubles whose text differs between engines and JS unless laid out with care. */
const NUMBERS: (number | null)[] = [
  0, -0, 1, -5, 60000, 0.5, 0.1, 0.1 + 0.2, 1 / 3, 123.456, 1e-4, 9.9e-5, 1e-6, 1.5e-6, 1e-7, -1.5e-7, 5e-324,
  1e14, 1e15, 1e15 + 0.5, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 9999999999999998, 1e16, 2 ** 60, 12345678901234567000,
  374335006343376800, 1e20, 1e21, 1.5e300, Number.MAX_VALUE, NaN, Infinity, null,
];

/** Epoch ms: the epoch, single and triple digit milliseconds, and the last instant ingest accepts. */
const TIMES = [0, 1, 999, T0 + 123, 253_402_300_799_999];

/** Rows for every record table, built so that each list above is used in every cell type. */
function rowsFor(table: TableName, tenant: string, n: number): { columns: string[]; rows: SqlValue[][] } {
  const text = (i: number) => TEXTS[i % TEXTS.length]!;
  const num = (i: number) => NUMBERS[i % NUMBERS.length]!;
  const at = (i: number) => T0 + (i % 7) * 1000; // ties on purpose: ordering falls to the key
  const rows: SqlValue[][] = [];
  // Ids differ in case and punctuation so byte order (not a collation) decides ties.
  const id = (i: number) => ['B', 'a', '_', 'Z9', 'é'][i % 5]! + String(i).padStart(3, '0');
  for (let i = 0; i < n; i++) {
    if (table === 'workflow_runs') {
      rows.push([tenant, id(i), text(i + 1) ?? 'wf', text(i), text(i + 2) ?? 'svc', 'succeeded', at(i), i % 4 === 0 ? null : TIMES[i % TIMES.length]!, num(i)]);
    } else if (table === 'incidents') {
      rows.push([tenant, id(i), text(i) ?? 'svc', 'high', text(i + 3), at(i), i % 3 === 0 ? null : TIMES[i % TIMES.length]!, i % 2 ? null : T0 + DAY]);
    } else if (table === 'metric_samples') {
      rows.push([tenant, `${text(i) ?? 'svc'}#${i}`, at(i) + i, num(i) ?? 7, num(i + 5) ?? 7, num(i + 11) ?? 7]);
    } else {
      rows.push([tenant, id(i), text(i) ?? 'model', text(i + 1), text(i + 2), at(i), num(i) ?? 0.25, i % 3 === 0 ? null : i % 3 === 1 ? 'failed' : 'succeeded']);
    }
  }
  const columns = {
    workflow_runs: ['tenant_id', 'id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at_ms', 'finished_at_ms', 'duration_ms'],
    incidents: ['tenant_id', 'id', 'service', 'severity', 'title', 'opened_at_ms', 'acknowledged_at_ms', 'resolved_at_ms'],
    metric_samples: ['tenant_id', 'service', 'ts_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate'],
    predictions: ['tenant_id', 'id', 'model', 'model_version', 'workflow_run_id', 'predicted_at_ms', 'failure_probability', 'outcome'],
  }[table as 'workflow_runs' | 'incidents' | 'metric_samples' | 'predictions'];
  return { columns, rows };
}

const TABLE_OF: Record<IngestKindName, TableName> = {
  workflow_runs: 'workflow_runs',
  incidents: 'incidents',
  metrics: 'metric_samples',
  predictions: 'predictions',
};

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        parts.push(Buffer.from(chunk));
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

/** The reference: rows converted to JS values and formatted by csv.ts. */
async function viaJs(storage: Storage, kind: IngestKindName, q: ReportQuery): Promise<Buffer> {
  return collect(createCsvStream(rawColumns(kind), streamRawRecords(storage, kind, q)));
}

async function viaFastPath(storage: Storage, kind: IngestKindName, q: ReportQuery): Promise<Buffer> {
  return collect(await openRawCsvStream(storage, kind, q));
}

await describeEachEngine('CSV fast path', (engine) => {
  let db: TestDatabase;
  let storage: Storage;
  const all: ReportQuery = { fromMs: 0, toMs: 253_402_300_800_000, tz: 'UTC', tenantIds: null };

  before(async () => {
    db = await createTestDatabase(engine);
    // DuckDB cuts exports into slices; tiny slices make this small data cross many of them.
    storage =
      engine === 'duckdb'
        ? await createDuckDbStorage({ path: join(db.env.DATA_DIR!, 'atom.duckdb'), memoryLimit: '256MB', threads: 2, exportSliceRows: 20 })
        : await openTestStorage(db);
    if (engine === 'duckdb') await storage.migrate();
    await storage.transaction(async (tx) => {
      // Every record's tenant exists, as ingest guarantees (PostgreSQL lists tenants from this table).
      await tx.insertMany('tenants', ['tenant_id', 'name', 'created_at_ms'], [['t-b', 'B', 0], ['T-a', 'A', 0], ['t_c', 'C', 0], ['-lead', 'L', 0], ['fuzz', 'F', 0], ['dense', 'D', 0]]);
      for (const table of Object.values(TABLE_OF)) {
        for (const [tenant, n] of [['t-b', 60], ['T-a', 45], ['t_c', 3], ['-lead', 4]] as const) {
          const { columns, rows } = rowsFor(table, tenant, n);
          await tx.insertMany(table, columns, rows);
        }
      }
    });
  });
  after(async () => {
    await storage?.close();
    await db?.dispose();
  });

  for (const [type, kind] of Object.entries(RAW_EXPORTS)) {
    it(`writes ${type} byte for byte as the JS formatter does`, async () => {
      const js = await viaJs(storage, kind, all);
      const fast = await viaFastPath(storage, kind, all);
      assert.ok(js.length > 1000, 'the fixture exports something');
      assert.equal(fast.toString('utf8'), js.toString('utf8'));
      assert.ok(fast.equals(js));
    });
  }

  it('guards a tenant id that starts with a formula trigger, and writes enum words as stored', async () => {
    // Tenant ids are written with the guard only, enum columns as stored: the shortcuts must not
    // change a byte. The guard-only shortcut rests on the tenant-id pattern (creation and ingest)
    // admitting no quote trigger, checked first.
    for (const c of CSV_QUOTE_TRIGGERS) assert.equal(TENANT_ID_PATTERN.test(`a${c}b`), false, `tenant ids cannot hold ${JSON.stringify(c)}`);
    const lines = (await viaFastPath(storage, 'workflow_runs', { ...all, tenantIds: ['-lead'] })).toString('utf8').split('\r\n');
    assert.equal(lines.length, 1 + 4 + 1);
    for (const line of lines.slice(1, -1)) assert.match(line, /^[^,]*,'-lead,.*,succeeded,/);
    const js = await viaJs(storage, 'incidents', { ...all, tenantIds: ['-lead'] });
    assert.equal((await viaFastPath(storage, 'incidents', { ...all, tenantIds: ['-lead'] })).toString('utf8'), js.toString('utf8'));
  });

  it('keeps the byte equality under a tenant scope and a period that cuts through the data', async () => {
    const q: ReportQuery = { fromMs: T0 + 1000, toMs: T0 + 5000, tz: 'UTC', tenantIds: ['t-b', 't_c'] };
    const scoped = storage.scoped(q.tenantIds);
    for (const kind of Object.values(RAW_EXPORTS)) {
      const fast = await viaFastPath(scoped, kind, q);
      assert.ok(fast.equals(await viaJs(storage, kind, q)), kind);
      assert.doesNotMatch(fast.toString('utf8'), /T-a/);
    }
  });

  it('never prefixes a number, negative ones included, and writes NULL and NaN as empty cells', async () => {
    const text = (await viaFastPath(storage, 'metrics', { ...all, tenantIds: ['t-b'] })).toString('utf8');
    assert.match(text, /,-5,/);
    assert.doesNotMatch(text, /,'-5/);
    assert.match(text, /,0\.30000000000000004,/);
    assert.match(text, /,1e-7,|,1e-7\r\n/);
    assert.match(text, /,0\.0000015,|,0\.0000015\r\n/);
    assert.match(text, /,60000,|,60000\r\n/);
    assert.match(text, /,1e\+21,|,1e\+21\r\n/);
  });

  it('writes CRLF after every record and no byte order mark', async () => {
    const bytes = await viaFastPath(storage, 'predictions', all);
    assert.notEqual(bytes[0], 0xef);
    assert.ok(bytes.subarray(-2).equals(Buffer.from('\r\n')));
  });

  it('matches the JS formatter on thousands of random doubles', async () => {
    const tenant = 'fuzz';
    const view = new DataView(new ArrayBuffer(8));
    const rows: SqlValue[][] = [];
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      let v: number;
      if (i % 3 === 0) {
        // Any bit pattern below 2^63; beyond, PostgreSQL may print a rounding-boundary value
        // with more digits than JS (same number; ingest caps quantities at 2^53 anyway).
        do {
          view.setUint32(0, Math.floor(rand() * 2 ** 32));
          view.setUint32(4, Math.floor(rand() * 2 ** 32));
          v = view.getFloat64(0);
        } while (!(Math.abs(v) < 2 ** 63));
      } else if (i % 3 === 1) v = (rand() - 0.5) * 10 ** Math.floor(rand() * 44 - 22);
      // Integers up to 1e18: PostgreSQL's text is corrected up to 2^63 (postgresDoubleText).
      else v = Math.round(rand() * 10 ** Math.floor(rand() * 19));
      rows.push([tenant, 'svc', i, v, Math.abs(v), rand()]);
    }
    await storage.transaction((tx) => tx.insertMany('metric_samples', ['tenant_id', 'service', 'ts_ms', 'p95_latency_ms', 'throughput_rps', 'error_rate'], rows));
    const q: ReportQuery = { ...all, tenantIds: [tenant] };
    const fast = await viaFastPath(storage, 'metrics', q);
    const js = await viaJs(storage, 'metrics', q);
    const a = fast.toString('utf8').split('\r\n');
    const b = js.toString('utf8').split('\r\n');
    assert.equal(a.length, 2002);
    for (let i = 0; i < b.length; i++) assert.equal(a[i], b[i], `line ${i}`);
  });

  if (engine === 'duckdb') {
    it('splits a crowded millisecond into finer buckets without losing or repeating a row', async () => {
      // 40 rows in one millisecond (more than a slice: it stays whole) and 30 in the next: buckets
      // are refined day → hour → … → ms.
      const rows: SqlValue[][] = [];
      for (let i = 0; i < 70; i++) rows.push(['dense', `r${String(i).padStart(2, '0')}`, 'wf', null, 'svc', 'failed', T0 + (i < 40 ? 0 : 1), null, i]);
      await storage.transaction((tx) =>
        tx.insertMany('workflow_runs', ['tenant_id', 'id', 'workflow_id', 'workflow_name', 'service', 'status', 'started_at_ms', 'finished_at_ms', 'duration_ms'], rows),
      );
      const q: ReportQuery = { ...all, tenantIds: ['dense'] };
      const fast = await viaFastPath(storage, 'workflow_runs', q);
      assert.ok(fast.equals(await viaJs(storage, 'workflow_runs', q)));
      assert.equal(fast.toString('utf8').split('\r\n').length, 72);
    });
  }
});
