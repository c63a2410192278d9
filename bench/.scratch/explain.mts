import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create('/tmp/ddbcopy/atom.duckdb', { threads: '2', memory_limit: '1GB' });
const c = await inst.connect();
const from = Date.UTC(2026, 7, 3), to = Date.UTC(2026, 10, 1);
const sql = `
    WITH judged AS (
      SELECT p.tenant_id, p.model, p.failure_probability,
             COALESCE(p.outcome, CASE WHEN r.status IN ('failed', 'succeeded') THEN r.status END) AS outcome
      FROM predictions p
      LEFT JOIN workflow_runs r ON r.tenant_id = p.tenant_id AND r.id = p.workflow_run_id
      WHERE p.predicted_at_ms >= $1 AND p.predicted_at_ms < $2 AND TRUE
    )
    SELECT tenant_id, model,
           CASE WHEN outcome IS NULL THEN NULL ELSE failure_probability END AS probability,
           count(*) AS n,
           count(*) FILTER (WHERE outcome = 'failed') AS positives,
           count(*) FILTER (WHERE outcome = 'succeeded') AS negatives
    FROM judged
    GROUP BY tenant_id, model, CASE WHEN outcome IS NULL THEN NULL ELSE failure_probability END`;
for (let i = 0; i < 2; i++) { const t = performance.now(); const r = await c.runAndReadAll(sql, [from, to]); console.log('rows', r.getRows().length, (performance.now() - t).toFixed(1), 'ms'); }
const r = await c.runAndReadAll('EXPLAIN ANALYZE ' + sql, [from, to]);
console.log(r.getRows().map((x) => x[1]).join('\n'));
