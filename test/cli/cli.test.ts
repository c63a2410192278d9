/**
 * The atom-analytics command line, run as a real process on a private embedded database.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliIn, type CliResult } from './run-cli.ts';

let dir = '';
const cli = (...args: string[]): Promise<CliResult> => cliIn(dir)(args);

const COMMANDS = ['serve', 'migrate', 'seed', 'import', 'report', 'export', 'tenants', 'keys', 'rollups'];

describe('atom-analytics CLI', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atom-cli-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('lists every command in --help and exits 0', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  });

  it('gives each command a --help with its usage', async () => {
    for (const c of COMMANDS) {
      const r = await cli(c, '--help');
      assert.equal(r.code, 0, c);
      assert.match(r.stdout, new RegExp(`Usage: atom-analytics ${c}`), c);
    }
  });

  it('answers an unknown command or option with one clear line and exit 2', async () => {
    const unknown = await cli('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    const badOpt = await cli('report', 'overview', '--bogus');
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.stderr, /--bogus/);
  });

  it('imports a file with a bad line in the middle: reports it, stores the good lines, and a re-run changes nothing', async () => {
    assert.equal((await cli('tenants', 'create', '--id', 'acme', '--name', 'Acme')).code, 0);
    const lines = [
      { id: 'a', workflow_id: 'w', service: 's', status: 'succeeded', started_at: '2026-03-01T10:00:00Z', finished_at: '2026-03-01T10:00:02Z' },
      { id: 'b', workflow_id: 'w', service: 's', status: 'failed', started_at: '2026-03-01T11:00:00Z' },
      { id: 'c', workflow_id: 'w', service: 's', status: 'failed', started_at: '2026-03-01T12:00:00Z', finished_at: '2026-03-01T12:00:04Z' },
    ].map((r) => JSON.stringify(r));
    const file = join(dir, 'runs.ndjson');
    await writeFile(file, [lines[0], lines[1], '{oops', lines[2]].join('\n') + '\n');
    const first = await cli('import', 'workflow_runs', file, '--tenant', 'acme');
    assert.equal(first.code, 1, 'rejected lines make a non-zero exit');
    assert.match(first.stdout, /2 inserted, 0 updated, 0 unchanged, 2 rejected/);
    assert.match(first.stdout, /line 2: finished_at/);
    assert.match(first.stdout, /line 3: invalid JSON/);
    const again = await cli('import', 'workflow_runs', file, '--tenant', 'acme');
    assert.match(again.stdout, /0 inserted, 0 updated, 2 unchanged, 2 rejected/);
    const report = await cli('report', 'overview', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-02', '--format', 'json');
    assert.equal(report.code, 0);
    const body = JSON.parse(report.stdout) as { rows: { total_workflows: number; failed_workflows: number; avg_duration_ms: number }[] };
    assert.equal(body.rows[0]!.total_workflows, 2);
    assert.equal(body.rows[0]!.failed_workflows, 1);
    assert.equal(body.rows[0]!.avg_duration_ms, 3000);
  });

  it('imports CSV with numeric columns converted', async () => {
    const file = join(dir, 'metrics.csv');
    await writeFile(file, 'service,ts,p95_latency_ms,throughput_rps,error_rate\r\napi,2026-03-01T10:00:00Z,120.5,30,0.01\r\napi,2026-03-01T10:05:00Z,abc,30,0.01\r\n');
    const r = await cli('import', 'metrics', file, '--tenant', 'acme');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /1 inserted, 0 updated, 0 unchanged, 1 rejected/);
    assert.match(r.stdout, /line 3: p95_latency_ms/);
  });

  it('prints reports as a table and CSV, and exports raw records', async () => {
    const table = await cli('report', 'overview', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-02');
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^tenant_id\s+tenant_name\s+total_workflows/);
    const csv = await cli('report', 'costs', '--from', '2026-03-01', '--to', '2026-03-02', '--format', 'csv');
    assert.equal(csv.code, 0);
    assert.match(csv.stdout, /^tenant_id,workflow_runs,/);
    const out = join(dir, 'raw.csv');
    const exp = await cli('export', 'raw_workflow_runs', '--tenant', 'acme', '--from', '2026-03-01', '--to', '2026-03-02', '--out', out);
    assert.equal(exp.code, 0);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(out, 'utf8');
    assert.equal(text.split('\r\n')[0], 'id,tenant_id,workflow_id,workflow_name,service,status,started_at,finished_at,duration_ms');
    assert.equal(text.trim().split('\r\n').length, 3);
  });

  it('creates and revokes keys, and rebuilds rollups', async () => {
    const created = await cli('keys', 'create', '--tenant', 'acme', '--name', 'ci');
    assert.equal(created.code, 0);
    const key = JSON.parse(created.stdout) as { key_id: string; key: string };
    assert.match(key.key, /^atom_tk_/);
    const revoked = await cli('keys', 'revoke', key.key_id);
    assert.equal(revoked.code, 0);
    assert.equal((await cli('keys', 'revoke', 'key_nope')).code, 2);
    const rebuilt = await cli('rollups', 'rebuild');
    assert.equal(rebuilt.code, 0);
    assert.match(rebuilt.stdout, /rollup_runs\s+\d+ rows/);
    const limited = await cli('rollups', 'rebuild', '--memory-limit', '64MB');
    assert.equal(limited.code, 0);
    assert.equal(limited.stdout.replace(/rebuilt in .*/, ''), rebuilt.stdout.replace(/rebuilt in .*/, ''));
    const bad = await cli('rollups', 'rebuild', '--memory-limit', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--memory-limit must be a size such as 512MB or 2GB, got "lots"/);
  });
});
