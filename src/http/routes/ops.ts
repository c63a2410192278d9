import type { FastifyInstance } from 'fastify';
import { ERROR_REF, errorBody } from '../plugins/errors.ts';
import type { AppDeps } from '../context.ts';

/** Probes hit these every few seconds: never rate limited, never cached, no key. */
const PROBE = { public: true } as const;

const healthSchema = {
  tags: ['operations'],
  summary: 'Liveness: the process is up and serving HTTP',
  description: 'Does not touch the database; restart the process only when this fails.',
  operationId: 'getHealthz',
  response: {
    200: {
      description: 'The process is up',
      type: 'object',
      required: ['status', 'version'],
      properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } },
    },
  },
} as const;

const readySchema = {
  tags: ['operations'],
  summary: 'Readiness: the database is reachable',
  description:
    'A 503 takes the node out of a load balancer until the database answers again. A Redis outage only ' +
    'degrades caching (answers stay correct, uncached), so it is reported as `degraded` with status 200.',
  operationId: 'getReadyz',
  response: {
    200: {
      description: 'Ready to serve; `degraded` when the Redis cache is configured but unreachable',
      type: 'object',
      required: ['status', 'database', 'cache'],
      properties: {
        status: { type: 'string', enum: ['ready', 'degraded'] },
        database: { type: 'string', enum: ['duckdb', 'postgres'] },
        cache: { type: 'string', enum: ['memory', 'redis-ok', 'redis-down'] },
        warming: {
          type: 'array',
          items: { type: 'string' },
          description:
            'Start-up work still running in the background (embedded engine: `key_index`, `rollup_compaction`). ' +
            'Answers are already correct, ingest and reports slower until it is empty.',
        },
      },
    },
    503: { ...ERROR_REF, description: 'The database is not reachable (code `database_unavailable`); Retry-After is set' },
  },
} as const;

const metricsSchema = {
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format)',
  description:
    'Requests and latency by route template and status, reports and exports by type, ingested records by ' +
    'kind, cache hits and misses, database query timings and pool state, process metrics. No tenant ids in labels.',
  operationId: 'getMetrics',
  response: {
    200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
  },
} as const;

/** Liveness, readiness and metrics (contract: Operations). */
export async function opsRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get('/healthz', { config: PROBE, schema: healthSchema }, async () => ({ status: 'ok' as const, version: deps.version }));

  app.get('/readyz', { config: PROBE, schema: readySchema }, async (req, reply) => {
    try {
      await deps.storage.ping();
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed: database unreachable');
      reply.header('Retry-After', '5');
      return reply.status(503).send(errorBody('database_unavailable', `The ${deps.storage.engine} database is not reachable`));
    }
    const cache = deps.cache.status();
    // Redis down degrades caching only: the node still answers correctly, so it stays ready.
    return {
      status: cache === 'redis-down' ? ('degraded' as const) : ('ready' as const),
      database: deps.storage.engine,
      cache,
      warming: deps.storage.startupWork(),
    };
  });

  app.get('/metrics', { config: PROBE, schema: metricsSchema }, async (_req, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.metricsText();
  });
}
