import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppDeps } from './context.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { exportRoutes } from './routes/export.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { opsRoutes } from './routes/ops.ts';
import { reportRoutes } from './routes/reports.ts';
import { tenantRoutes } from './routes/tenants.ts';

export interface AppOptions {
  logger?: FastifyBaseLogger;
}

/**
 * Builds the HTTP app from already-created dependencies. No listening, no signals, no
 * process.env here: server.ts and tests own those.
 */
export async function buildApp(deps: AppDeps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: deps.config.bodyLimitBytes,
    requestTimeout: deps.config.requestTimeoutMs,
    // Fastify's own per-request lines are replaced by the single line of the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    // Strict: no coercion of "1" into 1, nothing silently removed (contract: strings are not numbers).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    routerOptions: { ignoreTrailingSlash: true },
  });
  registerErrorHandling(app);
  // Documentation and dashboard files are public; everything else needs a key.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...(route.config ?? {}), public: true };
  });
  registerAuth(app, deps.auth);
  // One structured line per request; the key never appears (only the tenant it resolved to).
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    const durationMs = reply.elapsedTime;
    deps.metrics.observeHttpRequest({ method: req.method, route, statusCode: reply.statusCode, durationSeconds: durationMs / 1000 });
    req.log.info(
      {
        req_id: req.id,
        method: req.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        duration_ms: Math.round(durationMs * 10) / 10,
        tenant_id: req.actor?.kind === 'tenant' ? req.actor.tenantId : undefined,
        actor: req.actor?.kind,
      },
      'request',
    );
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ATOM Analytics API',
        version: deps.version,
        description: 'Multi-tenant operations analytics: ingest, reports, exports. See the README for metric definitions.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin or tenant API key' } },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(async (scope) => opsRoutes(scope, deps));
  await app.register(async (scope) => tenantRoutes(scope, deps));
  await app.register(async (scope) => ingestRoutes(scope, deps));
  await app.register(async (scope) => reportRoutes(scope, deps));
  await app.register(async (scope) => exportRoutes(scope, deps));
  await app.register(dashboardRoutes);
  return app;
}
