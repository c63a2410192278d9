/**
 * `npm run load` — mixed traffic against a real server (issue 8, item 3). Not a unit benchmark:
 * it checks that the server answers a realistic mix without a single error, at what latency,
 * and that its memory stays flat.
 *
 *  1. a private database (DuckDB in a temp dir, or a PostgreSQL database created on --pg-url and
 *     dropped after) and the server in a child process (`node --import tsx src/cli/main.ts
 *     serve`, ATOM_DEMO=0, LOG_LEVEL=warn, RATE_LIMIT_MAX=100000000, a random ATOM_ADMIN_KEY);
 *  2. two tenants with a key each; a modest dataset (default 50k runs over 30 days, with
 *     incidents, predictions and metric samples; bench/dataset.ts) sent through POST /ingest;
 *  3. `--duration` seconds (default 60; `--soak` 600) of `--concurrency` keep-alive workers
 *     (default 8), each drawing the next request from the weighted route mix in
 *     bench/load-traffic.ts: NDJSON ingest upserts, every report (cached and `no-cache`), small
 *     raw CSV exports, for both tenants, plus the admin all-tenant overview;
 *  4. the server's RSS and CPU from /proc/<pid>/ every second.
 *
 * Any non-2xx answer, socket error, timeout or malformed answer (wrong JSON, another tenant's
 * rows, ingest counts that do not add up) is an error: none is sent on purpose.
 * Output: a table and a JSON summary on stdout, progress on stderr, everything (per-second
 * samples included) in bench/results/load-<engine>-<duration>s.json. Exit code 1 when there
 * were errors, a route was never exercised, the server did not stop cleanly, or (with --soak)
 * RSS grew by 10% or more (first minute after a one-minute warm-up vs the last minute).
 *
 * `runLoad(options)` is the same run as a library function (test/reliability/load.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planDataset, streamDataset, type DatasetPlan } from './dataset.ts';
import { LoadHttpClient, type LoadResponse } from './load-http.ts';
import {
  createLoadDatabase,
  loadServerEnv,
  makeScratchDir,
  ProcSampler,
  readProcStat,
  startLoadServer,
  type LoadEngine,
  type LoadServer,
  type ProcSample,
} from './load-server.ts';
import { createRng, routePicker, ROUTES, TrafficState, type BuiltRequest, type RouteSpec } from './load-traffic.ts';
import { percentile, round } from './util.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SOAK_SECONDS = 600;
export const RSS_GROWTH_LIMIT_PERCENT = 10;

export interface LoadOptions {
  engine: LoadEngine;
  /** Seconds of mixed traffic (default 60; 600 with `soak`). */
  durationSec: number;
  /** Soak run: RSS growth ≥ 10% fails it. */
  soak: boolean;
  /** Concurrent keep-alive workers. */
  concurrency: number;
  /** Workflow runs in the seed dataset (two tenants, 60/40). */
  seedRuns: number;
  seedDays: number;
  seed: number;
  pgUrl: string;
  /**
   * PostgreSQL only: ANALYZE after the seed, as autovacuum would eventually (it may be off, as on
   * CI images, or not have run yet). Default off: the server is measured as it is.
   */
  analyzeAfterSeed: boolean;
  /** Directory for load-<engine>-<duration>s.json; null: write nothing. */
  outDir: string | null;
  /** Progress lines on stderr. */
  quiet: boolean;
  /** Stops the load early (Ctrl-C); cleanup still runs. */
  signal?: AbortSignal;
}

export const DEFAULT_OPTIONS: LoadOptions = {
  engine: 'duckdb',
  durationSec: 60,
  soak: false,
  concurrency: 8,
  seedRuns: 50_000,
  seedDays: 30,
  seed: 42,
  pgUrl: 'postgres://postgres@127.0.0.1:5432/test',
  analyzeAfterSeed: false,
  outDir: join(ROOT, 'bench', 'results'),
  quiet: false,
};

export interface RouteResult {
  route: string;
  method: string;
  pattern: string;
  kind: string;
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Reports: X-Cache hits and misses (requests sent without `no-cache` and with it). */
  cache?: { cacheable_requests: number; hits: number; misses: number; hit_p50_ms: number | null; miss_p50_ms: number | null };
  /** Ingest: records acknowledged by outcome. */
  ingest?: { records: number; inserted: number; updated: number; unchanged: number };
  bytes: number;
  statuses: Record<string, number>;
}

export interface ErrorSample {
  t_s: number;
  route: string;
  principal: string;
  status: number | null;
  message: string;
}

export interface RssWindow {
  from_s: number;
  to_s: number;
  avg_mb: number | null;
  samples: number;
}

