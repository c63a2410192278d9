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
    const cache = deps.cache.status();
    // Redis down degrades caching only: the node still answers correctly, so it stays ready.
    return { status: cache === 'redis-down' ? 'degraded' : 'ready', database: deps.storage.engine, cache };
  });

  app.get('/metrics', { config: { public: true }, schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.metricsText();
  });
}
