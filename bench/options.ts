/** Command-line flags of `npm run bench -- …`. */

export type Engine = 'duckdb' | 'postgres';

export interface BenchOptions {
  runs: number;
  engines: Engine[];
  clients: number;
  /** Raw --http-share: null = default (all up to 1M runs, else a 500k-record slice). */
  httpShare: number | null;
  reps: number;
  caseBudgetSeconds: number;
  seed: number;
  batchSize: number;
  tenants: number;
  services: number;
  days: number;
  endMs: number;
  samplesPerRun: number;
  predictionsPerRun: number;
  incidentsPerThousandRuns: number;
  cacheSeconds: number;
  cacheClients: number;
  bareMax: number;
  pgUrl: string;
  keep: boolean;
  outDir: string;
  skipReports: boolean;
}

export const HELP = `ATOM Analytics benchmark (issue 7) — not a test: it measures and reports, it never fails on a target.

Usage: npm run bench -- [flags]

For each engine it loads a deterministic synthetic dataset through the real HTTP API of a real
server process (node --import tsx src/cli/main.ts serve), then measures: HTTP ingest vs the
engine's bare insert rate, every report in src/reports/registry.ts (Cache-Control: no-cache)
vs a naive aggregate-SQL baseline, cache hits/s, raw CSV export rows/s with the server's peak
RSS, the server's RSS after load and its start-up time on the loaded database.
Writes bench/results/<engine>-<runs>.json; prints tables and a JSON summary on stdout,
progress on stderr.

Dataset
  --runs N                workflow runs in total (default 1,000,000; accepts 100k, 1M, 10M, 1_000_000)
  --seed N                generator seed (default 42)
  --tenants N             tenants (default 50; the first holds 30% of the runs)
  --services N            services (default 20)
  --days N                span in days, ending at --end (default 90)
  --end YYYY-MM-DD        span end, exclusive, UTC midnight (default 2026-11-01)
  --samples-per-run X     5-minute metric samples per run, by picking whole (tenant, service)
                          series (default 0.3; at least 2 series)
  --predictions-per-run X predictions per run, two models 3:1 (default 0.2)
  --incidents-per-1000 X  incidents per 1,000 runs (default 5)
  --batch N               records per ingest batch (default 1000)

Engines and load
  --engines LIST          duckdb,postgres (default both)
  --clients N             concurrent HTTP ingest clients, keep-alive (default 4)
  --http-share X          share of the batches sent through HTTP: a fraction 0..1, or a record
                          count > 1. Default: everything for --runs <= 1M; otherwise a 500k-record
                          slice, the rest loaded first through storeRecords() (no HTTP/validation)
  --bare-max N            records for the bare insert measurement (default 500000)
  --pg-url URL            PostgreSQL admin connection; the benchmark creates and drops the
                          database atom_bench_<runs> (+ atom_bench_<runs>_bare) next to it
                          (default postgres://postgres@127.0.0.1:5432/test)
  --keep                  keep the loaded database (DuckDB directory / PostgreSQL database)

Measurements
  --reps N                timed repetitions per report and per baseline, after 1 warm-up (default 15
                          up to --runs 1M, 8 above: the naive baselines take seconds each at 10M)
  --case-budget S         stop repeating one report case (or baseline) after S seconds, keeping at
                          least 3 timed runs — or only the first (cold) one when it alone took
                          longer than S; the result shows n (default 20 up to --runs 1M, 5 above)
  --cache-seconds N       duration of the cache-hit load (default 5)
  --cache-clients N       concurrent clients for cache hits (default 8)
  --skip-reports          only ingest, start-up, memory and export (quick smoke)
  --out DIR               results directory (default bench/results)
  --help                  this text
`;

/** 100k, 1M, 10M, 1_000_000, 1e6 → number. */
export function parseCount(raw: string, flag: string): number {
  const m = /^([\d_.]+(?:e\d+)?)([kKmM]?)$/.exec(raw.trim());
  if (!m) throw new Error(`${flag}: expected a number like 100000, 100k or 1M, got "${raw}"`);
  const base = Number(m[1]!.replace(/_/g, ''));
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  const v = Math.round(base * mult);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${flag}: invalid number "${raw}"`);
  return v;
}

function parseNumber(raw: string, flag: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${flag}: expected a non-negative number, got "${raw}"`);
  return v;
}