export interface LoadResult {
  kind: 'atom-load';
  version: 1;
  engine: LoadEngine;
  soak: boolean;
  duration_s: number;
  elapsed_s: number;
  aborted: boolean;
  concurrency: number;
  started_at: string;
  machine: { nproc: number; total_memory_mb: number; cpu_model: string; node_version: string; load_average_before: number[]; load_average_after: number[] };
  seed: { runs: number; days: number; records: number; batches: number; seconds: number; records_per_s: number; analyzed: boolean };
  server: {
    ready_ms: number;
    rss_after_start_mb: number | null;
    rss_after_seed_mb: number | null;
    cpu_cores_during_load: number | null;
    log_warnings: number;
    log_errors: number;
    log_samples: string[];
    exit: number | string | null;
    alive_at_end: boolean;
  };
  client: { cpu_cores: number; rss_mb: number };
  totals: { requests: number; errors: number; rps: number; p50_ms: number | null; p99_ms: number | null };
  routes: RouteResult[];
  /** Every 10 s of the load: requests finished, errors, latency over all routes, server RSS and CPU. */
  timeline: {
    t_s: number;
    requests: number;
    rps: number;
    errors: number;
    p50_ms: number | null;
    p99_ms: number | null;
    rss_mb: number | null;
    heap_used_mb: number | null;
    db_files_mb: number | null;
    server_cpu_cores: number | null;
  }[];
  errors_by_cause: Record<string, number>;
  error_samples: ErrorSample[];
  rss: {
    start_mb: number | null;
    end_mb: number | null;
    peak_mb: number | null;
    growth_start_to_end_percent: number | null;
    warmup_s: number;
    first_window: RssWindow;
    last_window: RssWindow;
    /** (last window avg − first window avg) / first window avg × 100: the leak figure. */
    growth_percent: number | null;
    limit_percent: number;
    /** Enforced for --soak only; shorter runs report it. */
    enforced: boolean;
    samples: ProcSample[];
  };
  /**
   * Where the memory is, every 10 s: the server's V8 heap and external memory from its own
   * GET /metrics (prom-client defaults), and the size of the DuckDB files. A JS leak grows
   * heap_used; RSS growth with a flat heap is native (DuckDB buffers, allocator).
   */
  memory: {
    heap_used_first_window_mb: number | null;
    heap_used_last_window_mb: number | null;
    heap_used_growth_percent: number | null;
    db_files_start_mb: number | null;
    db_files_end_mb: number | null;
    samples: MemorySample[];
  };
  checks: { zero_errors: boolean; all_routes_exercised: boolean; server_stopped_cleanly: boolean; rss_growth_ok: boolean | null };
  passed: boolean;
}

function logTo(quiet: boolean) {
  return (msg: string) => {
    if (!quiet) process.stderr.write(`[load] ${msg}\n`);
  };
}

// ---------------------------------------------------------------------------------------------
// Setup: tenants, keys, seed

async function mustJson(res: LoadResponse, what: string): Promise<Record<string, unknown>> {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

async function createTenantsAndKeys(client: LoadHttpClient, adminKey: string, plan: DatasetPlan) {
  const out: { id: string; key: string }[] = [];
  for (const t of plan.tenants) {
    await mustJson(
      await client.send({
        method: 'POST',
        path: '/tenants',
        key: adminKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: t.id, name: t.name }),
        keepBody: true,
      }),
      `POST /tenants ${t.id}`,
    );
    const k = await mustJson(
      await client.send({
        method: 'POST',
        path: `/tenants/${t.id}/keys`,
        key: adminKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'load' }),
        keepBody: true,
      }),
      `POST /tenants/${t.id}/keys`,
    );
    out.push({ id: t.id, key: String(k.key) });
  }
  return out;
}

