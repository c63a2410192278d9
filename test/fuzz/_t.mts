import { startTestApp } from '../helpers/app.ts';
import { createDataSnapshot } from './data-snapshot.ts';
const app = await startTestApp('duckdb');
const t = await app.createTenant('AAA');
for (let i = 0; i < 20; i++) await app.request('POST', '/ingest/workflow_runs', { key: t.key, body: [{ id: 'r' + i, workflow_id: 'w', service: 's', status: 'running', started_at: '2026-03-01T00:00:00Z' }] });
const st = app.server.storage;
const orig = st.query.bind(st);
let captured = '';
(st as any).query = (sql: string, p?: any) => { captured = sql; return orig(sql, p); };
const snap = await createDataSnapshot(st);
await snap.take();
(st as any).query = orig;
let t0 = performance.now();
for (let i = 0; i < 30; i++) await snap.take();
console.log('take', (performance.now() - t0) / 30);
t0 = performance.now();
for (let i = 0; i < 30; i++) await st.query(captured);
console.log('query', (performance.now() - t0) / 30);
t0 = performance.now();
for (let i = 0; i < 30; i++) await st.query('SELECT 1 AS x');
console.log('select1', (performance.now() - t0) / 30);
for (const p of captured.split('\nUNION ALL\n')) {
  const t1 = performance.now();
  for (let i = 0; i < 10; i++) await st.query(p);
  console.log(((performance.now() - t1) / 10).toFixed(2), p.slice(0, 60));
}
await app.close();
