/**
 * Mixed load, CI size: the same run as `npm run load` (bench/load.ts), 15 s on DuckDB with a
 * small seed. Every route of the mix must have been exercised and not one request may fail
 * (non-2xx, socket error, malformed answer, another tenant's rows). The 60-s runs and the soak
 * (RSS growth) are for `npm run load`, not CI.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatTable, runLoad } from '../../bench/load.ts';
import { ROUTES } from '../../bench/load-traffic.ts';

it('15 s of mixed traffic (ingest, reports, exports; two tenants and admin) on DuckDB: zero errors, every route exercised', { timeout: 240_000 }, async () => {
  const r = await runLoad({ engine: 'duckdb', durationSec: 15, concurrency: 8, seedRuns: 10_000, outDir: null, quiet: true });
  const table = formatTable(r);
  assert.equal(r.totals.errors, 0, `errors under load:\n${table}\n${JSON.stringify(r.error_samples.slice(0, 5), null, 2)}`);
  assert.deepEqual(
    r.routes.map((x) => x.route),
    ROUTES.map((x) => x.name),
  );
  for (const route of r.routes) assert.ok(route.requests > 0, `${route.route} was never exercised:\n${table}`);
  // Both halves of the cache mix and all three ingest outcomes showed up.
  const reports = r.routes.filter((x) => x.cache);
  assert.ok(reports.reduce((a, x) => a + x.cache!.hits, 0) > 0, `no cache hit at all:\n${table}`);
  assert.ok(reports.reduce((a, x) => a + x.cache!.misses, 0) > 0, `no cache miss at all:\n${table}`);
  const ingest = r.routes.filter((x) => x.ingest);
  assert.ok(ingest.reduce((a, x) => a + x.ingest!.inserted, 0) > 0, `nothing inserted:\n${table}`);
  assert.ok(ingest.reduce((a, x) => a + x.ingest!.updated, 0) > 0, `nothing updated:\n${table}`);
  assert.ok(r.checks.server_stopped_cleanly, `server exit ${String(r.server.exit)}`);
  assert.equal(r.server.log_errors, 0, `server logged errors:\n${r.server.log_samples.join('\n')}`);
  assert.ok(r.passed, table);
});
