/**
 * Audit exports (contract: `POST /export/audit`, Precise reading 16): a CSV plus a manifest
 * `{type, tenant_id, from, to, row_count, sha256, created_at, version}`, written either to the S3
 * bucket `config.s3.bucket` (any S3-compatible endpoint) or, when no bucket is configured, to
 * `config.exportDir`.
 *
 * Guarantees, on both backends:
 * - One pass: the CSV is streamed to its destination while its SHA-256 and row count are taken,
 *   so memory stays flat however large the export.
 * - Nothing partial is ever visible: the local CSV is written to a hidden temp file and renamed
 *   into place once complete; on S3 a multipart upload only becomes an object when completed,
 *   and it is aborted on failure. The manifest is written only after the CSV is complete, and if
 *   the manifest cannot be written the CSV is removed again.
 * - A failure surfaces as `UpstreamError('audit_upload_failed', …)` (the HTTP layer answers 502),
 *   except that a `DomainError` raised by the row source (say, the database became unavailable)
 *   is rethrown unchanged so it keeps its own meaning.
 *
 * Locations are URLs so callers can tell the backends apart by scheme:
 * `s3://<bucket>/<key>` for S3, `file:///abs/path/…` for the local directory.
 *
 * File names: `<type>_<tenant_id|all>_<from>_<to>_<created>-<random>.csv` and
 * `….manifest.json`, timestamps in compact UTC (`20260301T000000Z`); the random suffix keeps two
 * exports of the same period in the same millisecond apart.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline as pipelineCallback, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';
import { DomainError, UpstreamError, ValidationError } from '../domain/errors.ts';
import { CsvDigestCounter, type CsvDigest } from './csv-digest.ts';
import { CSV_CONTENT_TYPE } from './csv.ts';

/** Error code of every audit storage failure, local or S3. */
export const AUDIT_FAILED_CODE = 'audit_upload_failed';

/** Multipart part size: S3's minimum, so at most queueSize × 5 MiB is buffered per upload. */
export const AUDIT_PART_SIZE = 5 * 1024 * 1024;
const AUDIT_QUEUE_SIZE = 4;

const TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The part of the configuration the audit store reads. */
export type AuditStoreConfig = Pick<Config, 'exportDir' | 's3'>;

export interface AuditPutInput {
  /** Export type (`overview`, `raw_workflow_runs`, …); becomes part of the file name. */
  type: string;
  /** The tenant the export is narrowed to; `null`/absent for an all-tenant (admin) export. */
  tenantId?: string | null;
  /** Period start, ISO 8601 with offset, as it should appear in the manifest. */
  fromIso: string;
  /** Period end (exclusive), ISO 8601 with offset. */
  toIso: string;
  /** The complete CSV, header row first (e.g. from `createCsvStream`). */
  csv: Readable | AsyncIterable<string | Uint8Array>;
  /** Application version, recorded in the manifest. */
  version: string;
}

/** The manifest JSON, field order as in the contract. */
export interface AuditManifest {
  type: string;
  tenant_id: string | null;
  from: string;
  to: string;
  row_count: number;
  sha256: string;
  created_at: string;
  version: string;
}

/** The `POST /export/audit` answer body (contract, Precise reading 16). */
export interface AuditPutResult {
  csv: { location: string };
  manifest: { location: string };
  sha256: string;
  row_count: number;
}

export interface AuditStore {
  readonly kind: 'local' | 's3';
  /** Stores the CSV and then its manifest; resolves only when both are durable. */
  put(input: AuditPutInput): Promise<AuditPutResult>;
  /** Releases the S3 client's connections (no-op for the local store or an injected client). */
  close(): Promise<void>;
}

export interface AuditStoreDeps {
  /** A ready S3 client (tests, custom middleware); otherwise one is built from `config.s3`. */
  s3Client?: S3Client;
  /** Clock, for tests. */
  now?: () => Date;
}

/**
 * Creates the audit store for the configuration: S3 when `config.s3.bucket` is set, otherwise
 * the local directory `config.exportDir` (created on first use).
 */
export function createAuditStore(config: AuditStoreConfig, deps: AuditStoreDeps = {}): AuditStore {
  const now = deps.now ?? (() => new Date());
  const bucket = config.s3.bucket;
  if (bucket) return createS3AuditStore(config.s3, bucket, now, deps.s3Client);
  return createLocalAuditStore(config.exportDir, now);
}

