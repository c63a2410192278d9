import { createDuckDbStorage } from '../../src/storage/duckdb/index.ts';
import { loadConfig } from '../../src/config.ts';
import { getPredictionReport } from '../../src/reports/predictions.ts';
const storage = await createDuckDbStorage({ path: '/tmp/ddbcopy/atom.duckdb', memoryLimit: '1GB', threads: 2 });
const config = loadConfig({});
const q = { fromMs: Date.UTC(2026, 7, 3), toMs: Date.UTC(2026, 10, 1), tz: 'UTC', tenantIds: null };
for (let i = 0; i < 3; i++) { const t = performance.now(); const rows = await getPredictionReport({ storage, config }, q); console.log(rows.length, (performance.now() - t).toFixed(0), 'ms'); }
await storage.close();
