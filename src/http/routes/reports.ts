import type { FastifyInstance } from 'fastify';
import { REPORTS } from '../../reports/registry.ts';
import { serviceContext, type AppDeps } from '../context.ts';
import { extendQuerySchema, readReportQuery } from './report-query.ts';

/** GET /reports/*: one route per report definition (src/reports/registry.ts). */
export async function reportRoutes(app: FastifyInstance, deps: AppDeps) {
  for (const report of REPORTS) {
    app.get(
      report.path,
      {
        schema: {
          tags: ['reports'],
          summary: report.summary,
          querystring: extendQuerySchema(report.extraQuery ?? {}),
          ...(report.tenantInPath
            ? { params: { type: 'object', properties: { tenant_id: { type: 'string' } }, required: ['tenant_id'] } }
            : {}),
        },
      },
      async (req, reply) => {
        const ctx = serviceContext(deps, req);
        const pathTenant = report.tenantInPath ? (req.params as { tenant_id: string }).tenant_id : undefined;
        const q = await readReportQuery(ctx, req, pathTenant);
        const params = req.query as Record<string, string | undefined>;
        const { from: _f, to: _t, tz: _z, tenant_id: _id, ...extra } = params;
        deps.metrics.recordReport(report.name);
        // The key holds the resolved scope and every parameter; the generation inside
        // getOrCompute makes any acknowledged ingest invalidate it (never stale).
        // Reads run in the caller's tenant scope, enforced by the engine (row-level security).
        const env = { storage: deps.storage.scoped(q.tenantIds), config: deps.config };
        const compute = async () => JSON.stringify(await report.run(env, q, params));
        // `Cache-Control: no-cache` asks for a fresh computation (benchmarks, debugging).
        const bypass = /no-cache|no-store/i.test(req.headers['cache-control'] ?? '');
        const answer = bypass
          ? { value: await compute(), cache: 'miss' as const }
          : await deps.cache.getOrCompute({
              scope: q.tenantIds ?? 'all',
              parts: { report: report.name, fromMs: q.fromMs, toMs: q.toMs, tz: q.tz, extra },
              compute,
            });
        reply.header('X-Cache', answer.cache).type('application/json; charset=utf-8');
        return answer.value;
      },
    );
  }
}