/**
 * The AWS SDK, loaded on first use: it adds ≈ 20 MB to every process that imports it, and only
 * deployments with `S3_AUDIT_BUCKET` need it.
 */
type S3Sdk = typeof import('@aws-sdk/client-s3') & Pick<typeof import('@aws-sdk/lib-storage'), 'Upload'>;
let s3Sdk: Promise<S3Sdk> | undefined;
function loadS3Sdk(): Promise<S3Sdk> {
  s3Sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(([client, storage]) => ({
    ...client,
    Upload: storage.Upload,
  }));
  return s3Sdk;
}

/**
 * Builds the S3 client for `config.s3`. Credentials fall back to the SDK's default chain (instance
 * role, shared profile) when not configured.
 */
export async function createS3Client(s3: AuditStoreConfig['s3']): Promise<S3Client> {
  const { S3Client } = await loadS3Sdk();
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    // Since early 2025 the SDK adds CRC32 checksums (aws-chunked trailers) to every upload by
    // default, which many S3-compatible servers reject; SHA-256 of the whole file is recorded in
    // the manifest anyway, and SigV4 still signs each request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

interface PreparedPut {
  baseName: string;
  type: string;
  tenantId: string | null;
  fromIso: string;
  toIso: string;
  createdAt: string;
  version: string;
}

function preparePut(input: AuditPutInput, now: Date): PreparedPut {
  // The route validates these already; they are checked again because they become file names.
  if (!TYPE_PATTERN.test(input.type)) {
    throw new ValidationError(`Unknown export type "${input.type}"`, [{ field: 'type', message: 'invalid export type' }]);
  }
  const tenantId = input.tenantId ?? null;
  if (tenantId !== null && !TENANT_PATTERN.test(tenantId)) {
    throw new ValidationError('tenant_id must match ^[A-Za-z0-9_-]{1,64}$', [{ field: 'tenant_id', message: 'invalid tenant id' }]);
  }
  const from = parseInstant(input.fromIso, 'from');
  const to = parseInstant(input.toIso, 'to');
  const suffix = randomBytes(4).toString('hex');
  const baseName = [
    input.type,
    tenantId ?? 'all',
    compactUtc(from, false),
    compactUtc(to, false),
    `${compactUtc(now, true)}-${suffix}`,
  ].join('_');
  return {
    baseName,
    type: input.type,
    tenantId,
    fromIso: input.fromIso,
    toIso: input.toIso,
    createdAt: now.toISOString(),
    version: input.version,
  };
}

/** Validates before any byte is read; an invalid request must still release its source. */
function prepareOrRelease(input: AuditPutInput, now: Date, source: TrackedSource): PreparedPut {
  try {
    return preparePut(input, now);
  } catch (err) {
    source.destroy();
    throw err;
  }
}

function parseInstant(iso: string, field: string): Date {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new ValidationError(`${field} is not a valid timestamp`, [{ field, message: 'invalid timestamp' }]);
  }
  return new Date(ms);
}

/** `2026-03-01T00:00:00.000Z` → `20260301T000000Z` (with `123` before the Z when asked). */
function compactUtc(date: Date, withMillis: boolean): string {
  const iso = date.toISOString().replace(/[-:]/g, '');
  return withMillis ? iso.replace('.', '') : iso.replace(/\.\d{3}Z$/, 'Z');
}

function buildManifest(prep: PreparedPut, digest: CsvDigest): AuditManifest {
  return {
    type: prep.type,
    tenant_id: prep.tenantId,
    from: prep.fromIso,
    to: prep.toIso,
    row_count: digest.dataRows,
    sha256: digest.sha256,
    created_at: prep.createdAt,
    version: prep.version,
  };
}

