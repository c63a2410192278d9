import { rebuildRollups } from '../../ingest/rollups.ts';
import { UsageError, type CommandSpec } from '../args.ts';
import { withAdminContext } from '../context.ts';

export const rollupsCommand: CommandSpec = {
  name: 'rollups',
  summary: 'rebuild the pre-aggregated rollups from raw rows',
  usage: 'atom-analytics rollups rebuild',
  maxPositionals: 1,
  async run({ positionals }) {
    if (positionals[0] !== 'rebuild') throw new UsageError('rollups needs an action: rebuild');
    const started = Date.now();
    const counts = await withAdminContext((ctx) => rebuildRollups(ctx.storage));
    for (const [table, n] of Object.entries(counts)) process.stdout.write(`${table.padEnd(24)} ${n} rows\n`);
    process.stdout.write(`rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