/** Above this many runs, --reps and --case-budget default lower (see HELP). */
const LARGE_RUNS = 1_000_000;
const LARGE_DEFAULT_REPS = 8;
const LARGE_DEFAULT_CASE_BUDGET_S = 5;

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const o: BenchOptions = {
    runs: 1_000_000,
    engines: ['duckdb', 'postgres'],
    clients: 4,
    httpShare: null,
    reps: 15,
    caseBudgetSeconds: 20,
    seed: 42,
    batchSize: 1000,
    tenants: 50,
    services: 20,
    days: 90,
    endMs: Date.UTC(2026, 10, 1),
    samplesPerRun: 0.3,
    predictionsPerRun: 0.2,
    incidentsPerThousandRuns: 5,
    cacheSeconds: 5,
    cacheClients: 8,
    bareMax: 500_000,
    pgUrl: 'postgres://postgres@127.0.0.1:5432/test',
    keep: false,
    outDir: 'bench/results',
    skipReports: false,
  };
  const given = new Set<'reps' | 'caseBudget'>();
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]!;
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const need = () => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--runs':
        o.runs = parseCount(need(), flag);
        if (o.runs < 1000) throw new Error('--runs must be at least 1000');
        break;
      case '--engines': {
        const list = need().split(',').map((s) => s.trim()).filter(Boolean);
        for (const e of list) if (e !== 'duckdb' && e !== 'postgres') throw new Error(`--engines: unknown engine "${e}" (duckdb, postgres)`);
        o.engines = [...new Set(list)] as Engine[];
        if (!o.engines.length) throw new Error('--engines: give at least one engine');
        break;
      }
      case '--clients':
        o.clients = Math.max(1, parseCount(need(), flag));
        break;
      case '--http-share': {
        const raw = need();
        o.httpShare = Number(raw) <= 1 ? parseNumber(raw, flag) : parseCount(raw, flag);
        break;
      }
      case '--reps':
        o.reps = Math.max(1, parseCount(need(), flag));
        given.add('reps');
        break;
      case '--case-budget':
        o.caseBudgetSeconds = parseNumber(need(), flag);
        given.add('caseBudget');
        break;
      case '--seed':
        o.seed = parseCount(need(), flag);
        break;
      case '--batch':
        o.batchSize = Math.max(1, parseCount(need(), flag));
        break;
      case '--tenants':
        o.tenants = Math.max(2, parseCount(need(), flag));
        break;
      case '--services':
        o.services = Math.max(1, parseCount(need(), flag));
        break;
      case '--days':
        o.days = Math.max(1, parseCount(need(), flag));
        break;
      case '--end': {
        const raw = need();
        if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) throw new Error(`--end: expected YYYY-MM-DD, got "${raw}"`);
        o.endMs = Date.parse(`${raw}T00:00:00Z`);
        break;
      }
      case '--samples-per-run':
        o.samplesPerRun = parseNumber(need(), flag);
        break;
      case '--predictions-per-run':
        o.predictionsPerRun = Math.min(1, parseNumber(need(), flag));
        break;
      case '--incidents-per-1000':
        o.incidentsPerThousandRuns = parseNumber(need(), flag);
        break;
      case '--cache-seconds':
        o.cacheSeconds = parseNumber(need(), flag);
        break;
      case '--cache-clients':
        o.cacheClients = Math.max(1, parseCount(need(), flag));
        break;
      case '--bare-max':
        o.bareMax = parseCount(need(), flag);
        break;
      case '--pg-url':
        o.pgUrl = need();
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--skip-reports':
        o.skipReports = true;
        break;
      case '--out':
        o.outDir = need();
        break;
      default:
        throw new Error(`unknown flag "${flag}" (see --help)`);
    }
  }
  // Above 1M runs the defaults keep `npm run bench -- --runs 10M` (both engines) within 30 minutes.
  if (o.runs > LARGE_RUNS) {
    if (!given.has('reps')) o.reps = LARGE_DEFAULT_REPS;
    if (!given.has('caseBudget')) o.caseBudgetSeconds = LARGE_DEFAULT_CASE_BUDGET_S;
  }
  return o;
}
