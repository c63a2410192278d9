import { loadConfig } from '../../config.ts';
import { createStorage } from '../../storage/create-storage.ts';
import type { CommandSpec } from '../args.ts';

export const migrateCommand: CommandSpec = {
  name: 'migrate',
  summary: 'apply pending database migrations and exit',
  usage: 'atom-analytics migrate',
  maxPositionals: 0,
  async run() {
    const storage = await createStorage(loadConfig());
    try {
      const applied = await storage.migrate();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await storage.close();
    }
    return 0;
  },
};