function manifestJson(manifest: AuditManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

interface TrackedSource {
  /** The CSV as a stream, to be piped to the destination. */
  stream: Readable;
  /** The first error raised by the source itself (not by the destination), if any. */
  failure(): unknown;
  /** Stops the source, releasing e.g. a database cursor behind it. */
  destroy(): void;
}

/**
 * Wraps the CSV source so a failure can be attributed to the data side (e.g. the database) rather
 * than to the destination. Only errors from pulling the next chunk count: when the destination
 * fails, pipeline() throws its error into the wrapper at the `yield`, which is not recorded.
 */
function trackSource(csv: AuditPutInput['csv']): TrackedSource {
  let failure: unknown;
  async function* tracked(): AsyncGenerator<string | Uint8Array> {
    const iterator = csv[Symbol.asyncIterator]() as AsyncIterator<string | Uint8Array>;
    let settled = false;
    try {
      for (;;) {
        let step: IteratorResult<string | Uint8Array>;
        try {
          step = await iterator.next();
        } catch (err) {
          failure ??= err;
          settled = true;
          throw err;
        }
        if (step.done) {
          settled = true;
          return;
        }
        yield step.value;
      }
    } finally {
      // Stopped early (destination failed): close the source; for a Readable this destroys it.
      if (!settled) await iterator.return?.();
    }
  }
  const stream = Readable.from(tracked());
  return {
    stream,
    failure: () => failure,
    destroy() {
      stream.destroy();
      // Directly as well: the wrapper can only close the source once a pending read returns,
      // and not at all if it never started reading.
      if (csv instanceof Readable) csv.destroy();
      else if (isAsyncGenerator(csv)) csv.return(undefined).catch(() => {});
    },
  };
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown> {
  return typeof (value as { return?: unknown }).return === 'function' && typeof (value as { next?: unknown }).next === 'function';
}

function toAuditError(err: unknown, sourceFailure: unknown, destinationMessage: string, leftover: string | null): DomainError {
  const cause = sourceFailure ?? err;
  if (cause instanceof DomainError) return cause;
  const what =
    sourceFailure !== undefined
      ? 'The audit export was interrupted while its rows were being read'
      : destinationMessage + describeCause(cause);
  const outcome = leftover === null ? 'nothing was stored.' : `cleanup failed too, so an incomplete file may remain at ${leftover}.`;
  const error = new UpstreamError(AUDIT_FAILED_CODE, `${what}; ${outcome}`);
  error.cause = cause;
  return error;
}

/** A short, safe reason for operators: an S3 error code (`NoSuchBucket`) or a system code. */
function describeCause(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; Code?: unknown };
    for (const candidate of [e.Code, e.code, e.name]) {
      if (typeof candidate === 'string' && /^[A-Za-z][A-Za-z0-9_]{1,63}$/.test(candidate) && candidate !== 'Error') {
        return ` (${candidate})`;
      }
    }
  }
  return '';
}

// ---------------------------------------------------------------------------------------------
// Local directory

function createLocalAuditStore(exportDir: string, now: () => Date): AuditStore {
  const dir = resolve(exportDir);
  return {
    kind: 'local',
    async close() {},
    async put(input) {
      const source = trackSource(input.csv);
      const prep = prepareOrRelease(input, now(), source);
      const csvPath = join(dir, `${prep.baseName}.csv`);
      const manifestPath = join(dir, `${prep.baseName}.manifest.json`);
      // Hidden temp names in the same directory: rename() is atomic only within one file system,
      // and a reader listing *.csv never sees a file that is still being written.
      const tmpCsv = join(dir, `.${prep.baseName}.csv.tmp`);
      const tmpManifest = join(dir, `.${prep.baseName}.manifest.json.tmp`);
      let csvPublished = false;
      try {
        await mkdir(dir, { recursive: true });
        const counter = new CsvDigestCounter();
        // Create the file before streaming: a write stream opens its file asynchronously, so a
        // source failing at once could otherwise create the temp file after the clean-up below.
        const handle = await open(tmpCsv, 'wx');
        await pipeline(source.stream, counter, handle.createWriteStream());
        await fsyncPath(tmpCsv);
        const manifest = buildManifest(prep, counter.result());
        await writeDurably(tmpManifest, manifestJson(manifest));
        await rename(tmpCsv, csvPath);
        csvPublished = true;
        await rename(tmpManifest, manifestPath);
        await fsyncDirectory(dir);
        return {
          csv: { location: pathToFileURL(csvPath).href },
          manifest: { location: pathToFileURL(manifestPath).href },
          sha256: manifest.sha256,
          row_count: manifest.row_count,
        };
      } catch (err) {
        // Read before destroy(): stopping the source makes it report a premature close.
        const sourceFailure = source.failure();
        // Stop the source too (e.g. mkdir failed before it was read) so a database cursor is freed.
        source.destroy();
        const removals = [tmpCsv, tmpManifest, ...(csvPublished ? [csvPath] : [])].map((p) => rm(p, { force: true }));
        const results = await Promise.allSettled(removals);
        const failedIndex = results.findIndex((r) => r.status === 'rejected');
        const leftover = failedIndex === -1 ? null : pathToFileURL([tmpCsv, tmpManifest, csvPath][failedIndex]).href;
        throw toAuditError(err, sourceFailure, 'The audit export could not be written to the export directory', leftover);
      }
    },
  };
}

