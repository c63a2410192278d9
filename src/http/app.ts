import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { lazyChildLoggerFactory } from '../observability/lazy-logger.ts';
import type { AppDeps } from './context.ts';
import { registerAuth } from './plugins/auth.ts';
import { answerClientError, answerFrameworkError, registerErrorHandling } from './plugins/errors.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { createRateLimitCounter, registerRateLimit, type RateLimitCounter } from './plugins/rate-limit.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { exportRoutes } from './routes/export.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { opsRoutes } from './routes/ops.ts';
import { reportRoutes } from './routes/reports.ts';
import { tenantRoutes } from './routes/tenants.ts';

export interface AppOptions {
  logger?: FastifyBaseLogger;
  /**
   * Rate-limit counters; server.ts passes Redis-shared ones when REDIS_URL is set (and closes
   * them). Absent: per-process counters in memory.
   */
  rateLimitCounter?: RateLimitCounter;
}

/**
 * Path parameters are tenant ids (at most 64 characters), key ids and type names; anything longer
 * is answered 404 by the router before any handler or database work.
 */
const MAX_PARAM_LENGTH = 100;

/**
 * Builds the HTTP app from already-created dependencies. No listening, no signals, no
 * process.env here: server.ts and tests own those.
 *
 * Order matters: error shape and security headers first (they cover every answer), then auth and
 * the rate limiter (which keys on the authenticated key), the OpenAPI generator, and the routes.
 */
export async function buildApp(deps: AppDeps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    // Receiving a request (headers and body) may take at most this long (slow-loris uploads)…
    requestTimeout: config.requestTimeoutMs,
    // …and a connection on which nothing moves for as long is closed (a client that stopped
    // reading an export would otherwise hold a database cursor open).
    connectionTimeout: config.requestTimeoutMs,
    // Fastify's own per-request lines are replaced by the single line of the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    // Request loggers are built when first written to, not for every request.
    ...(opts.logger ? { childLoggerFactory: lazyChildLoggerFactory } : {}),
    genReqId: () => crypto.randomUUID(),
    // Strict: no coercion of "1" into 1, nothing silently removed (contract: strings are not numbers).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Answers that bypass the error handler (bad percent-encoding, unparsable HTTP) keep its shape.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  // Hooks that run on every request are callback-style: no promise per hook and request.
  app.addHook('onRequest', (req, reply, done) => {
    // Quoted in masked 5xx messages; lets a user's report be matched with the log line.
    reply.raw.setHeader('x-request-id', req.id);
    done();
  });
  // Documentation and dashboard files are public; everything else needs a key.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...(route.config ?? {}), public: true };
  });
  registerAuth(app, deps.auth);
  // One structured line per request; the key never appears (only the tenant it resolved to).
  app.addHook('onResponse', (req, reply, done) => {
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
    done();
  });
  await registerRateLimit(app, {
    max: config.rateLimit.max,
    windowMs: config.rateLimit.windowMs,
    counter: opts.rateLimitCounter ?? createRateLimitCounter({ windowMs: config.rateLimit.windowMs, keyPrefix: config.redisKeyPrefix, logger: app.log }),
  });
  await registerOpenApi(app, deps.version);

  await app.register(async (scope) => opsRoutes(scope, deps));
  await app.register(async (scope) => tenantRoutes(scope, deps));
  await app.register(async (scope) => ingestRoutes(scope, deps));
  await app.register(async (scope) => reportRoutes(scope, deps));
  await app.register(async (scope) => exportRoutes(scope, deps));
  await app.register(dashboardRoutes);
  return app;
}
