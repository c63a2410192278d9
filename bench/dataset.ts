/**
 * The benchmark's dataset: deterministic (seeded), streamed in batches, never held in memory.
 *
 * - `tenants` tenants; the first ("biggest") holds `biggestShare` of all runs, the others share
 *   the rest on a Zipf-like curve (weight 1/i^0.8), so there is a long tail of small tenants.
 * - `services` services; big tenants use all of them, small ones 8..20.
 * - Runs follow a daily and weekly rhythm over `days` days ending at `endMs`, ~5-8% fail.
 * - Per run: `predictionsPerRun` predictions (two models, 3:1), `incidentsPerThousandRuns` / 1000
 *   incidents. Metric samples every 5 minutes over the whole span, but only for a bounded number
 *   of (tenant, service) series: enough series for ≈ `samplesPerRun` samples per run (at least
 *   2: the biggest and the mid-size tenant always have one).
 * - The stream interleaves tenants (each advances through time at the same pace), as a fleet of
 *   real tenants would send their data: every batch holds one kind of one tenant.
 *
 * Records are in API shape (ISO 8601 timestamps), exactly what POST /ingest/{kind} accepts.
 * The demo generator (src/demo/generate.ts) holds one tenant's runs in memory and sorts them;
 * at 10M runs the biggest tenant has 3M, hence this hour-by-hour generator.
 */
import { createRng } from '../src/demo/generate.ts';

export type Kind = 'workflow_runs' | 'incidents' | 'metrics' | 'predictions';
export const KINDS: readonly Kind[] = ['workflow_runs', 'incidents', 'metrics', 'predictions'];

export type ApiRecord = Record<string, unknown>;

export interface Batch {
  /** Position in the stream (0-based), the same on every pass. */
  index: number;
  kind: Kind;
  tenantId: string;
  records: ApiRecord[];
}

export interface DatasetOptions {
  seed: number;
  runs: number;
  tenants: number;
  services: number;
  days: number;
  /** Span end (exclusive), epoch ms. */
  endMs: number;
  biggestShare: number;
  samplesPerRun: number;
  predictionsPerRun: number;
  incidentsPerThousandRuns: number;
  batchSize: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const SAMPLE_INTERVAL_MS = 5 * 60_000;
const MODELS = [
  { name: 'failure-gbm', share: 0.75, skill: 0.35 },
  { name: 'failure-logreg', share: 0.25, skill: 0.2 },
];
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const SEVERITY_WEIGHTS = [0.08, 0.22, 0.4, 0.3];
const INCIDENT_KINDS = ['latency spike', 'error burst', 'queue backlog', 'deploy failure', 'disk pressure'];

export interface TenantPlan {
  index: number;
  id: string;
  name: string;
  runs: number;
  services: string[];
  /** Indexes into `services` that get 5-minute metric samples. */
  sampledServices: number[];
  incidents: number;
  /** Expected records of all kinds (predictions estimated), for interleaving and ETAs. */
  expectedRecords: number;
}

export interface DatasetPlan {
  options: DatasetOptions;
  startMs: number;
  tenants: TenantPlan[];
  biggest: TenantPlan;
  /** The median tenant by size (rank tenants/2). */
  mid: TenantPlan;
  metricSeries: number;
  expected: Record<Kind, number> & { total: number };
}

/** Relative load by hour of day (UTC) and weekday: busy working hours, quiet weekends. */
function loadFactor(tsMs: number): number {
  const d = new Date(tsMs);
  const hour = d.getUTCHours();
  const weekday = d.getUTCDay();
  const daily = 0.35 + 0.65 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI));
  const weekly = weekday === 0 || weekday === 6 ? 0.45 : 1;
  return daily * weekly;
}

function logNormal(rng: () => number, median: number, sigma: number): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

function pickWeighted<T>(rng: () => number, items: readonly T[], weights: readonly number[]): T {
  let r = rng();
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Integer split of `total` proportional to `weights` (largest remainder), summing exactly. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) out[order[k % order.length]![1]]++;
  return out;
}

