import type { FastifyInstance } from 'fastify';
import { periodJson } from '../../reports/common.ts';
import { getOverview } from '../../reports/overview.ts';
import { serviceContext, type AppDeps } from '../context.ts';
import { readReportQuery, reportQuerySchema } from './report-query.ts';

/** GET /reports/*: JSON reports per the contract. */
export async function reportRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get(
    '/reports/overview',
    { schema: { tags: ['reports'], summary: 'Workflow, metric and prediction overview per tenant', querystring: reportQuerySchema } },
    async (req, reply) => {
      const ctx = serviceContext(deps, req);
      const q = await readReportQuery(ctx, req);
      const rows = await getOverview(deps.storage, q);
      reply.header('X-Cache', 'miss');
      return { period: periodJson(q), rows };
    },
  );
}
