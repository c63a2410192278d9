import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { startServer } from '../../server.ts';
import type { CommandSpec } from '../args.ts';

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'start the HTTP server (migrates, seeds demo data on an empty database)',
  usage: 'atom-analytics serve   (configured by environment variables: see README "Operating")',
  async run() {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
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
    process.stdout.write(banner.join('\n') + '\n');
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
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
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
