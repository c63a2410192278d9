import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import { createPostgresStorage } from '../../src/storage/postgres/index.ts';
import { storeRecords, type Rec } from '../../src/ingest/ingest-service.ts';
import { validateBatch } from '../../src/ingest/validate.ts';
import { planDataset, streamDataset } from '../dataset.ts';
import type { Storage, Transaction } from '../../src/storage/types.ts';
const runs = Number(process.argv[2] ?? 100000);
const engine = process.argv[3] ?? 'duckdb';
const dir = await mkdtemp(join(tmpdir(), 'atom-ingestprof-'));
const base: Storage = engine === 'duckdb' ? await createDuckDbStorage({ path: join(dir, 'a.duckdb'), memoryLimit: '1GB', threads: 2 }) : await createPostgresStorage({ connectionString: process.argv[4]!, poolSize: 4 });
await base.migrate();
const t: Record<string, number> = {};
const add = (k: string, ms: number) => (t[k] = (t[k] ?? 0) + ms);
const timedTx = (tx: Transaction): Transaction => new Proxy(tx, { get(target, prop) { const v = (target as any)[prop]; if (typeof v !== 'function') return v; return async (...args: any[]) => { const s = performance.now(); try { return await v.apply(target, args); } finally { const sql = typeof args[0] === 'string' ? args[0].trim().split(/\s+/)[0]!.toLowerCase() : ''; add(`${String(prop)}${prop === 'query' ? ':' + sql : prop === 'addToRollup' || prop === 'insertMany' ? ':' + args[0] : ''}`, performance.now() - s); } }; } });
const storage: Storage = { ...base, transaction: (fn) => { const s = performance.now(); return base.transaction((tx) => fn(timedTx(tx))).finally(() => add('transaction(total)', performance.now() - s)); } } as Storage;
const plan = planDataset({ seed: 42, runs, tenants: 50, services: 20, days: 90, endMs: Date.UTC(2026, 10, 1), biggestShare: 0.3, samplesPerRun: 0.3, predictionsPerRun: 0.2, incidentsPerThousandRuns: 5, batchSize: 1000 });
let n = 0; const t0 = performance.now(); let lastReport = t0; let lastN = 0;
for (const b of streamDataset(plan)) {
  const s = performance.now();
  const v = validateBatch(b.kind, b.records, { tenantId: null });
  add('validate', performance.now() - s);
  await storeRecords(storage, b.kind, v.records as unknown as Rec[]);
  n += b.records.length;
  if (performance.now() - lastReport > 10000) { console.log(n, 'records', Math.round((n - lastN) / ((performance.now() - lastReport) / 1000)), 'rec/s'); lastReport = performance.now(); lastN = n; }
}
const total = performance.now() - t0;
console.log('records', n, 'seconds', (total / 1000).toFixed(1), 'rec/s', Math.round(n / (total / 1000)));
for (const [k, v] of Object.entries(t).sort((a, b) => b[1] - a[1])) console.log(String(Math.round(v)).padStart(8), 'ms', k);
await base.close(); await rm(dir, { recursive: true, force: true });
