import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import type { CommandSpec } from '../args.ts';

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'start the HTTP server (migrates, seeds demo data on an empty database)',
  usage: 'atom-analytics serve   (configured by environment variables: see README "Operating")',
  maxPositionals: 0,
  async run() {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    // The HTTP stack (Fastify and its plugins, Redis client, metrics) is loaded by `serve` only:
    // every other command starts without it.
    const { startServer } = await import('../../server.ts');
    const server = await startServer(config, logger);
    const banner = [
      '',
      `  ATOM Analytics is running on ${server.storage.engine === 'duckdb' ? `the embedded database (${config.dataDir})` : 'PostgreSQL'}`,
      `  Dashboard:  ${server.url}/`,
      `  API docs:   ${server.url}/docs`,
      server.generatedAdminKey
        ? `  Admin key:  ${server.generatedAdminKey}\n              (shown once; only its hash is stored — keep it safe)`
        : config.adminKey
          ? '  Admin key:  the value of ATOM_ADMIN_KEY'
          : '  Admin key:  printed at first start (only its hash is stored)',
      '',
    ];
    // Signal handlers before the banner: whoever reads the banner as "up" (a supervisor, a test)
    // may stop the server at once, and that must be the graceful shutdown, not the default kill.
    const stopped = new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          // A second signal means "now": the operator gave up waiting for in-flight requests.
          logger.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
        server.close().then(
          () => {
            logger.info('stopped');
            resolve();
          },
          (err: unknown) => {
            logger.error({ err }, 'error during shutdown');
            process.exitCode = 1;
            resolve();
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
    process.stdout.write(banner.join('\n') + '\n');
    await stopped;
    // Everything is closed; a stray timer or socket in some library must not keep a stopped
    // server alive. unref: if the event loop empties first, the process exits on its own.
    setTimeout(() => process.exit(), 2000).unref();
    return 0;
  },
};
