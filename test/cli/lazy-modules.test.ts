/**
 * Each command loads only the packages it uses: a CLI command never loads the HTTP stack, a
 * process on the embedded engine never loads the PostgreSQL driver, and a server without
 * REDIS_URL or S3_AUDIT_BUCKET never loads ioredis or the AWS SDK (together ≈ 60–80 MB of RSS).
 * Checked from the module cache of a real child process as it exits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cliEnv } from './run-cli.ts';

/** Writes the node_modules packages in the module cache to PROBE_OUT when the process exits. */
const PROBE = `
process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require('node:module')._cache)) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
    if (m) names.add(m[1]);
  }
  require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify([...names].sort()));
});
`;

let dir = '';
let probe = '';

/** Runs the CLI with the probe; `untilStdout` keeps it running until that text appears, then sends SIGTERM. */
async function loadedPackages(args: string[], untilStdout?: string): Promise<string[]> {
  const out = join(dir, `loaded-${args[0]}-${Date.now()}.json`);
  const child = spawn(process.execPath, ['-r', probe, BIN, ...args], {
    env: cliEnv(dir, { PROBE_OUT: out, PORT: '0', REDIS_URL: '', S3_AUDIT_BUCKET: '' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let stopped = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    // Once: a second signal makes the server exit at once, with status 1.
    if (untilStdout && !stopped && stdout.includes(untilStdout)) {
      stopped = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, `exit ${code}: ${stderr}`);
  return JSON.parse(await readFile(out, 'utf8')) as string[];
}

describe('packages each command loads', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-cli-modules-'));
    probe = join(dir, 'probe.cjs');
    await writeFile(probe, PROBE);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a CLI command on the embedded engine: DuckDB, no HTTP stack, no PostgreSQL, Redis or AWS', async () => {
    const loaded = await loadedPackages(['tenants', 'list']);
    assert.ok(loaded.includes('@duckdb/node-api'), loaded.join(' '));
    for (const absent of ['fastify', 'ioredis', 'pg', '@aws-sdk/client-s3', 'prom-client']) assert.ok(!loaded.includes(absent), `${absent} loaded`);
  });

  it('the server on the embedded engine without REDIS_URL or S3_AUDIT_BUCKET: no PostgreSQL, Redis or AWS', async () => {
    const loaded = await loadedPackages(['serve'], 'Dashboard:');
    for (const present of ['fastify', '@duckdb/node-api']) assert.ok(loaded.includes(present), `${present} not loaded: ${loaded.join(' ')}`);
    for (const absent of ['ioredis', 'pg', '@aws-sdk/client-s3']) assert.ok(!loaded.includes(absent), `${absent} loaded`);
  });
});
