import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppDeps } from './context.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling } from './plugins/errors.ts';
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
    disableRequestLogging: true,
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
  return app;
}