/** Flushes a written file to disk: an audit record must survive a crash right after the answer. */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the renames durable; best effort because not every platform can fsync a directory. */
async function fsyncDirectory(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch {
    // Ignored: the files themselves are already on disk.
  }
}

// ---------------------------------------------------------------------------------------------
// S3

function createS3AuditStore(
  s3: AuditStoreConfig['s3'],
  bucket: string,
  now: () => Date,
  injectedClient: S3Client | undefined,
): AuditStore {
  // Created on the first put (the SDK loads then), destroyed by close() if it was.
  let created: Promise<S3Client> | undefined;
  const getClient = (): Promise<S3Client> => (injectedClient ? Promise.resolve(injectedClient) : (created ??= createS3Client(s3)));
  const prefix = s3.prefix.replace(/^\/+/, '');
  const location = (key: string) => `s3://${bucket}/${key}`;
  const failedUpload = 'The audit export could not be uploaded to the audit bucket';

  /** Deletes keys that must not survive a failure; resolves to the first one that may remain. */
  async function removeObjects(keys: string[]): Promise<string | null> {
    const [client, { DeleteObjectCommand }] = await Promise.all([getClient(), loadS3Sdk()]);
    const results = await Promise.allSettled(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    // A missing bucket or key holds nothing: that delete has nothing left to do.
    const gone = (reason: unknown) => ['NoSuchBucket', 'NoSuchKey'].includes(String((reason as { name?: unknown })?.name));
    const failedIndex = results.findIndex((r) => r.status === 'rejected' && !gone(r.reason));
    return failedIndex === -1 ? null : location(keys[failedIndex]);
  }

  return {
    kind: 's3',
    async close() {
      if (created) (await created.catch(() => undefined))?.destroy();
    },
    async put(input) {
      const source = trackSource(input.csv);
      const prep = prepareOrRelease(input, now(), source);
      let sdk: [S3Client, S3Sdk];
      try {
        sdk = await Promise.all([getClient(), loadS3Sdk()]);
      } catch (err) {
        source.destroy();
        throw err;
      }
      const [client, { PutObjectCommand, Upload }] = sdk;
      const csvKey = `${prefix}${prep.baseName}.csv`;
      const manifestKey = `${prefix}${prep.baseName}.manifest.json`;
      const counter = new CsvDigestCounter();
      // Errors reach the uploader through the counter (pipeline destroys it with the source's
      // error); the callback only has to exist so a failure is not reported as unhandled.
      pipelineCallback(source.stream, counter, () => {});

      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: csvKey, Body: counter, ContentType: CSV_CONTENT_TYPE },
        partSize: AUDIT_PART_SIZE,
        queueSize: AUDIT_QUEUE_SIZE,
        // Explicit although it is the default: on any error Upload aborts the multipart upload,
        // so its parts never turn into an object (and stop costing storage).
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        const sourceFailure = source.failure();
        counter.destroy();
        source.destroy();
        // An aborted upload leaves no object. The delete covers the one gap: a completion that
        // succeeded on the server while its answer was lost.
        const leftover = await removeObjects([csvKey]);
        throw toAuditError(err, sourceFailure, failedUpload, leftover);
      }

      const manifest = buildManifest(prep, counter.result());
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: manifestKey,
            Body: manifestJson(manifest),
            ContentType: 'application/json',
          }),
        );
      } catch (err) {
        // Without its manifest the CSV is not an audit record: remove it (and a manifest whose
        // write may have succeeded despite the error).
        const leftover = await removeObjects([csvKey, manifestKey]);
        throw toAuditError(err, undefined, 'The audit manifest could not be uploaded to the audit bucket', leftover);
      }

      return {
        csv: { location: location(csvKey) },
        manifest: { location: location(manifestKey) },
        sha256: manifest.sha256,
        row_count: manifest.row_count,
      };
    },
  };
}