export function planDataset(o: DatasetOptions): DatasetPlan {
  const startMs = o.endMs - o.days * DAY_MS;
  const n = o.tenants;
  const weights = [o.biggestShare];
  let tail = 0;
  for (let i = 1; i < n; i++) tail += 1 / Math.pow(i, 0.8);
  for (let i = 1; i < n; i++) weights.push(((1 - o.biggestShare) * (1 / Math.pow(i, 0.8))) / tail);
  const runs = apportion(o.runs, weights);
  const allServices = Array.from({ length: o.services }, (_, s) => `svc-${String(s).padStart(2, '0')}`);
  const tenants: TenantPlan[] = runs.map((r, i) => {
    const nServices = i < 10 ? o.services : Math.min(o.services, 8 + ((i * 7) % 13));
    return {
      index: i,
      id: `bench-t${String(i).padStart(2, '0')}`,
      name: `Bench tenant ${String(i).padStart(2, '0')}${i === 0 ? ' (biggest)' : ''}`,
      runs: r,
      services: allServices.slice(0, nServices),
      sampledServices: [],
      incidents: Math.max(4, Math.round((r * o.incidentsPerThousandRuns) / 1000)),
      expectedRecords: 0,
    };
  });
  const midIndex = Math.floor(n / 2);
  // Metric series: enough for ≈ samplesPerRun samples per run, handed out round-robin to
  // [biggest, mid, the others by size], one more service per round.
  const samplesPerSeries = Math.ceil((o.days * DAY_MS) / SAMPLE_INTERVAL_MS);
  const maxSeries = tenants.reduce((a, t) => a + t.services.length, 0);
  const metricSeries = Math.min(maxSeries, Math.max(2, Math.round((o.runs * o.samplesPerRun) / samplesPerSeries)));
  const order = [0, midIndex, ...tenants.map((t) => t.index).filter((i) => i !== 0 && i !== midIndex)];
  let given = 0;
  for (let round = 0; given < metricSeries; round++) {
    for (const i of order) {
      if (given >= metricSeries) break;
      if (round < tenants[i]!.services.length) {
        tenants[i]!.sampledServices.push(round);
        given++;
      }
    }
  }
  const expected = { workflow_runs: 0, incidents: 0, metrics: 0, predictions: 0, total: 0 };
  for (const t of tenants) {
    const samples = t.sampledServices.length * samplesPerSeries;
    const preds = Math.round(t.runs * o.predictionsPerRun);
    t.expectedRecords = t.runs + preds + t.incidents + samples;
    expected.workflow_runs += t.runs;
    expected.incidents += t.incidents;
    expected.metrics += samples;
    expected.predictions += preds;
    expected.total += t.expectedRecords;
  }
  return { options: o, startMs, tenants, biggest: tenants[0]!, mid: tenants[midIndex]!, metricSeries, expected };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One tenant's records, hour by hour, cut into batches of one kind. */
class TenantStream {
  private readonly rng: () => number;
  private readonly mrngs: (() => number)[];
  private readonly hourRuns: number[];
  private hour = 0;
  private seq = 0;
  private incidentList: ApiRecord[] = [];
  private incidentPos = 0;
  private readonly buffers: Record<Kind, ApiRecord[]> = { workflow_runs: [], incidents: [], metrics: [], predictions: [] };
  private readonly ready: { kind: Kind; records: ApiRecord[] }[] = [];
  private finished = false;
  emitted = 0;
  private readonly workflows: string[];
  private readonly failureRate: number[];

  constructor(
    private readonly plan: DatasetPlan,
    private readonly t: TenantPlan,
  ) {
    const o = plan.options;
    this.rng = createRng(o.seed * 1000 + t.index + 1);
    this.mrngs = t.sampledServices.map((s) => createRng(o.seed * 7919 + t.index * 131 + s));
    this.workflows = t.services.flatMap((s) => [`${s}-deploy`, `${s}-nightly`, `${s}-tests`]);
    this.failureRate = t.services.map((_, i) => 0.03 + ((i * 7) % 10) / 100);
    // Runs per hour, proportional to the load curve (carry keeps the total exact).
    const hours = o.days * 24;
    const w: number[] = [];
    let total = 0;
    for (let h = 0; h < hours; h++) {
      const x = loadFactor(plan.startMs + h * HOUR_MS);
      w.push(x);
      total += x;
    }
    this.hourRuns = [];
    let carry = 0;
    let assigned = 0;
    for (let h = 0; h < hours; h++) {
      const exact = (t.runs * w[h]!) / total + carry;
      const k = Math.floor(exact + 1e-9);
      carry = exact - k;
      this.hourRuns.push(k);
      assigned += k;
    }
    this.hourRuns[hours - 1] += t.runs - assigned;
    this.makeIncidents();
  }

  private makeIncidents(): void {
    const o = this.plan.options;
    const rng = createRng(o.seed * 4243 + this.t.index);
    const span = o.days * DAY_MS;
    const list: { opened: number; rec: ApiRecord }[] = [];
    for (let i = 0; i < this.t.incidents; i++) {
      const opened = this.plan.startMs + Math.floor(rng() * span);
      const severity = pickWeighted(rng, SEVERITIES, SEVERITY_WEIGHTS);
      const service = this.t.services[Math.floor(rng() * this.t.services.length)]!;
      const ackAfter = Math.round(logNormal(rng, 6 * 60_000, 0.8));
      const resolveAfter = Math.round(logNormal(rng, severity === 'critical' ? 45 * 60_000 : 2 * HOUR_MS, 0.9));
      const rec: ApiRecord = {
        id: `${this.t.id}-inc-${String(i + 1).padStart(6, '0')}`,
        tenant_id: this.t.id,
        service,
        severity,
        title: `${severity} ${INCIDENT_KINDS[Math.floor(rng() * INCIDENT_KINDS.length)]} on ${service}`,
        opened_at: iso(opened),
      };
      if (opened + ackAfter < o.endMs) rec.acknowledged_at = iso(opened + ackAfter);
      const keepOpen = o.endMs - opened < 2 * DAY_MS && rng() < 0.5;
      if (opened + resolveAfter < o.endMs && !keepOpen) rec.resolved_at = iso(opened + resolveAfter);
      list.push({ opened, rec });
    }
    list.sort((a, b) => a.opened - b.opened);
    this.incidentList = list.map((x) => x.rec);
  }

  private push(kind: Kind, rec: ApiRecord): void {
    const buf = this.buffers[kind];
    buf.push(rec);
    if (buf.length >= this.plan.options.batchSize) {
      this.ready.push({ kind, records: buf.slice() });
      buf.length = 0;
    }
  }

  private advanceHour(): void {
    const o = this.plan.options;
    const rng = this.rng;
    const hourStart = this.plan.startMs + this.hour * HOUR_MS;
    const hourEnd = hourStart + HOUR_MS;
    const n = this.hourRuns[this.hour]!;
    const starts: number[] = new Array(n);
    for (let k = 0; k < n; k++) starts[k] = hourStart + Math.floor(rng() * HOUR_MS);
    starts.sort((a, b) => a - b);
    for (const started of starts) {
      const si = Math.floor(rng() * this.t.services.length);
      const service = this.t.services[si]!;
      const workflow = this.workflows[Math.floor(rng() * this.workflows.length)]!;
      const failed = rng() < this.failureRate[si]!;
      const duration = Math.max(1, Math.round(logNormal(rng, 90_000, 0.6)));
      const running = started + duration > o.endMs;
      const status = running ? 'running' : failed ? 'failed' : rng() < 0.02 ? 'cancelled' : 'succeeded';
      const id = `${this.t.id}-run-${String(++this.seq).padStart(9, '0')}`;
      const run: ApiRecord = {
        id,
        tenant_id: this.t.id,
        workflow_id: workflow,
        workflow_name: `${workflow.replace(/-/g, ' ')} pipeline`,
        service,
        status,
        started_at: iso(started),
      };
      if (!running) {
        run.finished_at = iso(started + duration);
        run.duration_ms = duration;
      }
      this.push('workflow_runs', run);
      for (let m = 0; m < MODELS.length; m++) {
        const model = MODELS[m]!;
        if (rng() >= o.predictionsPerRun * model.share) continue;
        const base = status === 'failed' ? 0.5 + model.skill : 0.5 - model.skill;
        const p = Math.min(1, Math.max(0, base + (rng() - 0.5) * 0.8));
        this.push('predictions', {
          id: `${id}-m${m}`,
          tenant_id: this.t.id,
          model: model.name,
          model_version: `${m + 1}.0.${Math.floor(rng() * 3)}`,
          workflow_run_id: id,
          predicted_at: iso(started - 60_000),
          failure_probability: Math.round(p * 1000) / 1000,
        });
      }
    }
    while (this.incidentPos < this.incidentList.length && Date.parse(String(this.incidentList[this.incidentPos]!.opened_at)) < hourEnd) {
      this.push('incidents', this.incidentList[this.incidentPos++]!);
    }
    for (let ts = hourStart; ts < hourEnd && ts < o.endMs; ts += SAMPLE_INTERVAL_MS) {
      const load = loadFactor(ts);
      this.t.sampledServices.forEach((s, k) => {
        const mrng = this.mrngs[k]!;
        const spike = mrng() < 0.01;
        this.push('metrics', {
          tenant_id: this.t.id,
          service: this.t.services[s]!,
          ts: iso(ts),
          p95_latency_ms: Math.round((120 + 80 * s + 200 * load + (spike ? 900 : 0) + mrng() * 40) * 10) / 10,
          throughput_rps: Math.round((20 + 180 * load + mrng() * 10) * 100) / 100,
          error_rate: Math.round(Math.min(1, 0.002 + (spike ? 0.08 : 0) + mrng() * 0.01) * 10_000) / 10_000,
        });
      });
    }
    this.hour++;
  }

  /** The next batch of this tenant, or null when it is exhausted. */
  next(): { kind: Kind; records: ApiRecord[] } | null {
    while (this.ready.length === 0) {
      if (this.finished) return null;
      if (this.hour < this.hourRuns.length) {
        this.advanceHour();
      } else {
        for (const kind of KINDS) {
          const buf = this.buffers[kind];
          if (buf.length) this.ready.push({ kind, records: buf.splice(0) });
        }
        this.finished = true;
      }
    }
    const b = this.ready.shift()!;
    this.emitted += b.records.length;
    return b;
  }
}

/**
 * The whole dataset as one deterministic stream of batches. Tenants advance together: the next
 * batch comes from the tenant that is least far through its own expected records.
 */
export function* streamDataset(plan: DatasetPlan): Generator<Batch> {
  const streams = plan.tenants.map((t) => ({ t, s: new TenantStream(plan, t), done: false }));
  let index = 0;
  for (;;) {
    let best: (typeof streams)[number] | null = null;
    let bestProgress = Infinity;
    for (const x of streams) {
      if (x.done) continue;
      const progress = x.s.emitted / Math.max(1, x.t.expectedRecords);
      if (progress < bestProgress) {
        best = x;
        bestProgress = progress;
      }
    }
    if (!best) return;
    const b = best.s.next();
    if (!b) {
      best.done = true;
      continue;
    }
    yield { index: index++, kind: b.kind, tenantId: best.t.id, records: b.records };
  }
}

/**
 * Which batches go through HTTP: `share` of them (0..1), spread evenly over the stream so the
 * HTTP slice has the same mix of tenants, kinds and time as the whole.
 */
export function isHttpBatch(index: number, share: number): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}
