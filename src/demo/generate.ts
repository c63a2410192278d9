/**
 * Deterministic synthetic data: the demo tenants at start-up and the benchmark's datasets.
 * Same seed, same records, on any machine.
 */

export type GenRecord = Record<string, unknown>;

/** mulberry32: small, fast, good enough for synthetic data. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TenantSpec {
  id: string;
  name: string;
  /** Total workflow runs over the whole span. */
  runs: number;
  services: string[];
}

export interface DatasetSpec {
  seed: number;
  tenants: TenantSpec[];
  /** Span end (exclusive) and length. */
  endMs: number;
  days: number;
  /** Interval of metric samples per service; 0 disables samples. */
  metricIntervalMs: number;
  /** Fraction of runs that get a prediction from each model. */
  predictionRate: number;
  /** Incidents per 1,000 runs. */
  incidentsPerThousandRuns: number;
  models: string[];
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const SEVERITY_WEIGHTS = [0.08, 0.22, 0.4, 0.3];

/** Relative load by hour of day (UTC) and weekday: busy working hours, quiet weekends. */
function loadFactor(tsMs: number): number {
  const d = new Date(tsMs);
  const hour = d.getUTCHours();
  const weekday = d.getUTCDay();
  const daily = 0.35 + 0.65 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI));
  const weekly = weekday === 0 || weekday === 6 ? 0.45 : 1;
  return daily * weekly;
}

function pick<T>(rng: () => number, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(rng() * items.length)]!;
  let r = rng();
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

function logNormal(rng: () => number, median: number, sigma: number): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface TenantDataset {
  runs: GenRecord[];
  incidents: GenRecord[];
  predictions: GenRecord[];
  /** Metric samples are many: produced lazily. */
  metrics(): Generator<GenRecord>;
}

/**
 * Generates one tenant's records in API shape (ISO timestamps), ordered by time. Runs follow a
 * daily and weekly rhythm; failure rates differ per service; predictions are better than chance.
 */
