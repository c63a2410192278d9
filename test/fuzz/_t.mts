import fc from 'fast-check';
import { startTestApp } from '../helpers/app.ts';
import { writeRequests } from './arbitraries.ts';
import { createRawClient } from './raw-client.ts';
const app = await startTestApp('duckdb', { EXPORT_DIR: '/tmp/fz/exp' });
const a = await app.createTenant('A1'); const b = await app.createTenant('B1');
const w = { adminKey: app.adminKey, a: { id: a.id, key: a.key }, b: { id: b.id, key: b.key }, revokedKey: 'x', spareKeyIds: ['k'], exportTypes: ['overview','mttr','costs','trends','health','predictions','raw_workflow_runs','raw_incidents','raw_metrics','raw_predictions'], kinds: ['workflow_runs'] };
const client = createRawClient(app.url);
const samples = fc.sample(writeRequests(w)[process.argv[2] ?? 'POST /export/audit']!, { numRuns: 40, seed: 1 });
const msgs = new Map<string, number>();
for (const r of samples) {
  const res = await client.send(r);
  const m = `${res.status} ${res.text.slice(0, 140)}`;
  msgs.set(m, (msgs.get(m) ?? 0) + 1);
}
for (const [m, n] of [...msgs].sort((x, y) => y[1] - x[1])) console.log(n, m);
client.close(); await app.close();
