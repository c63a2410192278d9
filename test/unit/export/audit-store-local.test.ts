import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { UnavailableError, UpstreamError, ValidationError } from '../../../src/domain/errors.ts';
import { createAuditStore, type AuditStoreConfig } from '../../../src/export/audit-store.ts';
import { createCsvStream } from '../../../src/export/csv.ts';

const NOW = new Date('2026-03-05T10:11:12.345Z');

function localConfig(exportDir: string): AuditStoreConfig {
  return {
    exportDir,
    s3: { bucket: undefined, endpoint: undefined, region: 'us-east-1', forcePathStyle: false, accessKeyId: undefined, secretAccessKey: undefined, prefix: 'audit/' },
  };
}

describe('local audit store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'audit-local-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the CSV and manifest atomically, with a verifiable SHA-256 and row count', async () => {
    const dir = join(root, 'ok', 'nested');
    const store = createAuditStore(localConfig(dir), { now: () => NOW });
    assert.equal(store.kind, 'local');
    const rows = [
      { tenant_id: 't1', title: 'two\r\nlines', n: 1 },
      { tenant_id: 't1', title: '=cmd, "quoted"', n: -2 },
      { tenant_id: 't1', title: 'Zürich\nbreak', n: null },
    ];
    const result = await store.put({
      type: 'raw_incidents',
      tenantId: 't1',
      fromIso: '2026-03-01T00:00:00Z',
      toIso: '2026-03-02T00:00:00Z',
      csv: createCsvStream(['tenant_id', 'title', 'n'], rows),
      version: '0.1.0',
    });

    assert.equal(result.row_count, 3);
    assert.match(result.csv.location, /^file:\/\/\/.*\/raw_incidents_t1_20260301T000000Z_20260302T000000Z_20260305T101112345Z-[0-9a-f]{8}\.csv$/);
    assert.equal(result.manifest.location, result.csv.location.replace(/\.csv$/, '.manifest.json'));

    const bytes = await readFile(fileURLToPath(result.csv.location));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), result.sha256);
    assert.ok(bytes.toString('utf8').startsWith('tenant_id,title,n\r\n'));

    const manifest = JSON.parse(await readFile(fileURLToPath(result.manifest.location), 'utf8'));
    assert.deepEqual(manifest, {
      type: 'raw_incidents',
      tenant_id: 't1',
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-02T00:00:00Z',
      row_count: 3,
      sha256: result.sha256,
      created_at: NOW.toISOString(),
      version: '0.1.0',
    });
    assert.deepEqual(Object.keys(manifest), ['type', 'tenant_id', 'from', 'to', 'row_count', 'sha256', 'created_at', 'version']);

    // Exactly the two files, no temp files left behind.
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => !f.startsWith('.') && !f.endsWith('.tmp')));
  });

  it('names all-tenant exports "all" and records tenant_id null', async () => {
    const dir = join(root, 'all');
    const store = createAuditStore(localConfig(dir), { now: () => NOW });
    const result = await store.put({
      type: 'overview',
      tenantId: null,
      fromIso: '2026-03-01T00:00:00+02:00',
      toIso: '2026-03-02T00:00:00+02:00',
      csv: createCsvStream(['tenant_id'], []),
      version: '1',
    });
    assert.equal(result.row_count, 0);
    assert.match(result.csv.location, /overview_all_20260228T220000Z_20260301T220000Z_/);
    const manifest = JSON.parse(await readFile(fileURLToPath(result.manifest.location), 'utf8'));
    assert.equal(manifest.tenant_id, null);
    assert.equal(manifest.from, '2026-03-01T00:00:00+02:00');
  });

  it('keeps two exports of the same period apart', async () => {
    const dir = join(root, 'twice');
    const store = createAuditStore(localConfig(dir), { now: () => NOW });
    const input = () => ({ type: 'costs', tenantId: 't1', fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z', csv: createCsvStream(['a'], [{ a: 1 }]), version: '1' });
    const [a, b] = await Promise.all([store.put(input()), store.put(input())]);
    assert.notEqual(a.csv.location, b.csv.location);
    assert.equal(a.sha256, b.sha256);
    assert.equal((await readdir(dir)).length, 4);
  });

  it('leaves no file when the input stream fails midway, and answers UpstreamError', async () => {
    const dir = join(root, 'fail');
    const store = createAuditStore(localConfig(dir), { now: () => NOW });
    async function* rows() {
      for (let i = 0; i < 50_000; i++) yield { id: i, text: 'x'.repeat(50) };
      throw new Error('cursor closed unexpectedly');
    }
    await assert.rejects(
      store.put({ type: 'raw_workflow_runs', tenantId: 't1', fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z', csv: createCsvStream(['id', 'text'], rows()), version: '1' }),
      (err: unknown) => {
        assert.ok(err instanceof UpstreamError);
        assert.equal(err.code, 'audit_upload_failed');
        assert.match(err.message, /interrupted while its rows were being read; nothing was stored/);
        assert.match(String((err.cause as Error).message), /cursor closed/);
        return true;
      },
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('rethrows a domain error raised by the source unchanged', async () => {
    const dir = join(root, 'domain');
    const store = createAuditStore(localConfig(dir));
    const unavailable = new UnavailableError();
    async function* rows() {
      yield { a: 1 };
      throw unavailable;
    }
    await assert.rejects(
      store.put({ type: 'overview', fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z', csv: createCsvStream(['a'], rows()), version: '1' }),
      (err: unknown) => err === unavailable,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('answers UpstreamError when the export directory cannot be written, and stops the source', async () => {
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, 'x');
    const store = createAuditStore(localConfig(join(blocker, 'sub')));
    let closed = false;
    async function* rows() {
      try {
        for (;;) yield { a: 1 };
      } finally {
        closed = true;
      }
    }
    const csv = createCsvStream(['a'], rows());
    await assert.rejects(
      store.put({ type: 'overview', fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z', csv, version: '1' }),
      (err: unknown) => err instanceof UpstreamError && /could not be written to the export directory \((ENOTDIR|EEXIST)\)/.test(err.message),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(csv.destroyed);
    // The generator never started, so there is nothing to close; it must not keep running either.
    assert.equal(closed, false);
  });

  it('rejects names that could escape the directory', async () => {
    const store = createAuditStore(localConfig(join(root, 'bad')));
    const base = { fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z', version: '1' };
    await assert.rejects(store.put({ ...base, type: '../x', csv: Readable.from([]) }), ValidationError);
    await assert.rejects(store.put({ ...base, type: 'overview', tenantId: '../../etc', csv: Readable.from([]) }), ValidationError);
    await assert.rejects(store.put({ ...base, type: 'overview', fromIso: 'yesterday', csv: Readable.from([]) }), ValidationError);
  });
});
