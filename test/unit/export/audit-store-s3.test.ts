import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UnavailableError, UpstreamError } from '../../../src/domain/errors.ts';
import { createAuditStore, type AuditStoreConfig } from '../../../src/export/audit-store.ts';
import { createCsvStream } from '../../../src/export/csv.ts';
import { startS3rver, type TestS3Server } from '../../helpers/s3rver.ts';

const MiB = 1024 * 1024;
const NOW = new Date('2026-03-05T10:11:12.345Z');
const PERIOD = { fromIso: '2026-03-01T00:00:00Z', toIso: '2026-03-02T00:00:00Z' };
const COLUMNS = ['id', 'tenant_id', 'title', 'duration_ms'];

/** ~190 bytes per row; every 1000th title holds an embedded CRLF to exercise record counting. */
function makeRow(i: number): Record<string, unknown> {
  return {
    id: `run-${i}`,
    tenant_id: 't1',
    title: i % 1000 === 0 ? `multi\r\nline "${i}"` : `workflow ${i} ${'x'.repeat(150)}`,
    duration_ms: i * 1.5,
  };
}

async function* rowsUpTo(n: number, failWith?: Error): AsyncGenerator<Record<string, unknown>> {
  for (let i = 0; i < n; i++) yield makeRow(i);
  if (failWith) throw failWith;
}

interface Recorder {
  commands: string[];
  failWhen?: (command: string, input: Record<string, unknown>) => boolean;
}

/** Records every command the client sends and can make chosen ones fail. */
function instrument(client: S3Client): Recorder {
  const recorder: Recorder = { commands: [] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      recorder.commands.push(name);
      if (recorder.failWhen?.(name, args.input as Record<string, unknown>)) throw new Error(`injected failure of ${name}`);
      return next(args);
    },
    { step: 'initialize', name: 'testRecorder' },
  );
  return recorder;
}

async function readObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const res = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

function keyOf(location: string, bucket: string): string {
  const prefix = `s3://${bucket}/`;
  assert.ok(location.startsWith(prefix), location);
  return location.slice(prefix.length);
}

