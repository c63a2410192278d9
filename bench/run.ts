/**
 * `npm run bench`: the performance benchmark of issue 7. See bench/README.md and `--help`.
 *
 * Per engine, in one run:
 *  1. fresh database; the server in a child process (first start timed); tenants via POST /tenants;
 *  2. optional bulk through storeRecords() (server stopped: DuckDB has one writer process);
 *  3. HTTP ingest of NDJSON batches from --clients keep-alive clients (records/s, batch p50/p95);
 *  4. restart on the loaded database (start-up time until /readyz is 200), RSS after load;
 *  5. every report of the registry with Cache-Control: no-cache (p50/p95), cache hits/s,
 *     raw CSV export rows/s with the server's peak RSS (sampled every 50 ms from /proc);
 *  6. server stopped: the same export through the CLI (its own process, peak RSS), naive SQL baselines timed directly on storage, bare insert rate of the
 *     same batches into a scratch database with the same schema.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { storeRecords, type Rec } from '../src/ingest/ingest-service.ts';
import { KIND_SPECS } from '../src/ingest/kinds.ts';
import { validateBatch } from '../src/ingest/validate.ts';
import { parsePeriod } from '../src/reports/period.ts';
import { REPORTS } from '../src/reports/registry.ts';
import { createStorage } from '../src/storage/create-storage.ts';
import { createDuckDbStorage } from '../src/storage/duckdb/index.ts';
import { createPostgresStorage } from '../src/storage/postgres/index.ts';
import type { SqlValue, Storage, TableName } from '../src/storage/types.ts';
import { BASELINES } from './baselines.ts';
import { DAY_MS, isHttpBatch, planDataset, streamDataset, type Batch, type DatasetPlan, type Kind } from './dataset.ts';
import { HttpClient, RawGetClient } from './http.ts';
import { HELP, parseOptions, type BenchOptions, type Engine } from './options.ts';
import { readProcMemory, RssSampler, serverArgs, startServerProcess, type ServerProcess } from './server-process.ts';
import { fmtDuration, fmtInt, fmtMs, log, machineInfo, percentile, pool, Progress, round, summarize, type LatencySummary } from './util.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLK_TCK = 100;

// ---------------------------------------------------------------------------------------------
// Types of the result file

interface ReportEntry {
  report: string;
  scope: 'mid' | 'biggest' | 'all';
  tenant_id: string | null;
  period_days: number;
  from: string;
  to: string;
  tz: string;
  path: string;
  http: LatencySummary & { response_bytes: number };
  /** The server's RSS right after this case: shows which report makes memory grow. */
  server_rss_mb_after: number | null;
  naive: LatencySummary | null;
  /** naive p50 / http p50 (> 1: the report is faster than the naive SQL). */
  speedup_p50: number | null;
}

interface TargetResult {
  target: string;
  threshold: string;
  value: string;
  pass: boolean | null;
  note?: string;
}

interface EngineResult {
  engine: Engine;
  runs: number;
  started_at: string;
  duration_s: number;
  machine: ReturnType<typeof machineInfo>;
  versions: { database: string | null; git: { commit: string | null; dirty_files: number | null } };
  /** os.loadavg() (1, 5, 15 min) when each phase started: other work on the machine skews results. */
  load_average: Record<string, number[]>;
  options: Record<string, unknown>;
  server_env: Record<string, string>;
  dataset: Record<string, unknown>;
  ingest: Record<string, unknown>;
  server: Record<string, unknown>;
  reports: ReportEntry[];
  cache: Record<string, unknown> | null;
  /** Raw CSV export through HTTP, and through the CLI once the server is stopped. */
  export: (Awaited<ReturnType<typeof measureExport>> & { cli?: Awaited<ReturnType<typeof measureCliExport>> }) | null;
  targets: TargetResult[];
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function* filterBatches(plan: DatasetPlan, pred: (b: Batch) => boolean): Generator<Batch> {
  for (const b of streamDataset(plan)) if (pred(b)) yield b;
}

/**
 * Batches joined per kind into batches of up to `maxRecords` records: the bulk load is set-up, not
 * a measurement, and one transaction per 1,000 records would dominate it at 10M runs. Reports
 * join predictions to runs at read time, so the order across kinds does not matter. The
 * generator never repeats a key, so a joined batch holds each key once, as storeRecords needs.
 */
function* joinBatches(batches: Iterator<Batch>, maxRecords: number, perTenant: boolean): Generator<Batch> {
  const pending = new Map<string, Batch>();
  for (let r = batches.next(); !r.done; r = batches.next()) {
    const b = r.value;
    // PostgreSQL locks every tenant of a batch: one tenant per joined batch lets loaders overlap.
    const key = perTenant ? `${b.kind}|${b.tenantId}` : b.kind;
    const open = pending.get(key);
    if (!open) {
      pending.set(key, { ...b, records: [...b.records] });
      continue;
    }
    open.records.push(...b.records);
    if (open.records.length >= maxRecords) {
      pending.delete(key);
      yield open;
    }
  }
  yield* pending.values();
}

function normalize(b: Batch): Rec[] {
  const v = validateBatch(b.kind, b.records, { tenantId: null });
  if (v.errors.length || v.foreignTenant) {
    throw new Error(`generator produced invalid ${b.kind} records: ${JSON.stringify(v.errors.slice(0, 3))}`);
  }
  return v.records as unknown as Rec[];
}

/** The server's environment: everything it reads is set here, nothing inherited by accident. */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'REDIS_URL', 'ATOM_ADMIN_KEY', 'PORT', 'HOST', 'ATOM_DEMO', 'LOG_LEVEL', 'S3_AUDIT_BUCKET', 'S3_ENDPOINT']) {
    delete env[k];
  }
  return { ...env, ATOM_DEMO: '0', LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_MAX: '1000000000', ...extra };
}

/** Tunables the operator may have set for the server, recorded with the results. */
function tunables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && /^(DUCKDB_|PG_POOL|CACHE_|RATE_LIMIT|BODY_LIMIT|REQUEST_TIMEOUT|PRICE_|HEALTH_)/.test(k)) out[k] = v;
  }
  return out;
}

async function pgAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable)';
  }
}

