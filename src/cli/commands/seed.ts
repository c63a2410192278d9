import { generateTenant, type DatasetSpec, type GenRecord } from '../../demo/generate.ts';
import { DEMO_TENANTS, seedDemoData } from '../../demo/seed.ts';
import { ConflictError } from '../../domain/errors.ts';
import { storeRecords, type Rec } from '../../ingest/ingest-service.ts';
import type { IngestKindName } from '../../ingest/kinds.ts';
import { validateBatch } from '../../ingest/validate.ts';
import type { Storage } from '../../storage/types.ts';
import { findMissingTenants } from '../../tenancy/tenant-service.ts';
import { UsageError, type CommandSpec } from '../args.ts';
import { createProgress, withAdminContext } from '../context.ts';

function int(v: unknown, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export const seedCommand: CommandSpec = {
  name: 'seed',
  summary: 'load deterministic synthetic data (the demo tenants, or a sized dataset)',
  usage: 'atom-analytics seed [--demo] | atom-analytics seed --tenants 5 --runs 100000 --days 90 [--seed 1]',
  maxPositionals: 0,
  options: {
    demo: { type: 'boolean', description: 'load the 3 demo tenants (acme, globex, initech)' },
    tenants: { type: 'string', description: 'number of tenants (seed-001 …)', default: '5' },
    runs: { type: 'string', description: 'workflow runs in total, spread over tenants', default: '10000' },
    days: { type: 'string', description: 'days of history ending now', default: '30' },
    seed: { type: 'string', description: 'random seed', default: '1' },
    'no-metrics': { type: 'boolean', description: 'skip 5-minute metric samples' },
  },
  async run({ values }) {
    if (values.demo) {
      const counts = await withAdminContext(async (ctx) => {
        // The demo is loaded once: its tenants are created, not upserted, and a second load at a
        // later "now" would shift every record. Say so instead of failing on the first insert.
        const ids = DEMO_TENANTS.map((t) => t.id);
        const missing = new Set(await findMissingTenants(ctx.storage, ids));
        const existing = ids.filter((id) => !missing.has(id));
        if (existing.length) {
          throw new ConflictError('tenant_exists', `demo tenants already exist: ${existing.join(', ')}; the demo is loaded only once (use an empty database, or seed --tenants … for more data)`);
        }
        return seedDemoData(ctx.storage, { onlyIfEmpty: false });
      });
      process.stdout.write(`demo data loaded: ${JSON.stringify(counts)}\n`);
      return 0;
    }
    const tenants = int(values.tenants, 'tenants', 1, 1000);
    const runs = int(values.runs, 'runs', 0, 100_000_000);
    const days = int(values.days, 'days', 1, 400);
    const seed = int(values.seed, 'seed', 0, 2 ** 31);
    const spec: DatasetSpec = {
      seed,
      tenants: Array.from({ length: tenants }, (_, i) => ({
        id: `seed-${String(i + 1).padStart(3, '0')}`,
        name: `Seed tenant ${i + 1}`,
        runs: Math.round(runs / tenants),
        services: ['api', 'web', 'worker'].map((s) => `${s}-${(i % 5) + 1}`),
      })),
      endMs: Math.floor(Date.now() / 60_000) * 60_000,
      days,
      metricIntervalMs: values['no-metrics'] ? 0 : 5 * 60_000,
      predictionRate: 0.5,
      incidentsPerThousandRuns: 10,
      models: ['gbm-failure', 'logreg-baseline'],
    };
    await withAdminContext(async (ctx) => {
      const progress = createProgress('seeding');
      let total = 0;
      for (const [i, t] of spec.tenants.entries()) {
        await ctx.storage.transaction(async (tx) => {
          const exists = await tx.query('SELECT 1 AS x FROM tenants WHERE tenant_id = $1', [t.id]);
          if (!exists.length) await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, $3)', [t.id, t.name, Date.now()]);
        });
        const data = generateTenant(spec, t, i);
        const load = async (kind: IngestKindName, recs: GenRecord[]) => {
          for (let k = 0; k < recs.length; k += 5000) {
            total += await store(ctx.storage, kind, recs.slice(k, k + 5000));
            progress.update(total, 'records');
          }
        };
        await load('workflow_runs', data.runs);
        await load('incidents', data.incidents);
        await load('predictions', data.predictions);
        let batch: GenRecord[] = [];
        for (const m of data.metrics()) {
          batch.push(m);
          if (batch.length === 5000) {
            await load('metrics', batch);
            batch = [];
          }
        }
        await load('metrics', batch);
      }
      progress.done();
      process.stdout.write(`seeded ${tenants} tenants, ${total} records\n`);
    });
    return 0;
  },
};

async function store(storage: Storage, kind: IngestKindName, recs: GenRecord[]): Promise<number> {
  const v = validateBatch(kind, recs, { tenantId: null });
  if (v.errors.length) throw new Error(`generated data failed validation: ${JSON.stringify(v.errors.slice(0, 2))}`);
  await storeRecords(storage, kind, v.records as unknown as Rec[]);
  return v.records.length;
}
