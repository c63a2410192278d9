import type { FastifyInstance } from 'fastify';
import { errorBody } from '../plugins/errors.ts';
import type { AppDeps } from '../context.ts';

/** Liveness and readiness (contract: Operations). */
export async function opsRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['operations'], summary: 'Process is up' } }, async () => ({
    status: 'ok',
    version: deps.version,
  }));

  app.get('/readyz', { config: { public: true }, schema: { tags: ['operations'], summary: 'Database reachable' } }, async (_req, reply) => {
    try {
      await deps.storage.ping();
    } catch {
      reply.header('Retry-After', '5');
      return reply.status(503).send(errorBody('database_unavailable', `The ${deps.storage.engine} database is not reachable`));
    }
    return { status: 'ready', database: deps.storage.engine };
  });
}
