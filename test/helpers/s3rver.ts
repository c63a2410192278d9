/**
 * A real S3-compatible server for tests: s3rver on 127.0.0.1 with a random port, storing into a
 * fresh temp directory, with one bucket created up front.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

/** The part of s3rver 3.x's API used here (the package ships no type declarations). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

// s3rver is CommonJS without types; createRequire avoids an ambient module declaration.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** Where s3rver stores buckets and pending multipart uploads. */
  directory: string;
  /** A `config.s3` value pointing at this server. */
  s3Config: {
    bucket: string;
    endpoint: string;
    region: string;
    forcePathStyle: boolean;
    accessKeyId: string;
    secretAccessKey: string;
    prefix: string;
  };
  /** A new client for this server; the caller destroys it. */
  createClient(): S3Client;
  stop(): Promise<void>;
}

/** Starts s3rver with `bucket` created; `stop()` shuts it down and removes its directory. */
export async function startS3rver(bucket = 'audit-test'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const s3Config = {
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    ...S3RVER_CREDENTIALS,
    prefix: 'audit/',
  };
  return {
    endpoint,
    bucket,
    directory,
    s3Config,
    createClient: () =>
      new S3Client({
        region: s3Config.region,
        endpoint,
        forcePathStyle: true,
        credentials: { ...S3RVER_CREDENTIALS },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