describe('S3 audit store (against s3rver)', () => {
  let server: TestS3Server;
  let client: S3Client;
  let recorder: Recorder;
  let config: AuditStoreConfig;

  before(async () => {
    server = await startS3rver('audit-bucket');
    client = server.createClient();
    recorder = instrument(client);
    config = { exportDir: '/nonexistent-not-used', s3: server.s3Config };
  });
  after(async () => {
    client.destroy();
    await server.stop();
  });
  beforeEach(async () => {
    recorder.commands = [];
    recorder.failWhen = undefined;
    // Each test starts from an empty bucket so leftovers are attributable.
    for (const key of await listKeys(client, server.bucket)) {
      await client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key }));
    }
  });

  it('uploads a >10 MiB CSV in parts, then the manifest; the SHA-256 matches the object', async () => {
    const rowCount = 70_000;
    const expected = await buffer(createCsvStream(COLUMNS, rowsUpTo(rowCount)));
    assert.ok(expected.length > 10 * MiB, `CSV is only ${expected.length} bytes`);

    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    assert.equal(store.kind, 's3');
    const result = await store.put({ type: 'raw_workflow_runs', tenantId: 't1', ...PERIOD, csv: createCsvStream(COLUMNS, rowsUpTo(rowCount)), version: '0.1.0' });

    assert.equal(result.row_count, rowCount);
    assert.equal(result.sha256, createHash('sha256').update(expected).digest('hex'));
    assert.match(result.csv.location, /^s3:\/\/audit-bucket\/audit\/raw_workflow_runs_t1_20260301T000000Z_20260302T000000Z_20260305T101112345Z-[0-9a-f]{8}\.csv$/);

    // Multipart: 3 parts of 5 MiB for a 10–15 MiB body, created, uploaded and completed.
    assert.ok(recorder.commands.includes('CreateMultipartUploadCommand'));
    assert.equal(recorder.commands.filter((c) => c === 'UploadPartCommand').length, Math.ceil(expected.length / (5 * MiB)));
    assert.ok(recorder.commands.includes('CompleteMultipartUploadCommand'));
    // The manifest is written only after the CSV completed.
    assert.ok(recorder.commands.indexOf('PutObjectCommand') > recorder.commands.indexOf('CompleteMultipartUploadCommand'));

    const stored = await readObject(client, server.bucket, keyOf(result.csv.location, server.bucket));
    assert.equal(stored.length, expected.length);
    assert.equal(createHash('sha256').update(stored).digest('hex'), result.sha256);

    const manifest = JSON.parse((await readObject(client, server.bucket, keyOf(result.manifest.location, server.bucket))).toString('utf8'));
    assert.deepEqual(manifest, {
      type: 'raw_workflow_runs',
      tenant_id: 't1',
      from: PERIOD.fromIso,
      to: PERIOD.toIso,
      row_count: rowCount,
      sha256: result.sha256,
      created_at: NOW.toISOString(),
      version: '0.1.0',
    });
    assert.deepEqual(await listKeys(client, server.bucket), [keyOf(result.csv.location, server.bucket), keyOf(result.manifest.location, server.bucket)].sort());
  });

  it('uploads a small CSV with a single PUT', async () => {
    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    const result = await store.put({ type: 'overview', ...PERIOD, csv: createCsvStream(COLUMNS, rowsUpTo(10)), version: '1' });
    assert.equal(result.row_count, 10);
    assert.match(result.csv.location, /\/audit\/overview_all_/);
    assert.ok(!recorder.commands.includes('CreateMultipartUploadCommand'));
    const stored = await readObject(client, server.bucket, keyOf(result.csv.location, server.bucket));
    assert.equal(createHash('sha256').update(stored).digest('hex'), result.sha256);
  });

  it('leaves no object when the source fails after several MiB, aborting the multipart upload', async () => {
    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    // ~12 MiB of rows, then the source breaks: at least two parts were already uploaded.
    const csv = createCsvStream(COLUMNS, rowsUpTo(65_000, new Error('connection to database lost')));
    await assert.rejects(store.put({ type: 'raw_workflow_runs', tenantId: 't1', ...PERIOD, csv, version: '1' }), (err: unknown) => {
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.code, 'audit_upload_failed');
      assert.match(err.message, /interrupted while its rows were being read; nothing was stored/);
      assert.match(String((err.cause as Error).message), /connection to database lost/);
      return true;
    });
    assert.ok(recorder.commands.includes('CreateMultipartUploadCommand'));
    assert.ok(recorder.commands.includes('UploadPartCommand'));
    assert.ok(!recorder.commands.includes('CompleteMultipartUploadCommand'));
    // s3rver does not implement AbortMultipartUpload (it answers MethodNotAllowed and keeps the
    // parts in its private uploads folder), so only the request is checked here; real S3 and
    // MinIO discard the parts.
    assert.ok(recorder.commands.includes('AbortMultipartUploadCommand'));
    assert.ok(!recorder.commands.includes('PutObjectCommand'), 'no manifest after a failed CSV');
    assert.deepEqual(await listKeys(client, server.bucket), []);
    assert.ok(csv.destroyed);
  });

  it('leaves no object when a part upload fails mid-way', async () => {
    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    let parts = 0;
    recorder.failWhen = (name) => name === 'UploadPartCommand' && ++parts === 2;
    let closed = false;
    async function* rows() {
      try {
        yield* rowsUpTo(80_000);
      } finally {
        closed = true;
      }
    }
    await assert.rejects(
      store.put({ type: 'raw_workflow_runs', ...PERIOD, csv: createCsvStream(COLUMNS, rows()), version: '1' }),
      (err: unknown) => err instanceof UpstreamError && /could not be uploaded to the audit bucket/.test(err.message),
    );
    assert.ok(recorder.commands.includes('AbortMultipartUploadCommand'));
    assert.deepEqual(await listKeys(client, server.bucket), []);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, true, 'the row source was closed');
  });

  it('removes the CSV again when the manifest cannot be written', async () => {
    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    recorder.failWhen = (name, input) => name === 'PutObjectCommand' && String(input.Key).endsWith('.manifest.json');
    await assert.rejects(
      store.put({ type: 'costs', tenantId: 't1', ...PERIOD, csv: createCsvStream(COLUMNS, rowsUpTo(100)), version: '1' }),
      (err: unknown) => err instanceof UpstreamError && /manifest could not be uploaded/.test(err.message),
    );
    assert.ok(recorder.commands.includes('DeleteObjectCommand'));
    assert.deepEqual(await listKeys(client, server.bucket), []);
  });

  it('rethrows a domain error raised by the source unchanged, leaving no object', async () => {
    const store = createAuditStore(config, { s3Client: client, now: () => NOW });
    const unavailable = new UnavailableError();
    await assert.rejects(
      store.put({ type: 'overview', ...PERIOD, csv: createCsvStream(COLUMNS, rowsUpTo(40_000, unavailable)), version: '1' }),
      (err: unknown) => err === unavailable,
    );
    assert.deepEqual(await listKeys(client, server.bucket), []);
  });

  it('answers UpstreamError naming the S3 error for a missing bucket', async () => {
    const store = createAuditStore({ ...config, s3: { ...config.s3, bucket: 'no-such-bucket' } }, { s3Client: client });
    await assert.rejects(
      store.put({ type: 'overview', ...PERIOD, csv: Readable.from(['a\r\n1\r\n']), version: '1' }),
      (err: unknown) => err instanceof UpstreamError && /\(NoSuchBucket\)/.test(err.message),
    );
  });

  it('builds its own client from config (endpoint, path style, credentials)', async () => {
    const store = createAuditStore(config, { now: () => NOW });
    try {
      const result = await store.put({ type: 'health', ...PERIOD, csv: Readable.from(['a,b\r\n1,2\r\n']), version: '1' });
      assert.equal(result.row_count, 1);
      assert.deepEqual(await readObject(client, server.bucket, keyOf(result.csv.location, server.bucket)), Buffer.from('a,b\r\n1,2\r\n'));
    } finally {
      await store.close();
    }
  });

  it('answers UpstreamError when the endpoint is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const store = createAuditStore({ ...config, s3: { ...config.s3, endpoint: `http://127.0.0.1:${port}` } });
    try {
      await assert.rejects(
        store.put({ type: 'overview', ...PERIOD, csv: Readable.from(['a\r\n']), version: '1' }),
        (err: unknown) => err instanceof UpstreamError && err.code === 'audit_upload_failed',
      );
    } finally {
      await store.close();
    }
  });
});