function pgUrlFor(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

async function createPgDatabase(adminUrl: string, name: string): Promise<void> {
  await pgAdmin(adminUrl, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) {
      log(`dropping leftover database ${name} (from an earlier --keep or aborted run)`);
      await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE ${name}`);
  });
}

async function dropPgDatabase(adminUrl: string, name: string): Promise<void> {
  await pgAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

// ---------------------------------------------------------------------------------------------
// Phases

async function createTenants(client: HttpClient, plan: DatasetPlan): Promise<void> {
  for (const t of plan.tenants) {
    const res = await client.request('POST', '/tenants', {
      body: JSON.stringify({ id: t.id, name: t.name }),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status !== 201) throw new Error(`POST /tenants ${t.id}: ${res.status} ${res.body.slice(0, 300)}`);
  }
}

/** Records per storeRecords() call in the bulk load (one transaction each); a quarter of it per tenant with several loaders. */
const BULK_BATCH_RECORDS = 20_000;

async function directLoad(env: NodeJS.ProcessEnv, plan: DatasetPlan, share: number, concurrency: number, expected: number) {
  const storage = await createStorage(loadConfig(env));
  const progress = new Progress('direct load (storeRecords)', expected);
  let records = 0;
  const t0 = performance.now();
  try {
    await pool(
      joinBatches(filterBatches(plan, (b) => !isHttpBatch(b.index, share)), concurrency > 1 ? BULK_BATCH_RECORDS / 4 : BULK_BATCH_RECORDS, concurrency > 1),
      concurrency,
      async (b) => {
        await storeRecords(storage, b.kind, normalize(b));
        records += b.records.length;
        progress.update(records);
      },
    );
  } finally {
    await storage.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  progress.finish(records);
  return { records, seconds: round(seconds), records_per_s: Math.round(records / seconds), concurrency, note: `validateBatch (to normalize) + storeRecords in transactions of up to ${BULK_BATCH_RECORDS.toLocaleString('en-US')} records, no HTTP` };
}

/**
 * The server, started on the file the bulk load just closed. Once (10M runs, not reproduced at 3M)
 * the server found the file still locked right after close(); the lock error now names the
 * holder's PID. Rather than lose a 10-minute run to that, try again for a while.
 */
async function startAfterDirectLoad(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerProcess(ROOT, env);
    } catch (err) {
      if (attempt >= 30 || !/in use by another process/.test(String(err))) throw err;
      log(`server start: the database file is still locked (attempt ${attempt}), retrying in 1 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function httpIngest(server: ServerProcess, key: string, plan: DatasetPlan, share: number, clients: number, expected: number) {
  const client = new HttpClient(server.url, key, clients * 2);
  const latencies: number[] = [];
  const byKind = new Map<Kind, { records: number; ms: number[] }>();
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const sampler = new RssSampler(server.pid);
  // Records/s in tenths of the phase (by records), to show how ingest degrades as tables grow.
  const deciles: { records: number; seconds: number }[] = [];
  let decileStart = performance.now();
  let decileRecords = 0;
  let records = 0;
  // The request bodies are made before the clock starts: at 10M runs the slice is every 30th
  // batch, and generating the other 29 on the same two cores would be measured as ingest time.
  log(`preparing the NDJSON bodies of ${fmtInt(expected)} records`);
  const prepared = [...filterBatches(plan, (b) => isHttpBatch(b.index, share))].map((b) => ({
    index: b.index,
    kind: b.kind,
    tenantId: b.tenantId,
    records: { length: b.records.length },
    body: b.records.map((r) => JSON.stringify(r)).join('\n'),
  }));
  // Started with the clock, so its rates are the measured ones.
  const progress = new Progress('HTTP ingest', expected);
  const cpu0 = procCpuSeconds(server.pid);
  const own0 = ownCpuSeconds();
  decileStart = performance.now();
  const t0 = performance.now();
  try {
    await pool(
      prepared.values(),
      clients,
      async (b) => {
        const body = b.body;
        const t = performance.now();
        const res = await client.request('POST', `/ingest/${b.kind}`, { body, headers: { 'content-type': 'application/x-ndjson' } });
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`POST /ingest/${b.kind} (batch ${b.index}, tenant ${b.tenantId}): ${res.status} ${res.body.slice(0, 500)}`);
        const r = JSON.parse(res.body) as { inserted: number; updated: number; unchanged: number };
        counts.inserted += r.inserted;
        counts.updated += r.updated;
        counts.unchanged += r.unchanged;
        latencies.push(ms);
        let k = byKind.get(b.kind);
        if (!k) byKind.set(b.kind, (k = { records: 0, ms: [] }));
        k.records += b.records.length;
        k.ms.push(ms);
        records += b.records.length;
        decileRecords += b.records.length;
        if (decileRecords >= expected / 10) {
          const now = performance.now();
          deciles.push({ records: decileRecords, seconds: (now - decileStart) / 1000 });
          decileStart = now;
          decileRecords = 0;
        }
        progress.update(records, `batch p50 ${fmtMs(percentile(latencies.slice(-200), 0.5))} ms`);
      },
    );
  } finally {
    client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (decileRecords > 0) deciles.push({ records: decileRecords, seconds: (performance.now() - decileStart) / 1000 });
  progress.finish(records);
  const peak = sampler.stop();
  const cpu1 = procCpuSeconds(server.pid);
  const lat = summarize(latencies);
  return {
    records,
    batches: latencies.length,
    clients,
    seconds: round(seconds),
    records_per_s: Math.round(records / seconds),
    batch_ms: { p50: lat.p50_ms, p95: lat.p95_ms, max: lat.max_ms },
    result_counts: counts,
    by_kind: Object.fromEntries(
      [...byKind].map(([kind, v]) => {
        const s = summarize(v.ms);
        return [kind, { records: v.records, batches: v.ms.length, batch_ms_p50: s.p50_ms, batch_ms_p95: s.p95_ms }];
      }),
    ),
    records_per_s_by_tenth: deciles.map((d) => Math.round(d.records / d.seconds)),
    server_cpu_seconds: cpu0 === null || cpu1 === null ? null : round(cpu1 - cpu0),
    client_cpu_seconds: round(ownCpuSeconds() - own0),
    server_peak_rss_mb: round(peak, 0),
  };
}

interface ReportCase {
  report: (typeof REPORTS)[number];
  scope: 'mid' | 'biggest' | 'all';
  tenantId: string | null;
  days: number;
  from: string;
  to: string;
  tz: string;
  path: string;
}

function reportCases(plan: DatasetPlan, endMs: number): ReportCase[] {
  const to = isoDate(endMs);
  const scopes = [
    { scope: 'mid' as const, tenantId: plan.mid.id },
    { scope: 'biggest' as const, tenantId: plan.biggest.id },
    { scope: 'all' as const, tenantId: null },
  ];
  const cases: ReportCase[] = [];
  for (const report of REPORTS) {
    for (const s of scopes) {
      if (report.tenantInPath && s.tenantId === null) continue;
      for (const days of [30, 90]) {
        for (const tz of ['UTC', 'Asia/Kathmandu']) {
          const from = isoDate(endMs - days * DAY_MS);
          const qs = new URLSearchParams({ from, to, tz });
          let path = report.path;
          if (report.tenantInPath) path = path.replace(':tenant_id', encodeURIComponent(s.tenantId!));
          else if (s.tenantId) qs.set('tenant_id', s.tenantId);
          cases.push({ report, scope: s.scope, tenantId: s.tenantId, days, from, to, tz, path: `${path}?${qs}` });
        }
      }
    }
  }
  return cases;
}

async function measureReports(server: ServerProcess, key: string, cases: ReportCase[], reps: number, budgetMs: number): Promise<ReportEntry[]> {
  const client = new HttpClient(server.url, key, 4);
  const out: ReportEntry[] = [];
  const progress = new Progress('reports over HTTP', cases.length * (reps + 1), 'requests');
  let done = 0;
  try {
    for (const [ci, c] of cases.entries()) {
      const ms: number[] = [];
      let bytes = 0;
      const started = performance.now();
      for (let i = 0; i <= reps; i++) {
        // Slow cases stop early (at least 3 timed requests) so a run stays bounded; a case whose
        // warm-up alone took longer than the budget keeps that one (cold) request as its sample.
        if (i > 3 && performance.now() - started > budgetMs) break;
        if (i === 1 && performance.now() - started > budgetMs) break;
        const t = performance.now();
        const res = await client.request('GET', c.path, { headers: { 'cache-control': 'no-cache' } });
        const elapsed = performance.now() - t;
        if (res.status !== 200) throw new Error(`GET ${c.path}: ${res.status} ${res.body.slice(0, 300)}`);
        if (res.headers['x-cache'] === 'hit') throw new Error(`GET ${c.path}: answered from cache despite Cache-Control: no-cache`);
        if (i > 0 || elapsed > budgetMs) ms.push(elapsed); // the first request is a warm-up, unless it is all there is
        bytes = res.body.length;
        progress.update(++done, `${c.report.name}/${c.scope}/${c.days}d/${c.tz}`);
      }
      done = (ci + 1) * (reps + 1);
      out.push({
        report: c.report.name,
        scope: c.scope,
        tenant_id: c.tenantId,
        period_days: c.days,
        from: c.from,
        to: c.to,
        tz: c.tz,
        path: c.path,
        http: { ...summarize(ms), response_bytes: bytes },
        server_rss_mb_after: round(server.memory()?.rssMb ?? NaN, 0),
        naive: null,
        speedup_p50: null,
      });
    }
  } finally {
    client.close();
  }
  progress.finish(done);
  return out;
}

async function measureCache(server: ServerProcess, key: string, tenantId: string | null, endMs: number, opts: BenchOptions) {
  const qs = new URLSearchParams({ ...(tenantId ? { tenant_id: tenantId } : {}), from: isoDate(endMs - 30 * DAY_MS), to: isoDate(endMs), tz: 'UTC' });
  const path = `/reports/overview?${qs}`;
  const client = new HttpClient(server.url, key, 1);
  // The timed requests go through raw keep-alive sockets (bench/http.ts, RawGetClient): with
  // node:http the benchmark's own client, on the same two cores, was the bottleneck.
  const raw = new RawGetClient(server.url, key, path, opts.cacheClients);
  try {
    const warm = await client.request('GET', path);
    if (warm.status !== 200) throw new Error(`GET ${path}: ${warm.status}`);
    const check = await raw.get(0);
    if (check.status !== 200 || check.xCache !== 'hit') throw new Error(`GET ${path}: ${check.status}, X-Cache ${check.xCache} after warming`);
    const ms: number[] = [];
    let requests = 0;
    let hits = 0;
    const rssBefore = server.memory()?.rssMb ?? NaN;
    const sampler = new RssSampler(server.pid, 50);
    const deadline = performance.now() + opts.cacheSeconds * 1000;
    const cpu0 = procCpuSeconds(server.pid);
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.cacheClients }, async (_, i) => {
        while (performance.now() < deadline) {
          const t = performance.now();
          const res = await raw.get(i);
          ms.push(performance.now() - t);
          requests++;
          if (res.status === 200 && res.xCache === 'hit') hits++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = procCpuSeconds(server.pid);
    const clientCpu = process.cpuUsage(clientCpu0);
    const s = summarize(ms);
    return {
      path,
      clients: opts.cacheClients,
      client: 'raw keep-alive sockets, one request in flight each',
      seconds: round(seconds),
      requests,
      hits,
      hits_per_s: Math.round(hits / seconds),
      latency_ms: { p50: s.p50_ms, p95: s.p95_ms },
      server_cpu_seconds: cpu0 === null || cpu1 === null ? null : round(cpu1 - cpu0),
      /** The benchmark process's own CPU meanwhile (its RSS sampler included). */
      client_cpu_seconds: round((clientCpu.user + clientCpu.system) / 1e6),
      server_rss_mb: { before: round(rssBefore, 0), peak: round(sampler.stop(), 0), after: round(server.memory()?.rssMb ?? NaN, 0) },
    };
  } finally {
    raw.close();
    client.close();
  }
}

async function measureExport(server: ServerProcess, key: string, plan: DatasetPlan, endMs: number, days: number) {
  const qs = new URLSearchParams({ tenant_id: plan.biggest.id, from: isoDate(endMs - days * DAY_MS), to: isoDate(endMs) });
  const path = `/export/csv/raw_workflow_runs?${qs}`;
  const client = new HttpClient(server.url, key, 1);
  const before = server.memory();
  const sampler = new RssSampler(server.pid, 50);
  let bytes = 0;
  let lines = 0;
  const t0 = performance.now();
  try {
    const res = await client.stream(path, (chunk) => {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  } finally {
    client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const peak = sampler.stop();
  const rows = Math.max(0, lines - 1);
  return {
    path,
    rows,
    mib: round(bytes / 1024 / 1024, 1),
    seconds: round(seconds),
    rows_per_s: Math.round(rows / seconds),
    server_rss_before_mb: before ? round(before.rssMb, 0) : null,
    server_peak_rss_mb: round(peak, 0),
  };
}

/**
 * The same export through the CLI (`atom-analytics export … --out`), with the server stopped (the
 * embedded engine allows one process per file): its own process, no key index, DuckDB at the
 * export command's memory limit. Peak RSS from the process's VmHWM, read every 50 ms.
 */
async function measureCliExport(env: NodeJS.ProcessEnv, plan: DatasetPlan, endMs: number, days: number, scratch: string) {
  const from = isoDate(endMs - days * DAY_MS);
  const to = isoDate(endMs);
  const out = join(scratch, 'cli-export.csv');
  const args = [...serverArgs(ROOT).slice(0, -1), 'export', 'raw_workflow_runs', '--tenant', plan.biggest.id, '--from', from, '--to', to, '--out', out];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  let peakMb = 0;
  const timer = setInterval(() => {
    const m = child.pid ? readProcMemory(child.pid) : null;
    if (m && m.hwmMb > peakMb) peakMb = m.hwmMb;
  }, 50);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  await rm(out, { force: true });
  const rows = Number(/: ([\d,]+) rows, sha256/.exec(stderr)?.[1]?.replace(/,/g, '') ?? NaN);
  if (code !== 0 || !Number.isFinite(rows)) throw new Error(`CLI export failed (exit ${code}): ${stderr.trim().split('\n').pop()}`);
  return {
    command: `atom-analytics export raw_workflow_runs --tenant ${plan.biggest.id} --from ${from} --to ${to} --out <file>`,
    rows,
    /** Spawn to exit: node start, opening the database and the export. */
    seconds: round(seconds),
    rows_per_s: Math.round(rows / seconds),
    peak_rss_mb: round(peakMb, 0),
  };
}

async function measureBaselines(storage: Storage, entries: ReportEntry[], reps: number, budgetMs: number): Promise<void> {
  const withBaseline = entries.filter((e) => BASELINES[e.report]);
  const progress = new Progress('naive SQL baselines', withBaseline.length * (reps + 1), 'queries');
  let done = 0;
  for (const [ei, e] of withBaseline.entries()) {
    const baseline = BASELINES[e.report]!;
    const period = parsePeriod({ from: e.from, to: e.to, tz: e.tz }, Date.now());
    const q = { ...period, tenantId: e.tenant_id };
    const ms: number[] = [];
    const started = performance.now();
    for (let i = 0; i <= reps; i++) {
      if (i > 3 && performance.now() - started > budgetMs) break;
      if (i === 1 && performance.now() - started > budgetMs) break; // a slow warm-up is the sample
      const t = performance.now();
      await baseline(storage, q);
      const elapsed = performance.now() - t;
      if (i > 0 || elapsed > budgetMs) ms.push(elapsed);
      progress.update(++done, `${e.report}/${e.scope}/${e.period_days}d/${e.tz}`);
    }
    done = (ei + 1) * (reps + 1);
    e.naive = summarize(ms);
    e.speedup_p50 = e.naive.p50_ms && e.http.p50_ms ? round(e.naive.p50_ms / e.http.p50_ms) : null;
  }
  progress.finish(done);
}

/**
 * The engine's bare insert rate: the same batches (the first --bare-max records of the HTTP
 * slice), already normalized in memory, each `storage.transaction(tx => tx.insertMany(…))`, from
 * --clients concurrent callers. Into a scratch database with the same migrations (same columns,
 * types, keys and indexes), so the only difference to the HTTP path is HTTP, parsing,
 * validation and the upsert check.
 */
async function measureBare(engine: Engine, env: NodeJS.ProcessEnv, plan: DatasetPlan, share: number, opts: BenchOptions, scratchDir: string) {
  const config = loadConfig(env);
  const prepared: { table: TableName; columns: readonly string[]; rows: SqlValue[][] }[] = [];
  let total = 0;
  for (const b of filterBatches(plan, (x) => isHttpBatch(x.index, share))) {
    if (total >= opts.bareMax) break;
    const spec = KIND_SPECS[b.kind];
    const rows = normalize(b).map((r) => spec.columns.map((c) => (r[c] ?? null) as SqlValue));
    prepared.push({ table: spec.table, columns: spec.columns, rows });
    total += rows.length;
  }
  let storage: Storage;
  let dispose: () => Promise<void>;
  const bareDb = `atom_bench_${opts.runs}_bare`;
  if (engine === 'duckdb') {
    const dir = join(scratchDir, 'bare');
    storage = await createDuckDbStorage({ path: join(dir, 'atom.duckdb'), memoryLimit: config.duckdbMemoryLimit, threads: config.duckdbThreads });
    dispose = () => rm(dir, { recursive: true, force: true });
  } else {
    await createPgDatabase(opts.pgUrl, bareDb);
    storage = await createPostgresStorage({ connectionString: pgUrlFor(opts.pgUrl, bareDb), poolSize: config.pgPoolSize });
    dispose = () => dropPgDatabase(opts.pgUrl, bareDb);
  }
  try {
    await storage.migrate();
    const progress = new Progress('bare insert', total, 'rows');
    let rows = 0;
    const t0 = performance.now();
    await pool(prepared.values(), opts.clients, async (p) => {
      await storage.transaction((tx) => tx.insertMany(p.table, p.columns, p.rows));
      rows += p.rows.length;
      progress.update(rows);
    });
    const seconds = (performance.now() - t0) / 1000;
    progress.finish(rows);
    return {
      rows,
      batches: prepared.length,
      concurrency: opts.clients,
      seconds: round(seconds),
      rows_per_s: Math.round(rows / seconds),
      into: engine === 'duckdb' ? 'scratch DuckDB file, same migrations' : `scratch database ${bareDb}, same migrations (keys and indexes)`,
    };
  } finally {
    await storage.close();
    await dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// One engine

function resolveShare(opts: BenchOptions, plan: DatasetPlan): { share: number; note: string } {
  const total = plan.expected.total;
  if (opts.httpShare === null) {
    if (opts.runs <= 1_000_000) return { share: 1, note: 'all records through HTTP' };
    const share = Math.min(1, 500_000 / total);
    return { share, note: `a 500k-record slice through HTTP (every ${Math.round(1 / share)}th batch); the rest loaded first through storeRecords() (same upsert code path, no HTTP/validation)` };
  }
  const share = opts.httpShare <= 1 ? opts.httpShare : Math.min(1, opts.httpShare / total);
  return { share, note: share >= 1 ? 'all records through HTTP' : `${(share * 100).toFixed(1)}% of the batches through HTTP, the rest loaded first through storeRecords()` };
}

/** The commit measured, and how many files differ from it (others may be editing the tree). */
function gitInfo(): { commit: string | null; dirty_files: number | null } {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    dirty_files: status.status === 0 ? status.stdout.split('\n').filter(Boolean).length : null,
  };
}

/** How long node + tsx need to load the CLI and its imports (`main.ts --help`), best of `times`. */
function cliBootMs(env: NodeJS.ProcessEnv, times: number): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: ROOT, env, stdio: 'ignore' });
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function benchEngine(engine: Engine, opts: BenchOptions, plan: DatasetPlan): Promise<EngineResult> {
  const started = new Date();
  const t0 = performance.now();
  const notes: string[] = [];
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const scratch = await mkdtemp(join(tmpdir(), `atom-bench-${engine}-${opts.runs}-`));
  const dbName = `atom_bench_${opts.runs}`;
  let dbLocation: string;
  const extra: Record<string, string> = { ATOM_ADMIN_KEY: adminKey, EXPORT_DIR: join(scratch, 'exports') };
  if (engine === 'duckdb') {
    extra.DATA_DIR = join(scratch, 'data');
    dbLocation = join(extra.DATA_DIR, 'atom.duckdb');
  } else {
    await createPgDatabase(opts.pgUrl, dbName);
    extra.DATABASE_URL = pgUrlFor(opts.pgUrl, dbName);
    dbLocation = `PostgreSQL database ${dbName}`;
  }
  const env = serverEnv(extra);
  const { share, note: shareNote } = resolveShare(opts, plan);
  const httpExpected = Math.round(plan.expected.total * share);
  let server: ServerProcess | null = null;
  const loadAverage: Record<string, number[]> = {};
  const load = (phase: string) => {
    loadAverage[phase] = os.loadavg().map((x) => round(x, 2)!);
  };
  load('start');
  const result: EngineResult = {
    engine,
    runs: opts.runs,
    started_at: started.toISOString(),
    duration_s: 0,
    machine: machineInfo(),
    versions: { database: null, git: gitInfo() },
    load_average: loadAverage,
    options: { ...opts, engines: undefined, end: isoDate(opts.endMs), endMs: undefined, pgUrl: redactUrl(opts.pgUrl) },
    server_env: tunables(env),
    dataset: {},
    ingest: {},
    server: {},
    reports: [],
    cache: null,
    export: null,
    targets: [],
    notes,
  };
  try {
    log(`${engine}: ${dbLocation}`);
    server = await startServerProcess(ROOT, env);
    const firstStartMs = server.readyMs;
    log(`${engine}: server pid ${server.pid} at ${server.url}, ready in ${fmtMs(firstStartMs)} ms (empty database)`);
    const admin = new HttpClient(server.url, adminKey, 2);
    await createTenants(admin, plan);
    admin.close();

    let direct: Awaited<ReturnType<typeof directLoad>> | null = null;
    if (share < 1) {
      await server.stop();
      server = null;
      log(`${engine}: bulk load through storeRecords() (server stopped: DuckDB allows one writer process)`);
      load('direct_load');
      direct = await directLoad(env, plan, share, engine === 'postgres' ? opts.clients : 1, plan.expected.total - httpExpected);
      server = await startAfterDirectLoad(env);
    }

    log(`${engine}: HTTP ingest, ${opts.clients} clients, NDJSON batches of ${opts.batchSize} (${shareNote})`);
    load('http_ingest');
    const http = await httpIngest(server, adminKey, plan, share, opts.clients, httpExpected);
    const afterLoad = server.memory();
    await server.stop();
    server = null;
    if (engine === 'postgres') {
      // Planner statistics: without them PostgreSQL picks nested loops over whole tenants (a
      // 6k × 30k join took 26 s instead of 60 ms). Autovacuum would analyze eventually; it may be
      // off (it is on the test server), so the benchmark analyzes once, like a load job should.
      await pgAdmin(extra.DATABASE_URL!, async (c) => {
        const av = await c.query<{ autovacuum: string }>('SHOW autovacuum');
        const t = performance.now();
        await c.query('ANALYZE');
        result.server.postgres = { autovacuum: av.rows[0]?.autovacuum, analyze_after_load_ms: round(performance.now() - t, 0) };
      });
      notes.push('PostgreSQL: ANALYZE was run once after loading (autovacuum is ' + String((result.server.postgres as { autovacuum?: string }).autovacuum) + ' on this server).');
    }

    // Start-up on the loaded database: spawn → /readyz 200 (includes node + tsx boot), twice.
    server = await startServerProcess(ROOT, env);
    const restarts = [server.readyMs];
    await server.stop();
    server = null;
    const bootBetween = cliBootMs(env, 1);
    server = await startServerProcess(ROOT, env);
    restarts.push(server.readyMs);
    const restartMs = Math.min(...restarts);
    // Measured right after, under the same machine load: node + tsx loading the CLI's modules.
    const boot = Math.min(bootBetween, cliBootMs(env, 1));
    log(`${engine}: restarts on the loaded database ready in ${restarts.map(fmtMs).join(' and ')} ms`);
    const afterStart = server.memory();
    // Reports are measured on a settled server: right after start DuckDB builds its key index and
    // compacts leftover rollup deltas in the background (answers are correct meanwhile, slower).
    const settledMs = await server.settled();
    result.server.settled_after_ready_ms = settledMs === null ? null : round(settledMs, 0);
    const afterSettled = server.memory();
    result.server.rss_after_settled_mb = afterSettled ? round(afterSettled.rssMb, 0) : null;
    log(`${engine}: start-up work ${settledMs === null ? 'still running after 120 s' : `finished ${fmtMs(settledMs)} ms after ready`}`);

    const cases = reportCases(plan, opts.endMs);
    let afterReports: ReturnType<ServerProcess['memory']> = null;
    if (!opts.skipReports) {
      load('reports');
      result.reports = await measureReports(server, adminKey, cases, opts.reps, opts.caseBudgetSeconds * 1000);
      afterReports = server.memory();
      log(`${engine}: cache hits for ${opts.cacheSeconds}s with ${opts.cacheClients} clients`);
      load('cache');
      result.cache = {
        biggest_tenant: await measureCache(server, adminKey, plan.biggest.id, opts.endMs, opts),
        all_tenants: await measureCache(server, adminKey, null, opts.endMs, opts),
      };
    }
    const afterCache = server.memory();
    log(`${engine}: raw CSV export of the biggest tenant`);
    load('export');
    result.export = await measureExport(server, adminKey, plan, opts.endMs, opts.days);
    const final = server.memory();
    await server.stop();
    server = null;
    log(`${engine}: the same export through the CLI (server stopped)`);
    load('export_cli');
    result.export = { ...result.export, cli: await measureCliExport(env, plan, opts.endMs, opts.days, scratch) };

    // Server stopped: direct storage access (DuckDB: one process per file).
    const storage = await createStorage(loadConfig(env));
    try {
      const v = await storage.query<{ v: string }>('SELECT version() AS v');
      result.versions.database = String(v[0]?.v ?? '');
      const c = await storage.query<Record<string, unknown>>(
        `SELECT (SELECT count(*) FROM workflow_runs) AS workflow_runs, (SELECT count(*) FROM incidents) AS incidents,
                (SELECT count(*) FROM metric_samples) AS metrics, (SELECT count(*) FROM predictions) AS predictions`,
      );
      result.dataset.stored = c[0];
      load('baselines');
      if (!opts.skipReports) await measureBaselines(storage, result.reports, opts.reps, opts.caseBudgetSeconds * 1000);
    } finally {
      await storage.close();
    }
    load('bare_insert');
    const bare = await measureBare(engine, env, plan, share, opts, scratch);

    result.ingest = {
      mode: shareNote,
      http_share_of_batches: round(share, 4),
      http,
      direct,
      bare,
      http_vs_bare: round(http.records_per_s / bare.rows_per_s, 3),
    };
    result.server = {
      ...result.server,
      cli_boot_ms: round(boot, 0),
      first_start_ready_ms: round(firstStartMs, 0),
      /** Best of two restarts (both in restarts_ready_ms). */
      restart_ready_ms: round(restartMs, 0),
      restarts_ready_ms: restarts.map((x) => round(x, 0)),
      /** Restart minus the time node + tsx need to load the CLI's modules: the server's own start-up. */
      restart_minus_boot_ms: round(Math.max(0, restartMs - boot), 0),
      rss_after_load_mb: afterLoad ? round(afterLoad.rssMb, 0) : null,
      peak_rss_during_ingest_mb: http.server_peak_rss_mb,
      rss_after_restart_mb: afterStart ? round(afterStart.rssMb, 0) : null,
      rss_after_reports_mb: afterReports ? round(afterReports.rssMb, 0) : null,
      rss_after_cache_hits_mb: afterCache ? round(afterCache.rssMb, 0) : null,
      rss_after_export_mb: final ? round(final.rssMb, 0) : null,
      peak_rss_since_restart_mb: final ? round(final.hwmMb, 0) : null,
    };
  } finally {
    if (server) await server.stop().catch(() => undefined);
    if (opts.keep) {
      log(`${engine}: kept ${dbLocation}${engine === 'duckdb' ? '' : ` (${redactUrl(extra.DATABASE_URL!)})`}`);
      // Keep only the DuckDB data directory; a PostgreSQL run has nothing else worth keeping.
      if (engine === 'duckdb') await rm(join(scratch, 'exports'), { recursive: true, force: true });
      else await rm(scratch, { recursive: true, force: true });
    } else {
      await rm(scratch, { recursive: true, force: true });
      if (engine === 'postgres') await dropPgDatabase(opts.pgUrl, dbName).catch((err: unknown) => log(`could not drop ${dbName}: ${String(err)}`));
    }
  }
  load('end');
  result.duration_s = round((performance.now() - t0) / 1000, 0)!;
  result.targets = evaluateTargets(result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Targets (reported, never asserted)

function evaluateTargets(r: EngineResult): TargetResult[] {
  const t: TargetResult[] = [];
  const singleLimit = r.engine === 'duckdb' ? 25 : 50;
  const single = r.reports.filter((e) => e.scope !== 'all');
  if (single.length) {
    const worst = single.reduce((a, b) => ((b.http.p95_ms ?? 0) > (a.http.p95_ms ?? 0) ? b : a));
    const failing = single.filter((e) => (e.http.p95_ms ?? Infinity) > singleLimit);
    t.push({
      target: 'single-tenant report p95',
      threshold: `≤ ${singleLimit} ms`,
      value: `worst ${fmtMs(worst.http.p95_ms)} ms (${worst.report}/${worst.scope}/${worst.period_days}d/${worst.tz}); ${single.length - failing.length}/${single.length} cases pass`,
      pass: failing.length === 0,
      note: failing.length ? `failing: ${[...new Set(failing.map((f) => `${f.report}/${f.scope}`))].join(', ')}` : undefined,
    });
  }
  const overviewAll = r.reports.filter((e) => e.report === 'overview' && e.scope === 'all');
  if (overviewAll.length) {
    const worst = Math.max(...overviewAll.map((e) => e.http.p95_ms ?? Infinity));
    t.push({ target: 'all-tenant overview p95', threshold: '≤ 100 ms', value: `worst ${fmtMs(worst)} ms over 30/90 d × UTC/Kathmandu`, pass: worst <= 100 });
  }
  const biggest = r.reports.filter((e) => e.scope === 'biggest');
  if (biggest.length) {
    const byReport = new Map<string, number | null>();
    for (const e of biggest) {
      const prev = byReport.get(e.report);
      const s = e.speedup_p50;
      byReport.set(e.report, prev === undefined ? s : prev === null || s === null ? null : Math.min(prev, s));
    }
    const failing = [...byReport].filter(([, s]) => s === null || s < 10);
    t.push({
      target: 'report vs naive SQL, biggest tenant (p50 ratio)',
      threshold: '≥ 10× faster',
      value: [...byReport].map(([k, s]) => `${k} ${s === null ? 'n/a' : `${s}×`}`).join(', '),
      pass: failing.length === 0,
      note: 'worst case over periods and zones per report',
    });
  }
  const ingest = r.ingest as { http?: { records_per_s: number }; bare?: { rows_per_s: number }; http_vs_bare?: number };
  if (ingest.http && ingest.bare) {
    t.push({
      target: 'HTTP ingest vs bare insert',
      threshold: '≥ 0.5×',
      value: `${ingest.http_vs_bare}× (${fmtInt(ingest.http.records_per_s)} vs ${fmtInt(ingest.bare.rows_per_s)} records/s)`,
      pass: (ingest.http_vs_bare ?? 0) >= 0.5,
    });
    t.push({
      target: 'HTTP ingest rate',
      threshold: r.engine === 'duckdb' ? '≥ 100,000 records/s' : '≥ 100,000 records/s (set for the embedded engine)',
      value: `${fmtInt(ingest.http.records_per_s)} records/s`,
      pass: r.engine === 'duckdb' ? ingest.http.records_per_s >= 100_000 : null,
    });
  }
  if (r.cache) {
    const c = r.cache as Record<string, { hits_per_s: number }>;
    const hps = c.biggest_tenant!.hits_per_s;
    t.push({
      target: 'cache hits (overview, one tenant)',
      threshold: '≥ 10,000 req/s',
      value: `${fmtInt(hps)} req/s (all-tenant overview, no tenant lookup: ${fmtInt(c.all_tenants!.hits_per_s)} req/s)`,
      pass: hps >= 10_000,
    });
  }
  const restart = r.server.restart_ready_ms as number | undefined;
  if (restart !== undefined) {
    t.push({
      target: 'start-up on the loaded database',
      threshold: '≤ 3 s (best of 2)',
      value: `${fmtMs(restart)} ms spawn → /readyz 200 (node + tsx loading the CLI's modules alone: ${fmtMs(r.server.cli_boot_ms as number)} ms)`,
      pass: restart <= 3000,
    });
  }
  if (r.export) {
    // Issue 4's peak RSS is the export's: measured on its own process (the CLI, the same code
    // path). Through the API the process is the whole server, which holds its key index and
    // caches (≈ 470 MiB at 10M runs before any export): there the rate is checked and the
    // server's memory stated, before and at the peak.
    const duckdb = r.engine === 'duckdb';
    const e = r.export;
    t.push({
      target: 'raw CSV export, biggest tenant, HTTP (issue 4)',
      threshold: duckdb ? '≥ 500k rows/s (server RSS stated)' : 'stated',
      value: `${fmtInt(e.rows_per_s)} rows/s; server peak ${fmtInt(e.server_peak_rss_mb)} MiB (${fmtInt(e.server_rss_before_mb)} before it)`,
      pass: duckdb ? e.rows_per_s >= 500_000 : null,
    });
    if (e.cli) {
      t.push({
        target: 'raw CSV export, biggest tenant, CLI (issue 4)',
        threshold: duckdb ? '≥ 500k rows/s, peak RSS ≤ 300 MB (286 MiB)' : 'stated',
        value: `${fmtInt(e.cli.rows_per_s)} rows/s from spawn to exit; peak ${fmtInt(e.cli.peak_rss_mb)} MiB`,
        pass: duckdb ? e.cli.rows_per_s >= 500_000 && e.cli.peak_rss_mb !== null && e.cli.peak_rss_mb <= 300e6 / 2 ** 20 : null,
      });
    }
  }
  const peak = r.server.peak_rss_since_restart_mb as number | null | undefined;
  const ingestPeak = r.server.peak_rss_during_ingest_mb as number | null | undefined;
  if (peak != null || ingestPeak != null) {
    const worst = Math.max(peak ?? 0, ingestPeak ?? 0);
    t.push({
      target: 'server RSS',
      threshold: '≤ 600 MB',
      value: `peak ${fmtInt(worst)} MiB (ingest ${fmtInt(ingestPeak)}, reports+cache+export ${fmtInt(peak)}); after load ${fmtInt(r.server.rss_after_load_mb as number)}, after reports ${fmtInt(r.server.rss_after_reports_mb as number)}, after cache hits ${fmtInt(r.server.rss_after_cache_hits_mb as number)}`,
      pass: worst <= 600,
    });
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Output

function table(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function printEngine(r: EngineResult): void {
  const out: string[] = [];
  const ds = r.dataset as { counts?: Record<string, number>; stored?: Record<string, number> };
  out.push('', `=== ${r.engine} — ${fmtInt(r.runs)} runs (${fmtDuration(r.duration_s)}; commit ${r.versions.git.commit?.slice(0, 7) ?? '?'}${r.versions.git.dirty_files ? ` + ${r.versions.git.dirty_files} modified files in src/` : ''}) ===`);
  if (ds.stored) out.push(`stored: ${Object.entries(ds.stored).map(([k, v]) => `${k} ${fmtInt(Number(v))}`).join(', ')}`);
  const ing = r.ingest as {
    mode: string;
    http: Awaited<ReturnType<typeof httpIngest>>;
    direct: { records: number; records_per_s: number; seconds: number } | null;
    bare: { rows: number; rows_per_s: number; concurrency: number };
    http_vs_bare: number;
  };
  if (ing.http) {
    out.push('', `Ingest (${ing.mode})`);
    const rows: string[][] = [
      ['HTTP NDJSON', fmtInt(ing.http.records), fmtInt(ing.http.records_per_s), fmtMs(ing.http.batch_ms.p50), fmtMs(ing.http.batch_ms.p95), `${ing.http.clients} clients`],
    ];
    for (const [kind, k] of Object.entries(ing.http.by_kind)) {
      rows.push([`  ${kind}`, fmtInt(k.records), '', fmtMs(k.batch_ms_p50), fmtMs(k.batch_ms_p95), `${k.batches} batches`]);
    }
    if (ing.direct) rows.push(['storeRecords (bulk)', fmtInt(ing.direct.records), fmtInt(ing.direct.records_per_s), '', '', 'no HTTP/validation']);
    rows.push(['bare insertMany', fmtInt(ing.bare.rows), fmtInt(ing.bare.rows_per_s), '', '', `${ing.bare.concurrency} callers`]);
    out.push(table(['path', 'records', 'records/s', 'batch p50', 'batch p95', ''], rows, [false, true, true, true, true, false]));
    out.push(`HTTP / bare = ${ing.http_vs_bare}×; HTTP records/s by tenth of the load: ${ing.http.records_per_s_by_tenth.map(fmtInt).join(', ')}`);
    out.push(`CPU during HTTP ingest: server ${ing.http.server_cpu_seconds}s, benchmark client (generator + JSON + HTTP) ${ing.http.client_cpu_seconds}s over ${ing.http.seconds}s`);
  }
  if (r.reports.length) {
    out.push('', 'Reports (HTTP, Cache-Control: no-cache) vs naive SQL on storage; ms; speed-up = naive p50 / report p50');
    out.push(
      table(
        ['report', 'scope', 'days', 'tz', 'n', 'p50', 'p95', 'naive p50', 'naive p95', 'speed-up', 'bytes', 'RSS after'],
        r.reports.map((e) => [
          e.report,
          e.scope,
          String(e.period_days),
          e.tz === 'UTC' ? 'UTC' : 'KTM',
          String(e.http.n),
          fmtMs(e.http.p50_ms),
          fmtMs(e.http.p95_ms),
          fmtMs(e.naive?.p50_ms),
          fmtMs(e.naive?.p95_ms),
          e.speedup_p50 === null ? '–' : `${e.speedup_p50}×`,
          fmtInt(e.http.response_bytes),
          fmtInt(e.server_rss_mb_after),
        ]),
        [false, false, true, false, true, true, true, true, true, true, true, true],
      ),
    );
  }
  if (r.cache) {
    for (const [name, c] of Object.entries(r.cache as Record<string, Awaited<ReturnType<typeof measureCache>>>)) {
      out.push(
        `Cache hits, ${name.replace('_', ' ')} overview: ${fmtInt(c.hits_per_s)} req/s (${fmtInt(c.hits)} hits of ${fmtInt(c.requests)} requests, ${c.clients} clients, ${c.seconds}s, p50 ${fmtMs(c.latency_ms.p50)} ms, server CPU ${c.server_cpu_seconds}s, RSS ${c.server_rss_mb.before} → peak ${c.server_rss_mb.peak} MiB)`,
      );
    }
  }
  if (r.export) out.push(`CSV export raw_workflow_runs (biggest tenant): ${fmtInt(r.export.rows)} rows, ${r.export.mib} MiB in ${r.export.seconds}s = ${fmtInt(r.export.rows_per_s)} rows/s; server RSS ${r.export.server_rss_before_mb} → peak ${r.export.server_peak_rss_mb} MiB`);
  const cli = r.export?.cli;
  if (cli) out.push(`The same through the CLI (own process, server stopped): ${fmtInt(cli.rows)} rows in ${cli.seconds}s from spawn = ${fmtInt(cli.rows_per_s)} rows/s; peak RSS ${cli.peak_rss_mb} MiB`);
  const s = r.server;
  out.push(
    `Server: start-up ${fmtMs(s.first_start_ready_ms as number)} ms empty / ${(s.restarts_ready_ms as number[]).map(fmtMs).join(' and ')} ms loaded (node+tsx boot ${fmtMs(s.cli_boot_ms as number)} ms); RSS after load ${s.rss_after_load_mb} MiB, after restart ${s.rss_after_restart_mb}, settled ${s.rss_after_settled_mb} (${fmtMs(s.settled_after_ready_ms as number)} ms after ready), after reports ${s.rss_after_reports_mb}, after cache hits ${s.rss_after_cache_hits_mb}, after export ${s.rss_after_export_mb}, peak ${s.peak_rss_since_restart_mb} (ingest peak ${s.peak_rss_during_ingest_mb})`,
  );
  out.push(`Load average (1 min) when phases started, on ${r.machine.nproc} CPUs: ${Object.entries(r.load_average).map(([k, v]) => `${k} ${v[0]}`).join(', ')}`);
  out.push('', 'Targets');
  out.push(table(['target', 'threshold', 'result', 'value'], r.targets.map((x) => [x.target, x.threshold, x.pass === null ? 'n/a' : x.pass ? 'PASS' : 'FAIL', x.value])));
  process.stdout.write(out.join('\n') + '\n');
}

/** Per report and scope, over the 4 period × zone cases: worst p95, median p50, worst speed-up. */
function reportSummary(entries: ReportEntry[]) {
  const groups = new Map<string, ReportEntry[]>();
  for (const e of entries) {
    const k = `${e.report}/${e.scope}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return Object.fromEntries(
    [...groups].map(([k, list]) => [
      k,
      {
        p50_ms_median: round(percentile(list.map((e) => e.http.p50_ms ?? NaN), 0.5)),
        p95_ms_worst: round(Math.max(...list.map((e) => e.http.p95_ms ?? NaN))),
        naive_p50_ms_median: list.some((e) => e.naive) ? round(percentile(list.map((e) => e.naive?.p50_ms ?? NaN), 0.5)) : null,
        speedup_worst: list.some((e) => e.speedup_p50 !== null) ? Math.min(...list.map((e) => e.speedup_p50 ?? Infinity)) : null,
      },
    ]),
  );
}

function summaryOf(r: EngineResult) {
  const ing = r.ingest as { http?: { records_per_s: number; batch_ms: unknown }; bare?: { rows_per_s: number }; http_vs_bare?: number };
  return {
    engine: r.engine,
    runs: r.runs,
    duration_s: r.duration_s,
    http_ingest_records_per_s: ing.http?.records_per_s,
    http_batch_ms: ing.http?.batch_ms,
    bare_insert_rows_per_s: ing.bare?.rows_per_s,
    http_vs_bare: ing.http_vs_bare,
    cache_hits_per_s: r.cache ? Object.fromEntries(Object.entries(r.cache as Record<string, { hits_per_s: number }>).map(([k, v]) => [k, v.hits_per_s])) : null,
    export_rows_per_s: r.export?.rows_per_s ?? null,
    export_peak_rss_mb: r.export?.server_peak_rss_mb ?? null,
    export_cli_rows_per_s: r.export?.cli?.rows_per_s ?? null,
    export_cli_peak_rss_mb: r.export?.cli?.peak_rss_mb ?? null,
    restart_ready_ms: r.server.restart_ready_ms,
    rss_after_load_mb: r.server.rss_after_load_mb,
    reports: reportSummary(r.reports),
    targets: r.targets.map((t) => ({ target: t.target, threshold: t.threshold, pass: t.pass, value: t.value })),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const opts = parsed;
  const plan = planDataset({
    seed: opts.seed,
    runs: opts.runs,
    tenants: opts.tenants,
    services: opts.services,
    days: opts.days,
    endMs: opts.endMs,
    biggestShare: 0.3,
    samplesPerRun: opts.samplesPerRun,
    predictionsPerRun: opts.predictionsPerRun,
    incidentsPerThousandRuns: opts.incidentsPerThousandRuns,
    batchSize: opts.batchSize,
  });
  const e = plan.expected;
  const dataset = {
    seed: opts.seed,
    tenants: plan.tenants.length,
    services: opts.services,
    days: opts.days,
    span: { from: new Date(plan.startMs).toISOString(), to: new Date(opts.endMs).toISOString() },
    biggest: { id: plan.biggest.id, runs: plan.biggest.runs, share: round(plan.biggest.runs / opts.runs, 3) },
    mid: { id: plan.mid.id, runs: plan.mid.runs, share: round(plan.mid.runs / opts.runs, 4) },
    smallest: { id: plan.tenants.at(-1)!.id, runs: plan.tenants.at(-1)!.runs },
    metric_series: plan.metricSeries,
    expected: e,
    per_run: {
      incidents: round(e.incidents / e.workflow_runs, 4),
      metric_samples: round(e.metrics / e.workflow_runs, 3),
      predictions: round(e.predictions / e.workflow_runs, 3),
    },
    proportions_note:
      `per 1,000 runs: ${round((1000 * e.incidents) / e.workflow_runs, 1)} incidents, ${round((1000 * e.predictions) / e.workflow_runs, 0)} predictions (2 models), ` +
      `${round((1000 * e.metrics) / e.workflow_runs, 0)} metric samples (5-min samples of ${plan.metricSeries} (tenant, service) series only, the biggest and mid tenants included)`,
  };
  log(`dataset: ${fmtInt(e.workflow_runs)} runs, ${fmtInt(e.incidents)} incidents, ${fmtInt(e.metrics)} metric samples, ~${fmtInt(e.predictions)} predictions = ~${fmtInt(e.total)} records`);
  log(`  ${plan.tenants.length} tenants: biggest ${plan.biggest.id} ${fmtInt(plan.biggest.runs)} runs, mid ${plan.mid.id} ${fmtInt(plan.mid.runs)}; ${dataset.proportions_note}`);
  process.stdout.write(
    `Dataset (seed ${opts.seed}): ${fmtInt(e.workflow_runs)} runs over ${opts.days} days, ${plan.tenants.length} tenants (biggest ${plan.biggest.id}: ${fmtInt(plan.biggest.runs)} runs = 30%; mid-size ${plan.mid.id}: ${fmtInt(plan.mid.runs)}), ${opts.services} services; ` +
      `${dataset.proportions_note}; ~${fmtInt(e.total)} records in all.\n`,
  );
  await mkdir(resolve(ROOT, opts.outDir), { recursive: true });
  const results: EngineResult[] = [];
  const failures: { engine: Engine; error: string }[] = [];
  for (const engine of opts.engines) {
    log(`===== ${engine} =====`);
    try {
      const r = await benchEngine(engine, opts, plan);
      r.dataset = { ...dataset, ...r.dataset };
      r.notes.push(
        'Report latencies are client-measured over HTTP on the same machine (keep-alive), 1 warm-up then --reps timed requests with Cache-Control: no-cache.',
        'Naive baselines run in the benchmark process on the same storage settings after the server stopped; tenant filters pushed into every scan; trends day buckets use the zone offset at `from`; health uptime sums critical outages instead of their union.',
        'The server and the benchmark client share the machine: see ingest.http.client_cpu_seconds vs server_cpu_seconds.',
      );
      const file = resolve(ROOT, opts.outDir, `${engine}-${opts.runs}.json`);
      await writeFile(file, JSON.stringify(r, null, 2) + '\n');
      log(`${engine}: wrote ${file}`);
      printEngine(r);
      results.push(r);
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${engine}: FAILED: ${msg}`);
      failures.push({ engine, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const summary = { machine: machineInfo(), runs: opts.runs, dataset, engines: results.map(summaryOf), failures };
  process.stdout.write('\nJSON summary\n' + JSON.stringify(summary, null, 2) + '\n');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
