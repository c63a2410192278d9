/**
 * The commands besides import: output formats, a reader that stops early, error messages that
 * name the flag and the reason, and stray arguments.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliIn, spawnCli, type CliResult } from './run-cli.ts';

let dir = '';
const cli = (...args: string[]): Promise<CliResult> => cliIn(dir)(args);

/** Runs the CLI, closes its stdout after the first chunk (as `| head -1` does) and waits for the exit. */
async function closeOutputEarly(args: string[]): Promise<{ code: number | null; stderr: string; firstChunk: string }> {
  const child = spawnCli(dir, args);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [first] = (await once(child.stdout, 'data')) as [Buffer];
  child.stdout.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, firstChunk: first.toString() };
}

// A year of hourly trend buckets: several MB of output, far more than a pipe buffer, with no data needed.
const LONG_TRENDS = ['--tenant', 'acme', '--granularity', 'hour', '--from', '2025-03-01', '--to', '2026-03-01'];

describe('atom-analytics commands', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-cli-commands-'));
    assert.equal((await cli('tenants', 'create', '--id', 'acme', '--name', 'Acme')).code, 0);
    const runs = [
      { id: 'a', workflow_id: 'w', service: 'api', status: 'succeeded', started_at: '2026-03-01T10:00:00Z', finished_at: '2026-03-01T10:00:02Z' },
      { id: 'b', workflow_id: 'w', service: 'api', status: 'failed', started_at: '2026-03-01T11:00:00Z', finished_at: '2026-03-01T11:00:04Z' },
    ];
    const file = join(dir, 'runs.ndjson');
    await writeFile(file, runs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    assert.equal((await cli('import', 'workflow_runs', file, '--tenant', 'acme')).code, 0);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('prints the tenant report as a titled table per part', async () => {
    const r = await cli('report', 'tenant', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-03');
    assert.equal(r.code, 0, r.stderr);
    const titles = [...r.stdout.matchAll(/^# (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(titles, ['tenant', 'overview', 'mttr', 'costs', 'health', 'predictions', 'trends']);
    assert.match(r.stdout, /# overview\ntenant_id\s+tenant_name\s+total_workflows[^\n]*\n-+[- ]*\nacme\s+Acme\s+2\s/);
    assert.match(r.stdout, /# trends\ntenant_id\s+bucket_start\s+workflows/);
    assert.doesNotMatch(r.stdout, /^\{/);
  });

  it('prints the tenant report as one CSV block per part, with the columns of the export of that part', async () => {
    const r = await cli('report', 'tenant', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-03', '--format', 'csv');
    assert.equal(r.code, 0, r.stderr);
    const blocks = r.stdout.split('\r\n\r\n');
    assert.equal(blocks.length, 7);
    assert.match(blocks[1]!, /^# overview\r\ntenant_id,tenant_name,total_workflows,/);
    const exported = await cli('export', 'costs', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-03');
    assert.equal(blocks[3], `# costs\r\n${exported.stdout.trimEnd()}`);
    const trends = await cli('export', 'trends', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-03');
    assert.equal(blocks[6], `# trends\r\n${trends.stdout}`);
  });

  it('ends quietly with exit 0 when the reader of a report closes the pipe early', async () => {
    const r = await closeOutputEarly(['report', 'trends', ...LONG_TRENDS]);
    assert.match(r.firstChunk, /^tenant_id\s+bucket_start/);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('ends quietly with exit 0 when the reader of an export closes the pipe early', async () => {
    const r = await closeOutputEarly(['export', 'trends', ...LONG_TRENDS]);
    assert.match(r.firstChunk, /^tenant_id,bucket_start/);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('refuses seed --demo when demo tenants exist, naming them in one line', async () => {
    const r = await cli('seed', '--demo');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^atom-analytics: demo tenants already exist: acme;/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(r.stderr, /unexpected|Constraint/);
  });

  it('says which tenants create option is wrong and why', async () => {
    const badId = await cli('tenants', 'create', '--id', 'bad id!', '--name', 'x');
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /--id "bad id!" is not a valid tenant id: use 1 to 64 letters, digits, _ or -/);
    const noName = await cli('tenants', 'create', '--id', 'fine');
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /tenants create needs --name/);
    const longName = await cli('tenants', 'create', '--name', 'x'.repeat(201));
    assert.equal(longName.code, 2);
    assert.match(longName.stderr, /--name: name is required: a non-empty string of at most 200 characters/);
  });

  it('names the flag a command needs and the report or export type it does not know', async () => {
    const trends = await cli('export', 'trends');
    assert.equal(trends.code, 2);
    assert.match(trends.stderr, /export trends needs --tenant/);
    const report = await cli('report', 'nosuch');
    assert.equal(report.code, 2);
    assert.match(report.stderr, /unknown report type nosuch; one of overview, mttr, costs, trends, health, predictions, tenant/);
    const exp = await cli('export', 'nosuch');
    assert.match(exp.stderr, /unknown export type nosuch; one of overview,/);
    const limit = await cli('export', 'overview', '--memory-limit', 'lots');
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--memory-limit must be a size such as 64MB or 1GB, got "lots"/);
    const tenant = await cli('report', 'overview', '--tenant', 'nosuch');
    assert.match(tenant.stderr, /unknown tenant "nosuch"/);
  });

  it('rejects stray arguments with exit 2', async () => {
    for (const args of [['migrate', 'extra'], ['report', 'overview', 'extra'], ['keys', 'create', 'x', '--tenant', 'acme']]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /unexpected argument "\w+"/, args.join(' '));
    }
  });

  it('lists tenants under a header row', async () => {
    const r = await cli('tenants', 'list');
    assert.equal(r.code, 0);
    const [header, rule, first] = r.stdout.split('\n');
    assert.match(header!, /^id\s+name\s+created_at$/);
    assert.match(rule!, /^-+\s+-+\s+-+$/);
    assert.match(first!, /^acme\s+Acme\s+\d{4}-/);
  });

  it('lists the export types in export --help and the key variable in import --help', async () => {
    const exp = await cli('export', '--help');
    for (const t of ['overview', 'mttr', 'costs', 'trends', 'health', 'predictions', 'raw_workflow_runs', 'raw_incidents', 'raw_metrics', 'raw_predictions']) {
      assert.match(exp.stdout, new RegExp(`^  ${t}\\b`, 'm'), t);
    }
    const imp = await cli('import', '--help');
    assert.match(imp.stdout, /ATOM_API_KEY/);
  });
});