/** The seed dataset through the API with the tenants' own keys, NDJSON batches of 1,000. */
async function seedDataset(client: LoadHttpClient, plan: DatasetPlan, keys: Map<string, string>, concurrency: number, log: (m: string) => void) {
  const t0 = performance.now();
  const it = streamDataset(plan);
  let records = 0;
  let batches = 0;
  let lastLog = t0;
  let failed: unknown = null;
  const worker = async () => {
    for (;;) {
      if (failed) return;
      const next = it.next();
      if (next.done) return;
      const b = next.value;
      try {
        const res = await client.send({
          method: 'POST',
          path: `/ingest/${b.kind}`,
          key: keys.get(b.tenantId)!,
          headers: { 'content-type': 'application/x-ndjson' },
          body: b.records.map((r) => JSON.stringify(r)).join('\n') + '\n',
          keepBody: true,
        });
        await mustJson(res, `seed POST /ingest/${b.kind}`);
      } catch (err) {
        failed ??= err;
        return;
      }
      records += b.records.length;
      batches++;
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  seed: ${records.toLocaleString('en-US')} / ~${plan.expected.total.toLocaleString('en-US')} records`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed) throw failed;
  const seconds = (performance.now() - t0) / 1000;
  return { records, batches, seconds };
}

// ---------------------------------------------------------------------------------------------
// The load

interface RouteStats {
  spec: RouteSpec;
  latencies: number[];
  errors: number;
  bytes: number;
  statuses: Map<string, number>;
  cacheable: number;
  hits: number;
  misses: number;
  hitMs: number[];
  missMs: number[];
  ingest: { records: number; inserted: number; updated: number; unchanged: number };
}

/** Why an answer is wrong even with a 2xx status; null when it is fine. */
function checkAnswer(req: BuiltRequest, res: LoadResponse, route: RouteStats, tenantCount: number): string | null {
  if (req.expect === 'csv') {
    const ct = String(res.headers['content-type'] ?? '');
    if (!ct.startsWith('text/csv')) return `content-type ${ct}`;
    if (res.bytes === 0) return 'empty CSV (no header row)';
    return null;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `not JSON: ${res.body.slice(0, 120)}`;
  }
  if (req.expect === 'json-ingest') {
    const n = ['inserted', 'updated', 'unchanged'].map((k) => body[k]);
    if (!n.every((x) => typeof x === 'number')) return `ingest answer without counts: ${res.body.slice(0, 200)}`;
    const [ins, upd, unc] = n as number[];
    const sent = req.body!.trimEnd().split('\n').length;
    if (ins + upd + unc !== sent) return `ingest counts ${ins}+${upd}+${unc} ≠ ${sent} records sent`;
    route.ingest.records += sent;
    route.ingest.inserted += ins;
    route.ingest.updated += upd;
    route.ingest.unchanged += unc;
    return null;
  }
  const xc = res.headers['x-cache'];
  if (xc === 'hit') {
    route.hits++;
    route.hitMs.push(res.ms);
  } else if (xc === 'miss') {
    route.misses++;
    route.missMs.push(res.ms);
  } else return `X-Cache header ${String(xc)}`;
  if (!req.cacheable && xc === 'hit') return 'X-Cache: hit on a Cache-Control: no-cache request';
  // Tenancy under load: a tenant key sees only its own rows; the admin sees both tenants.
  if (req.principal === 'admin') {
    const rows = body.rows as unknown[] | undefined;
    if (!Array.isArray(rows) || rows.length !== tenantCount) return `admin overview with ${Array.isArray(rows) ? rows.length : 'no'} rows, expected ${tenantCount}`;
    return null;
  }
  if ('points' in body) {
    if (body.tenant_id !== req.principal || !Array.isArray(body.points) || body.points.length === 0) return `trends for ${String(body.tenant_id)} with ${Array.isArray(body.points) ? body.points.length : 'no'} points`;
    return null;
  }
  const rows = body.rows as { tenant_id?: unknown }[] | undefined;
  if (!Array.isArray(rows) || rows.length === 0) return 'report without rows';
  const foreign = rows.find((r) => r.tenant_id !== req.principal);
  if (foreign) return `row of tenant ${String(foreign.tenant_id)} in an answer to ${req.principal}`;
  return null;
}

export interface MemorySample {
  t_s: number;
  heap_used_mb: number | null;
  heap_total_mb: number | null;
  external_mb: number | null;
  db_files_mb: number | null;
}

function metricMb(text: string, name: string): number | null {
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? round(Number(m[1]) / 1024 / 1024, 1) : null;
}

async function dirSizeMb(dir: string | undefined): Promise<number | null> {
  if (!dir) return null;
  try {
    let bytes = 0;
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) bytes += (await stat(join(e.parentPath ?? e.path, e.name))).size;
    }
    return round(bytes / 1024 / 1024, 1);
  } catch {
    return null;
  }
}

/** Every `intervalMs`: the server's /metrics memory gauges and the database files' size. */
function startMemoryScraper(url: string, dataDir: string | undefined, t0: number, intervalMs = 10_000) {
  const samples: MemorySample[] = [];
  let busy = false;
  const scrape = async () => {
    if (busy) return;
    busy = true;
    const t_s = round((performance.now() - t0) / 1000, 2)!;
    try {
      let text = '';
      try {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
        text = await res.text();
      } catch {
        // a missed scrape is not a load error; the gap shows in the samples
      }
      samples.push({
        t_s,
        heap_used_mb: metricMb(text, 'nodejs_heap_size_used_bytes'),
        heap_total_mb: metricMb(text, 'nodejs_heap_size_total_bytes'),
        external_mb: metricMb(text, 'nodejs_external_memory_bytes'),
        db_files_mb: await dirSizeMb(dataDir),
      });
    } finally {
      busy = false;
    }
  };
  void scrape();
  const timer = setInterval(() => void scrape(), intervalMs);
  timer.unref();
  return {
    samples,
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 20));
      await scrape();
    },
  };
}

function avgOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? round(v.reduce((a, b) => a + b, 0) / v.length, 1) : null;
}

function rssWindow(samples: ProcSample[], from: number, to: number): RssWindow {
  const xs = samples.filter((s) => s.t_s >= from && s.t_s <= to).map((s) => s.rss_mb);
  return { from_s: round(from, 1)!, to_s: round(to, 1)!, avg_mb: xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 1) : null, samples: xs.length };
}

function growth(from: number | null | undefined, to: number | null | undefined): number | null {
  if (from === null || from === undefined || to === null || to === undefined || from <= 0) return null;
  return round(((to - from) / from) * 100, 2);
}

export async function runLoad(partial: Partial<LoadOptions> = {}): Promise<LoadResult> {
  const opts: LoadOptions = { ...DEFAULT_OPTIONS, ...partial };
  if (partial.soak && partial.durationSec === undefined) opts.durationSec = SOAK_SECONDS;
  const log = logTo(opts.quiet);
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const scratch = await makeScratchDir(opts.engine);
  let db: Awaited<ReturnType<typeof createLoadDatabase>> | null = null;
  let server: LoadServer | null = null;
  let client: LoadHttpClient | null = null;
  let sampler: ProcSampler | null = null;
  try {
    db = await createLoadDatabase(opts.engine, opts.pgUrl, scratch.dir);
    const adminKey = `atom_admin_${randomBytes(16).toString('hex')}`;
    const env = loadServerEnv({ ...db.env, ATOM_ADMIN_KEY: adminKey, EXPORT_DIR: join(scratch.dir, 'exports') });
    log(`${opts.engine}: starting the server (${db.description})`);
    server = await startLoadServer(ROOT, env);
    const rssAfterStart = readProcStat(server.pid)?.rssMb ?? null;
    log(`server ${server.url} pid ${server.pid} ready in ${Math.round(server.readyMs)} ms, RSS ${rssAfterStart?.toFixed(0)} MiB`);
    client = new LoadHttpClient(server.url, Math.max(opts.concurrency, 4));

    // Seed: two tenants (60/40), ending at the current hour so the default-style 30-day periods cover it.
    const endMs = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const plan = planDataset({
      seed: opts.seed,
      runs: opts.seedRuns,
      tenants: 2,
      services: 8,
      days: opts.seedDays,
      endMs,
      biggestShare: 0.6,
      samplesPerRun: 0.3,
      predictionsPerRun: 0.2,
      incidentsPerThousandRuns: 5,
      batchSize: 1000,
    });
    const tenants = await createTenantsAndKeys(client, adminKey, plan);
    const keys = new Map(tenants.map((t) => [t.id, t.key]));
    log(`seeding ~${plan.expected.total.toLocaleString('en-US')} records (${opts.seedRuns.toLocaleString('en-US')} runs over ${opts.seedDays} days, tenants ${tenants.map((t) => t.id).join(', ')})`);
    const seeded = await seedDataset(client, plan, keys, Math.min(4, opts.concurrency), log);
    const rssAfterSeed = readProcStat(server.pid)?.rssMb ?? null;
    log(`seeded ${seeded.records.toLocaleString('en-US')} records in ${seeded.seconds.toFixed(1)} s; RSS ${rssAfterSeed?.toFixed(0)} MiB`);
    const analyzed = opts.analyzeAfterSeed && db.analyze !== undefined;
    if (analyzed) {
      log('ANALYZE after the seed (--analyze)');
      await db.analyze!();
    }

    // Load
    const traffic = new TrafficState({ tenants, adminKey, anchorMs: Math.floor(Date.now() / 60_000) * 60_000 });
    const pick = routePicker(ROUTES);
    const stats = new Map<string, RouteStats>(
      ROUTES.map((spec) => [
        spec.name,
        { spec, latencies: [], errors: 0, bytes: 0, statuses: new Map(), cacheable: 0, hits: 0, misses: 0, hitMs: [], missMs: [], ingest: { records: 0, inserted: 0, updated: 0, unchanged: 0 } },
      ]),
    );
    const errorsByCause = new Map<string, number>();
    const errorSamples: ErrorSample[] = [];
    const clientCpu0 = process.cpuUsage();
    log(`load: ${opts.durationSec} s, ${opts.concurrency} workers, ${ROUTES.length} routes${opts.soak ? ' (soak)' : ''}`);
    sampler = new ProcSampler(server.pid, 1000);
    const t0 = performance.now();
    // RSS windows: a one-minute warm-up then the first minute vs the last minute for the soak;
    // proportionally shorter (≥ 5 s) for short runs.
    const window = opts.soak ? 60 : Math.min(60, Math.max(5, opts.durationSec / 6));
    const memory = startMemoryScraper(server.url, db.env.DATA_DIR, t0, Math.min(10_000, (window * 1000) / 3));
    const deadline = t0 + opts.durationSec * 1000;
    let total = 0;
    let totalErrors = 0;
    const BUCKET_S = 10;
    const buckets: { latencies: number[]; errors: number }[] = [];
    const bucketOf = () => {
      const i = Math.floor((performance.now() - t0) / 1000 / BUCKET_S);
      while (buckets.length <= i) buckets.push({ latencies: [], errors: 0 });
      return buckets[i]!;
    };
    const recordError = (route: RouteStats, req: BuiltRequest, status: number | null, cause: string, message: string) => {
      route.errors++;
      totalErrors++;
      bucketOf().errors++;
      errorsByCause.set(cause, (errorsByCause.get(cause) ?? 0) + 1);
      if (errorSamples.length < 30) errorSamples.push({ t_s: round((performance.now() - t0) / 1000, 2)!, route: route.spec.name, principal: req.principal, status, message: message.slice(0, 500) });
    };
    const progress = setInterval(() => {
      const secs = (performance.now() - t0) / 1000;
      const last = sampler?.last();
      log(`  ${secs.toFixed(0)}s: ${total.toLocaleString('en-US')} requests (${(total / secs).toFixed(0)}/s), ${totalErrors} errors, server RSS ${last?.rss_mb.toFixed(0)} MiB`);
    }, opts.durationSec >= 120 ? 30_000 : 10_000);
    progress.unref();
    const worker = async (w: number) => {
      const rng = createRng(opts.seed * 1009 + w);
      while (performance.now() < deadline && !opts.signal?.aborted) {
        if (server!.exitCode() !== null) return;
        const spec = pick(rng);
        const route = stats.get(spec.name)!;
        const req = spec.build(traffic, rng);
        if (req.cacheable) route.cacheable++;
        const sent = performance.now();
        let res: LoadResponse;
        try {
          res = await client!.send(req);
        } catch (err) {
          total++;
          route.latencies.push(performance.now() - sent);
          bucketOf().latencies.push(performance.now() - sent);
          recordError(route, req, null, 'socket', (err as Error).message);
          continue;
        }
        total++;
        route.latencies.push(res.ms);
        bucketOf().latencies.push(res.ms);
        route.bytes += res.bytes;
        route.statuses.set(String(res.status), (route.statuses.get(String(res.status)) ?? 0) + 1);
        if (res.status < 200 || res.status >= 300) {
          recordError(route, req, res.status, `http_${res.status}`, res.body.slice(0, 500));
          continue;
        }
        const bad = checkAnswer(req, res, route, tenants.length);
        if (bad) recordError(route, req, res.status, 'bad_answer', bad);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w)));
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(progress);
    sampler.stop();
    await memory.stop();
    const clientCpu = process.cpuUsage(clientCpu0);
    const loadAfter = os.loadavg();
    const serverDied = server.exitCode() !== null;
    if (serverDied) {
      totalErrors++;
      errorsByCause.set('server_exited', 1);
      errorSamples.push({ t_s: round(elapsed, 2)!, route: '-', principal: '-', status: null, message: `server exited (${server.exitCode()}) during the load:\n${server.outputTail()}` });
    }
    log(`load done: ${total.toLocaleString('en-US')} requests in ${elapsed.toFixed(1)} s, ${totalErrors} errors; stopping the server`);
    const exit = await server.stop();
    client.close();
    client = null;

    // Results
    const routes: RouteResult[] = [...stats.values()].map((r) => ({
      route: r.spec.name,
      method: r.spec.method,
      pattern: r.spec.pattern,
      kind: r.spec.kind,
      requests: r.latencies.length,
      errors: r.errors,
      rps: round(r.latencies.length / elapsed, 2)!,
      p50_ms: round(percentile(r.latencies, 0.5)),
      p99_ms: round(percentile(r.latencies, 0.99)),
      max_ms: round(r.latencies.length ? Math.max(...r.latencies) : null),
      ...(r.spec.kind === 'report' ? { cache: { cacheable_requests: r.cacheable, hits: r.hits, misses: r.misses, hit_p50_ms: round(percentile(r.hitMs, 0.5)), miss_p50_ms: round(percentile(r.missMs, 0.5)) } } : {}),
      ...(r.spec.kind === 'ingest' ? { ingest: r.ingest } : {}),
      bytes: r.bytes,
      statuses: Object.fromEntries(r.statuses),
    }));
    const all = [...stats.values()].flatMap((r) => r.latencies);
    const samples = sampler.samples;
    const warmup = window;
    const firstWindow = rssWindow(samples, warmup, warmup + window);
    const lastWindow = rssWindow(samples, Math.max(warmup + window, elapsed - window), elapsed + 1);
    const rssGrowth = growth(firstWindow.avg_mb, lastWindow.avg_mb);
    const startMb = samples[0]?.rss_mb ?? null;
    const endMb = samples[samples.length - 1]?.rss_mb ?? null;
    const cpuCores = samples.length >= 2 ? (samples[samples.length - 1]!.cpu_s - samples[0]!.cpu_s) / Math.max(1e-9, samples[samples.length - 1]!.t_s - samples[0]!.t_s) : null;
    const inWindow = (w: RssWindow) => memory.samples.filter((m) => m.t_s >= w.from_s && m.t_s <= w.to_s);
    const heapFirst = avgOf(inWindow(firstWindow).map((m) => m.heap_used_mb));
    const heapLast = avgOf(inWindow(lastWindow).map((m) => m.heap_used_mb));
    const checks = {
      zero_errors: totalErrors === 0,
      all_routes_exercised: routes.every((r) => r.requests > 0),
      server_stopped_cleanly: !serverDied && exit === 0,
      rss_growth_ok: rssGrowth === null ? null : rssGrowth < RSS_GROWTH_LIMIT_PERCENT,
    };
    const passed = checks.zero_errors && checks.all_routes_exercised && checks.server_stopped_cleanly && !(opts.soak && checks.rss_growth_ok !== true) && !opts.signal?.aborted;
    // The requests still in flight at the deadline land in a short last bucket: fold it into the one before.
    if (buckets.length >= 2 && elapsed - (buckets.length - 1) * BUCKET_S < BUCKET_S / 2) {
      const tail = buckets.pop()!;
      buckets[buckets.length - 1]!.latencies.push(...tail.latencies);
      buckets[buckets.length - 1]!.errors += tail.errors;
    }
    const timeline = buckets.map((b, i) => {
      const from = i * BUCKET_S;
      const to = i === buckets.length - 1 ? elapsed : from + BUCKET_S;
      const inside = samples.filter((s) => s.t_s >= from && s.t_s <= to);
      const first = inside[0];
      const last = inside[inside.length - 1];
      const mem = memory.samples.filter((m) => m.t_s >= from && m.t_s <= to).pop();
      return {
        t_s: from,
        requests: b.latencies.length,
        rps: round(b.latencies.length / Math.max(1e-9, to - from), 1)!,
        errors: b.errors,
        p50_ms: round(percentile(b.latencies, 0.5)),
        p99_ms: round(percentile(b.latencies, 0.99)),
        rss_mb: last ? round(last.rss_mb, 1) : null,
        heap_used_mb: mem?.heap_used_mb ?? null,
        db_files_mb: mem?.db_files_mb ?? null,
        server_cpu_cores: first && last && last.t_s > first.t_s ? round((last.cpu_s - first.cpu_s) / (last.t_s - first.t_s), 2) : null,
      };
    });
    const result: LoadResult = {
      kind: 'atom-load',
      version: 1,
      engine: opts.engine,
      soak: opts.soak,
      duration_s: opts.durationSec,
      elapsed_s: round(elapsed, 2)!,
      aborted: opts.signal?.aborted ?? false,
      concurrency: opts.concurrency,
      started_at: startedAt.toISOString(),
      machine: {
        nproc: os.availableParallelism(),
        total_memory_mb: Math.round(os.totalmem() / 1024 / 1024),
        cpu_model: os.cpus()[0]?.model ?? 'unknown',
        node_version: process.version,
        load_average_before: loadBefore.map((x) => round(x)!),
        load_average_after: loadAfter.map((x) => round(x)!),
      },
      seed: {
        runs: opts.seedRuns,
        days: opts.seedDays,
        records: seeded.records,
        batches: seeded.batches,
        seconds: round(seeded.seconds, 2)!,
        records_per_s: Math.round(seeded.records / seeded.seconds),
        analyzed,
      },
      server: {
        ready_ms: Math.round(server.readyMs),
        rss_after_start_mb: round(rssAfterStart, 1),
        rss_after_seed_mb: round(rssAfterSeed, 1),
        cpu_cores_during_load: round(cpuCores, 2),
        log_warnings: server.logs.warn,
        log_errors: server.logs.error + server.logs.fatal,
        log_samples: server.logs.samples,
        exit,
        alive_at_end: !serverDied,
      },
      client: { cpu_cores: round((clientCpu.user + clientCpu.system) / 1e6 / elapsed, 2)!, rss_mb: round(process.memoryUsage().rss / 1024 / 1024, 1)! },
      totals: { requests: total, errors: totalErrors, rps: round(total / elapsed, 2)!, p50_ms: round(percentile(all, 0.5)), p99_ms: round(percentile(all, 0.99)) },
      routes,
      timeline,
      errors_by_cause: Object.fromEntries(errorsByCause),
      error_samples: errorSamples,
      rss: {
        start_mb: round(startMb, 1),
        end_mb: round(endMb, 1),
        peak_mb: round(samples.length ? Math.max(...samples.map((s) => s.rss_mb)) : null, 1),
        growth_start_to_end_percent: growth(startMb, endMb),
        warmup_s: warmup,
        first_window: firstWindow,
        last_window: lastWindow,
        growth_percent: rssGrowth,
        limit_percent: RSS_GROWTH_LIMIT_PERCENT,
        enforced: opts.soak,
        samples: samples.map((s) => ({ t_s: round(s.t_s, 2)!, rss_mb: round(s.rss_mb, 1)!, cpu_s: round(s.cpu_s, 2)! })),
      },
      memory: {
        heap_used_first_window_mb: heapFirst,
        heap_used_last_window_mb: heapLast,
        heap_used_growth_percent: growth(heapFirst, heapLast),
        db_files_start_mb: memory.samples[0]?.db_files_mb ?? null,
        db_files_end_mb: memory.samples[memory.samples.length - 1]?.db_files_mb ?? null,
        samples: memory.samples,
      },
      checks,
      passed,
    };
    if (opts.outDir) {
      await mkdir(opts.outDir, { recursive: true });
      const file = join(opts.outDir, `load-${opts.engine}-${opts.durationSec}s${analyzed ? '-analyze' : ''}${result.aborted ? '-aborted' : ''}.json`);
      await writeFile(file, JSON.stringify(result, null, 2) + '\n');
      log(`wrote ${file}`);
    }
    return result;
  } finally {
    sampler?.stop();
    client?.close();
    if (server && server.exitCode() === null) {
      // Only reached on a failure path: the normal path stopped it gracefully above.
      await server.stop(10_000).catch(() => undefined);
    }
    await db?.dispose().catch((err: unknown) => log(`could not drop the database: ${(err as Error).message}`));
    await scratch.dispose().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

export function formatTable(r: LoadResult): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(`ATOM load — ${r.engine}, ${r.elapsed_s.toFixed(0)} s${r.soak ? ' (soak)' : ''}, ${r.concurrency} workers, seed ${r.seed.records.toLocaleString('en-US')} records (${r.seed.runs.toLocaleString('en-US')} runs / ${r.seed.days} days, 2 tenants${r.seed.analyzed ? ', ANALYZEd' : ''})`);
  lines.push('');
  const head = ['route', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'notes'];
  const w = [26, 9, 8, 8, 8, 8, 7];
  lines.push(head.map((h, i) => (i === 0 || i === 7 ? pad(h, w[i] ?? 0) : pad(h, w[i]!, true))).join('  '));
  lines.push('-'.repeat(110));
  for (const x of r.routes) {
    const notes = x.cache
      ? `X-Cache ${x.cache.hits} hit (p50 ${fmt(x.cache.hit_p50_ms)} ms) / ${x.cache.misses} miss (p50 ${fmt(x.cache.miss_p50_ms)} ms); ${x.cache.cacheable_requests} sent cacheable`
      : x.ingest
        ? `${x.ingest.records.toLocaleString('en-US')} records: ${x.ingest.inserted} ins / ${x.ingest.updated} upd / ${x.ingest.unchanged} unch`
        : `${(x.bytes / 1024 / Math.max(1, x.requests)).toFixed(1)} KiB/answer`;
    lines.push(
      [
        pad(x.route, w[0]!),
        pad(x.requests.toLocaleString('en-US'), w[1]!, true),
        pad(fmt(x.rps), w[2]!, true),
        pad(fmt(x.p50_ms), w[3]!, true),
        pad(fmt(x.p99_ms), w[4]!, true),
        pad(fmt(x.max_ms), w[5]!, true),
        pad(String(x.errors), w[6]!, true),
        notes,
      ].join('  '),
    );
  }
  lines.push('-'.repeat(110));
  lines.push(
    [
      pad('total', w[0]!),
      pad(r.totals.requests.toLocaleString('en-US'), w[1]!, true),
      pad(fmt(r.totals.rps), w[2]!, true),
      pad(fmt(r.totals.p50_ms), w[3]!, true),
      pad(fmt(r.totals.p99_ms), w[4]!, true),
      pad('', w[5]!),
      pad(String(r.totals.errors), w[6]!, true),
    ].join('  '),
  );
  lines.push('');
  // Over time: rows of 10 s, or of whole minutes for long runs (rps, worst p99, last RSS).
  const per = Math.max(1, Math.ceil(r.timeline.length / 12));
  const tl: string[] = [];
  for (let i = 0; i < r.timeline.length; i += per) {
    const g = r.timeline.slice(i, i + per);
    const reqs = g.reduce((a, x) => a + x.requests, 0);
    const secs = g.reduce((a, x) => a + (x.requests && x.rps ? x.requests / x.rps : 0), 0);
    const p99 = Math.max(...g.map((x) => x.p99_ms ?? 0));
    const cpu = g.map((x) => x.server_cpu_cores).filter((x): x is number => x !== null);
    tl.push(
      `  ${pad(`${g[0]!.t_s}s`, 6, true)}  ${pad(fmt(secs ? reqs / secs : 0), 6, true)} req/s  p50 ${pad(fmt(g[0]!.p50_ms), 5, true)} ms  p99≤ ${pad(fmt(p99), 6, true)} ms  errors ${g.reduce((a, x) => a + x.errors, 0)}  RSS ${pad(fmt(g[g.length - 1]!.rss_mb), 5, true)} MiB  heap ${pad(fmt(g[g.length - 1]!.heap_used_mb), 5, true)} MiB${g[g.length - 1]!.db_files_mb !== null ? `  db files ${fmt(g[g.length - 1]!.db_files_mb)} MiB` : ''}  server CPU ${fmt(cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : null, 2)}`,
    );
  }
  lines.push(`over time (rows of ${per * 10} s; p50 of the first 10 s of each row):`);
  lines.push(...tl);
  lines.push('');
  const rss = r.rss;
  lines.push(
    `server RSS: ${fmt(r.server.rss_after_start_mb)} MiB after start, ${fmt(r.server.rss_after_seed_mb)} after seed; load start ${fmt(rss.start_mb)} → end ${fmt(rss.end_mb)} MiB (${fmt(rss.growth_start_to_end_percent, 2)}%), peak ${fmt(rss.peak_mb)}`,
  );
  lines.push(
    `RSS growth ${fmt(rss.growth_percent, 2)}%: avg ${fmt(rss.first_window.avg_mb)} MiB over ${rss.first_window.from_s}–${rss.first_window.to_s} s vs ${fmt(rss.last_window.avg_mb)} MiB over ${rss.last_window.from_s}–${rss.last_window.to_s} s (limit < ${rss.limit_percent}%${rss.enforced ? '' : ', enforced with --soak only'})`,
  );
  const mem = r.memory;
  lines.push(
    `server JS heap used ${fmt(mem.heap_used_first_window_mb)} → ${fmt(mem.heap_used_last_window_mb)} MiB over the same windows (${fmt(mem.heap_used_growth_percent, 2)}%)${mem.db_files_start_mb !== null ? `; DuckDB files ${fmt(mem.db_files_start_mb)} → ${fmt(mem.db_files_end_mb)} MiB` : ''}`,
  );
  lines.push(`server CPU ${fmt(r.server.cpu_cores_during_load, 2)} cores, load generator CPU ${fmt(r.client.cpu_cores, 2)} cores (${r.machine.nproc} available); server log: ${r.server.log_warnings} warnings, ${r.server.log_errors} errors; exit ${String(r.server.exit)}`);
  if (r.totals.errors) {
    lines.push('');
    lines.push(`errors by cause: ${JSON.stringify(r.errors_by_cause)}`);
    for (const e of r.error_samples.slice(0, 10)) lines.push(`  ${e.t_s}s ${e.route} (${e.principal}) ${e.status ?? 'no status'}: ${e.message.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  lines.push('');
  lines.push(
    `checks: zero errors ${r.checks.zero_errors ? 'PASS' : 'FAIL'}, every route exercised ${r.checks.all_routes_exercised ? 'PASS' : 'FAIL'}, clean stop ${r.checks.server_stopped_cleanly ? 'PASS' : 'FAIL'}, RSS growth < ${rss.limit_percent}% ${r.checks.rss_growth_ok === null ? 'n/a' : r.checks.rss_growth_ok ? 'PASS' : rss.enforced ? 'FAIL' : 'over (not enforced)'} → ${r.passed ? 'PASSED' : 'FAILED'}`,
  );
  return lines.join('\n');
}

/** The JSON summary on stdout: the result without the per-second samples. */
export function summaryOf(r: LoadResult): object {
  const { samples: _samples, ...rss } = r.rss;
  return {
    engine: r.engine,
    soak: r.soak,
    duration_s: r.duration_s,
    concurrency: r.concurrency,
    seed: r.seed,
    totals: r.totals,
    routes: Object.fromEntries(r.routes.map((x) => [x.route, { requests: x.requests, rps: x.rps, p50_ms: x.p50_ms, p99_ms: x.p99_ms, errors: x.errors }])),
    errors_by_cause: r.errors_by_cause,
    rss,
    memory: { ...r.memory, samples: undefined },
    server: { cpu_cores_during_load: r.server.cpu_cores_during_load, log_warnings: r.server.log_warnings, log_errors: r.server.log_errors, exit: r.server.exit },
    checks: r.checks,
    passed: r.passed,
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

export const HELP = `ATOM Analytics load test (issue 8): mixed traffic against a real server process.

Usage: npm run load -- [flags]

  --engine duckdb|postgres  storage engine (default duckdb); postgres creates a private database
                            on --pg-url and drops it at the end
  --duration SECONDS        length of the load (default 60)
  --soak                    a 600 s soak (unless --duration is given): fails when the server's
                            RSS grows by 10% or more (first minute after a one-minute warm-up vs
                            the last minute)
  --concurrency N           keep-alive workers (default 8)
  --seed-runs N             workflow runs seeded before the load, two tenants (default 50000;
                            accepts 50k)
  --seed-days N             span of the seed dataset (default 30)
  --seed N                  random seed (default 42)
  --pg-url URL              PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/test)
  --analyze                 postgres: ANALYZE after the seed, as autovacuum eventually would
                            (default: measure the server as it is, statistics or not)
  --out-dir DIR             where load-<engine>-<duration>s[-analyze].json goes (default
                            bench/results)
  --help                    this text

Exit code: 0 passed; 1 errors, a route never exercised, an unclean server stop, or (--soak)
RSS growth ≥ 10%; 2 bad flags or a failed setup.`;

function parseCount(flag: string, v: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec((v ?? '').replace(/_/g, ''));
  if (!m) throw new Error(`${flag} needs a number, got "${v ?? ''}"`);
  const n = Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be positive`);
  return Math.round(n);
}

export function parseLoadArgs(argv: string[]): Partial<LoadOptions> | 'help' {
  const o: Partial<LoadOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--engine': {
        const v = value();
        if (v !== 'duckdb' && v !== 'postgres') throw new Error(`--engine must be duckdb or postgres, got "${v ?? ''}"`);
        o.engine = v;
        break;
      }
      case '--duration':
        o.durationSec = parseCount(flag, value());
        break;
      case '--soak':
        o.soak = true;
        break;
      case '--concurrency':
        o.concurrency = parseCount(flag, value());
        break;
      case '--seed-runs':
        o.seedRuns = parseCount(flag, value());
        break;
      case '--seed-days':
        o.seedDays = parseCount(flag, value());
        break;
      case '--seed':
        o.seed = parseCount(flag, value());
        break;
      case '--analyze':
        o.analyzeAfterSeed = true;
        break;
      case '--pg-url':
        o.pgUrl = value() ?? '';
        break;
      case '--out-dir':
        o.outDir = resolve(value() ?? '');
        break;
      default:
        throw new Error(`unknown flag ${a} (see --help)`);
    }
  }
  return o;
}

async function main(): Promise<number> {
  let parsed: Partial<LoadOptions> | 'help';
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('[load] interrupted: finishing in-flight requests and cleaning up (Ctrl-C again to force)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  let result: LoadResult;
  try {
    result = await runLoad({ ...parsed, signal: abort.signal });
  } catch (err) {
    process.stderr.write(`[load] setup failed: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
  process.stdout.write(formatTable(result) + '\n\n');
  process.stdout.write(JSON.stringify(summaryOf(result), null, 2) + '\n');
  return result.passed ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  process.exitCode = await main();
}
