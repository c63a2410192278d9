import type { FastifyInstance } from 'fastify';
import { createReportCache } from './cache/index.ts';
import { createAuditStore } from './export/audit-store.ts';
import { createMetrics } from './observability/metrics.ts';
import type { Config } from './config.ts';
import { seedDemoData } from './demo/seed.ts';
import { buildApp } from './http/app.ts';
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
  close(): Promise<void>;
}

/**
 * Wires storage, auth and the app, applies migrations, seeds demo data on an empty database,
 * and listens. Process concerns (signals, exit codes) stay with the caller.
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const started = performance.now();
  const storage = await createStorage(config);
  try {
    const applied = await storage.migrate();
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
    const generatedAdminKey = await ensureAdminKey(storage, config.adminKey);
    if (config.demo) {
      const seeded = await seedDemoData(storage, { onlyIfEmpty: true });
      if (seeded) logger.info(seeded, 'demo data loaded');
    }
    const auth = createAuthenticator(storage, config.adminKey);
    const metrics = createMetrics();
    metrics.setPoolStatsProvider(() => {
      const s = storage.poolStats();
      return [
        { engine: storage.engine, state: 'total', connections: s.total },
        { engine: storage.engine, state: 'idle', connections: s.idle },
        { engine: storage.engine, state: 'waiting', connections: s.waiting },
      ];
    });
    const cache = createReportCache({ config, logger, metrics });
    const auditStore = createAuditStore(config);
    const app = await buildApp({ config, storage, auth, cache, metrics, auditStore, version: VERSION }, { logger: logger });
    app.addHook('onClose', async () => {
      await cache.close();
      await auditStore.close();
    });
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
        // app.close() stops accepting and waits for in-flight requests before we close the pools.
        closing ??= app.close().then(() => storage.close());
        return closing;
      },
    };
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
}