export function generateTenant(spec: DatasetSpec, tenant: TenantSpec, tenantIndex: number): TenantDataset {
  const rng = createRng(spec.seed * 1000 + tenantIndex + 1);
  const startMs = spec.endMs - spec.days * DAY;
  const serviceFailure = new Map(tenant.services.map((s, i) => [s, 0.03 + ((i * 7) % 10) / 100]));
  const workflows = tenant.services.flatMap((s) => [`${s}-deploy`, `${s}-nightly`, `${s}-tests`]);

  // Spread runs over hours proportionally to the load curve.
  const hours = spec.days * 24;
  const weights: number[] = [];
  let total = 0;
  for (let h = 0; h < hours; h++) {
    const w = loadFactor(startMs + h * HOUR);
    weights.push(w);
    total += w;
  }
  const runs: GenRecord[] = [];
  const runOutcomes: { id: string; failed: boolean; started: number; finished: boolean }[] = [];
  let carry = 0;
  let seq = 0;
  for (let h = 0; h < hours; h++) {
    const exact = (tenant.runs * weights[h]!) / total + carry;
    const n = Math.floor(exact);
    carry = exact - n;
    for (let k = 0; k < n; k++) {
      const started = startMs + h * HOUR + Math.floor(rng() * HOUR);
      const service = pick(rng, tenant.services);
      const workflow = pick(rng, workflows);
      const failed = rng() < serviceFailure.get(service)!;
      const duration = Math.round(logNormal(rng, 90_000, 0.6));
      const isRunning = started + duration > spec.endMs;
      const status = isRunning ? 'running' : failed ? 'failed' : rng() < 0.02 ? 'cancelled' : 'succeeded';
      const id = `${tenant.id}-run-${String(++seq).padStart(8, '0')}`;
      const rec: GenRecord = {
        id,
        tenant_id: tenant.id,
        workflow_id: workflow,
        workflow_name: `${workflow.replace(/-/g, ' ')} pipeline`,
        service,
        status,
        started_at: iso(started),
      };
      if (!isRunning) {
        rec.finished_at = iso(started + duration);
        rec.duration_ms = duration;
      }
      runs.push(rec);
      runOutcomes.push({ id, failed: status === 'failed', started, finished: status === 'failed' || status === 'succeeded' });
    }
  }
  runs.sort((a, b) => String(a.started_at).localeCompare(String(b.started_at)));

  const incidents: GenRecord[] = [];
  const nIncidents = Math.max(4, Math.round((tenant.runs * spec.incidentsPerThousandRuns) / 1000));
  for (let i = 0; i < nIncidents; i++) {
    const opened = startMs + Math.floor(rng() * (spec.days * DAY));
    const severity = pick(rng, SEVERITIES, SEVERITY_WEIGHTS);
    const service = pick(rng, tenant.services);
    const ackAfter = Math.round(logNormal(rng, 6 * 60_000, 0.8));
    const resolveAfter = Math.round(logNormal(rng, severity === 'critical' ? 45 * 60_000 : 2 * HOUR, 0.9));
    const rec: GenRecord = {
      id: `${tenant.id}-inc-${String(i + 1).padStart(5, '0')}`,
      tenant_id: tenant.id,
      service,
      severity,
      title: `${severity} ${pick(rng, ['latency spike', 'error burst', 'queue backlog', 'deploy failure', 'disk pressure'])} on ${service}`,
      opened_at: iso(opened),
    };
    if (opened + ackAfter < spec.endMs) rec.acknowledged_at = iso(opened + ackAfter);
    // A few recent incidents stay open so health shows something.
    if (opened + resolveAfter < spec.endMs && !(spec.endMs - opened < 2 * DAY && rng() < 0.5)) {
      rec.resolved_at = iso(opened + resolveAfter);
    }
    incidents.push(rec);
  }
  incidents.sort((a, b) => String(a.opened_at).localeCompare(String(b.opened_at)));

  const predictions: GenRecord[] = [];
  spec.models.forEach((model, m) => {
    const skill = m === 0 ? 0.35 : 0.2;
    for (const run of runOutcomes) {
      if (rng() >= spec.predictionRate) continue;
      const base = run.failed ? 0.5 + skill : 0.5 - skill;
      const p = Math.min(1, Math.max(0, base + (rng() - 0.5) * 0.8));
      predictions.push({
        id: `${run.id}-m${m}`,
        tenant_id: tenant.id,
        model,
        model_version: `${m + 1}.0.${Math.floor(rng() * 3)}`,
        workflow_run_id: run.id,
        predicted_at: iso(run.started - 60_000),
        failure_probability: Math.round(p * 1000) / 1000,
      });
    }
  });
  predictions.sort((a, b) => String(a.predicted_at).localeCompare(String(b.predicted_at)));

  function* metrics(): Generator<GenRecord> {
    if (spec.metricIntervalMs <= 0) return;
    const mrng = createRng(spec.seed * 7919 + tenantIndex);
    const first = Math.ceil(startMs / spec.metricIntervalMs) * spec.metricIntervalMs;
    for (let ts = first; ts < spec.endMs; ts += spec.metricIntervalMs) {
      const load = loadFactor(ts);
      for (let s = 0; s < tenant.services.length; s++) {
        const spike = mrng() < 0.01;
        yield {
          tenant_id: tenant.id,
          service: tenant.services[s]!,
          ts: iso(ts),
          p95_latency_ms: Math.round((120 + 80 * s + 200 * load + (spike ? 900 : 0) + mrng() * 40) * 10) / 10,
          throughput_rps: Math.round((20 + 180 * load + mrng() * 10) * 100) / 100,
          error_rate: Math.round(Math.min(1, 0.002 + (spike ? 0.08 : 0) + mrng() * 0.01) * 10_000) / 10_000,
        };
      }
    }
  }

  return { runs, incidents, predictions, metrics };
}
