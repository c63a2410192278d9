import { parseIngestBody } from '../ingest/parse-body.ts';
import { storeRecords, type Rec } from '../ingest/ingest-service.ts';
import type { IngestKindName } from '../ingest/kinds.ts';
import { validateBatch } from '../ingest/validate.ts';
import type { Storage } from '../storage/types.ts';
import { generateTenant, type DatasetSpec, type GenRecord } from './generate.ts';

export const DEMO_TENANTS = [
  { id: 'acme', name: 'Acme Corp', runs: 4200, services: ['checkout', 'payments', 'search'] },
  { id: 'globex', name: 'Globex', runs: 2600, services: ['billing', 'ledger'] },
  { id: 'initech', name: 'Initech', runs: 1500, services: ['reports', 'auth'] },
];

/**
 * Loads 3 tenants × 90 days of demo data through the same validation and upsert path as the
 * API. With `onlyIfEmpty`, does nothing when any tenant exists. Returns counts, or null if skipped.
 */
export async function seedDemoData(storage: Storage, opts: { onlyIfEmpty: boolean; endMs?: number }) {
  if (opts.onlyIfEmpty) {
    const rows = await storage.query('SELECT tenant_id FROM tenants LIMIT 1');
    if (rows.length) return null;
  }
  const endMs = opts.endMs ?? Math.floor(Date.now() / 60_000) * 60_000;
  const spec: DatasetSpec = {
    seed: 42,
    tenants: DEMO_TENANTS,
    endMs,
    days: 90,
    metricIntervalMs: 5 * 60_000,
    predictionRate: 0.7,
    incidentsPerThousandRuns: 20,
    models: ['gbm-failure', 'logreg-baseline'],
  };
  const counts: Record<string, number> = { tenants: 0, workflow_runs: 0, incidents: 0, metrics: 0, predictions: 0 };
  for (const [i, t] of DEMO_TENANTS.entries()) {
    await storage.transaction(async (tx) => {
      await tx.query('INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, $3)', [t.id, t.name, Date.now()]);
    });
    counts.tenants!++;
    const data = generateTenant(spec, t, i);
    counts.workflow_runs! += await load(storage, 'workflow_runs', data.runs);
    counts.incidents! += await load(storage, 'incidents', data.incidents);
    counts.predictions! += await load(storage, 'predictions', data.predictions);
    let batch: GenRecord[] = [];
    for (const m of data.metrics()) {
      batch.push(m);
      if (batch.length === 20_000) {
        counts.metrics! += await load(storage, 'metrics', batch);
        batch = [];
      }
    }
    counts.metrics! += await load(storage, 'metrics', batch);
  }
  return counts;
}

async function load(storage: Storage, kind: IngestKindName, records: GenRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  // Through the real validator, so demo data obeys every ingest rule.
  const parsed = parseIngestBody(JSON.stringify(records), 'application/json');
  const v = validateBatch(kind, parsed.records, { tenantId: null });
  if (v.errors.length || parsed.errors.length) {
    throw new Error(`demo data failed validation: ${JSON.stringify([...parsed.errors, ...v.errors].slice(0, 3))}`);
  }
  await storeRecords(storage, kind, v.records as unknown as Rec[]);
  return v.records.length;
}
