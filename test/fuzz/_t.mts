import { startTestApp } from '../helpers/app.ts';
import { createDataSnapshot } from './data-snapshot.ts';
for (const engine of ['duckdb', 'postgres'] as const) {
  const app = await startTestApp(engine);
  const t = await app.createTenant('AAA');
  const snap = await createDataSnapshot(app.server.storage);
  let t0 = performance.now();
  for (let i = 0; i < 20; i++) await snap.take();
  console.log(engine, 'snapshot ms', (performance.now() - t0) / 20);
  t0 = performance.now();
  for (let i = 0; i < 50; i++) await app.request('PUT', '/tenants/AAA/prices', { body: { workflow_run: 1e308 } });
  console.log(engine, 'rejected put ms', (performance.now() - t0) / 50);
  t0 = performance.now();
  for (let i = 0; i < 50; i++) await app.request('GET', '/reports/overview?tz=Europe/Berlin&from=2026-01-01&to=2026-03-01&x=' + i, { key: t.key });
  console.log(engine, 'overview ms', (performance.now() - t0) / 50);
  t0 = performance.now();
  for (let i = 0; i < 20; i++) await app.request('POST', '/ingest/workflow_runs', { key: t.key, body: [{ id: 'r' + i, workflow_id: 'w', service: 's', status: 'running', started_at: '2026-03-01T00:00:00Z' }] });
  console.log(engine, 'ingest ms', (performance.now() - t0) / 20);
  console.log((await snap.take()));
  await app.close();
}
