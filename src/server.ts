import type { FastifyInstance } from 'fastify';
import { createReportCache, type ReportCache } from './cache/index.ts';
import { createAuditStore, type AuditStore } from './export/audit-store.ts';
import { createMetrics } from './observability/metrics.ts';
import { withQueryTiming } from './observability/timed-storage.ts';
import type { Config } from './config.ts';
import { seedDemoData } from './demo/seed.ts';
import { buildApp } from './http/app.ts';
import { createRateLimitCounter, type RateLimitCounter } from './http/plugins/rate-limit.ts';
import { createLogger, type Logger } from './logger.ts';
import { createStorage } from './storage/create-storage.ts';
import type { Storage } from './storage/types.ts';
import { createAuthenticator, ensureAdminKey } from './tenancy/authenticate.ts';
import { VERSION } from './version.ts';

export interface RunningServer {
  app: FastifyInstance;
  storage: Storage;
  url: string;
  /** The clear admin key when this start generated it (printed once), else null. */
  generatedAdminKey: string | null;
  /**
   * Graceful stop: stops accepting connections, lets in-flight requests finish, then closes the
   * cache, rate limiter, audit store and database pool, in that order. Idempotent.
   */
  close(): Promise<void>;
}

/** Closes every resource even when one fails; rethrows the first failure at the end. */
async function closeAll(closers: (() => Promise<unknown>)[]): Promise<void> {
  let first: unknown;
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/**
 * Wires storage, auth and the app, applies migrations, seeds demo data on an empty database,
 * and listens. Process concerns (signals, exit codes) stay with the caller.
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const started = performance.now();
  const metrics = createMetrics({ onCollectError: (err) => logger.warn({ err }, 'pool statistics unavailable') });
  // Every statement is timed by engine and statement kind (atom_db_query_duration_seconds).
  const storage = withQueryTiming(await createStorage(config), metrics.observeDbQuery);
  let cache: ReportCache | undefined;
  let auditStore: AuditStore | undefined;
  let rateLimitCounter: RateLimitCounter | undefined;
  let app: FastifyInstance | undefined;
  // Reverse of creation; the HTTP server drains first so in-flight requests still have a cache
  // to bump (a lost bump would let another node serve a stale answer) and a database to finish on.
  const closeResources = () =>
    closeAll([
      async () => app?.close(),
      async () => cache?.close(),
      async () => rateLimitCounter?.close(),
      async () => auditStore?.close(),
      () => storage.close(),
    ]);
  try {
    const applied = await storage.migrate();
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
    const generatedAdminKey = await ensureAdminKey(storage, config.adminKey);
    if (config.demo) {
      const seeded = await seedDemoData(storage, { onlyIfEmpty: true });
      if (seeded) logger.info(seeded, 'demo data loaded');
    }
    const auth = createAuthenticator(storage, config.adminKey);
    metrics.setPoolStatsProvider(() => {
      const s = storage.poolStats();
      return [
        { engine: storage.engine, state: 'total', connections: s.total },
        { engine: storage.engine, state: 'idle', connections: s.idle },
        { engine: storage.engine, state: 'waiting', connections: s.waiting },
      ];
    });
    cache = createReportCache({ config, logger, metrics });
    auditStore = createAuditStore(config);
    // With REDIS_URL every node counts requests in the same Redis, so a key's limit is per deployment.
    rateLimitCounter = createRateLimitCounter({
      windowMs: config.rateLimit.windowMs,
      redisUrl: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      logger,
    });
    app = await buildApp({ config, storage, auth, cache, metrics, auditStore, version: VERSION }, { logger, rateLimitCounter });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, engine: storage.engine, startup_ms: Math.round(performance.now() - started) }, 'server listening');
    let closing: Promise<void> | null = null;
    return {
      app,
      storage,
      url,
      generatedAdminKey,
      close() {
        closing ??= closeResources();
        return closing;
      },
    };
  } catch (err) {
    // A failed start (port taken, database gone) must not leave Redis connections keeping the process alive.
    await closeResources().catch(() => undefined);
    throw err;
  }
}
