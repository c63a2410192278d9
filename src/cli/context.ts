import { loadConfig, type Config } from '../config.ts';
import { createStorage } from '../storage/create-storage.ts';
import type { Storage } from '../storage/types.ts';
import type { ServiceContext } from '../tenancy/context.ts';

/**
 * Opens the configured database for one CLI command, as the admin, and closes it after.
 * With the embedded engine the server must not be running (DuckDB allows one writer).
 */
export async function withAdminContext<T>(fn: (ctx: ServiceContext, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const storage: Storage = await createStorage(config);
  try {
    await storage.migrate();
    return await fn({ actor: { kind: 'admin', keyId: 'cli' }, storage }, config);
  } finally {
    await storage.close();
  }
}

/** A one-line progress bar on stderr, only when it is a terminal. */
export function createProgress(label: string, total: number | null) {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let last = 0;
  return {
    update(done: number, extra = '') {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const rate = done / Math.max(0.001, (now - started) / 1000);
      let bar = '';
      if (total) {
        const frac = Math.min(1, done / total);
        const width = 28;
        const filled = Math.round(frac * width);
        bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}% `;
      }
      process.stderr.write(`\r${label} ${bar}${done.toLocaleString('en-US')} (${Math.round(rate).toLocaleString('en-US')}/s) ${extra}`.padEnd(100));
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
