import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportTypes, openCsvExport } from '../../export/export-service.ts';
import { parsePeriod } from '../../reports/period.ts';
import { resolveTenantScope } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { createProgress, withAdminContext } from '../context.ts';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a report or raw records as CSV (same code path as GET /export/csv)',
  usage: 'atom-analytics export <type> [--from … --to … --tz … --tenant …] [--out file.csv]',
  options: {
    from: { type: 'string', description: 'inclusive start (ISO 8601 with offset, or YYYY-MM-DD in --tz)' },
    to: { type: 'string', description: 'exclusive end' },
    tz: { type: 'string', description: 'IANA time zone', default: 'UTC' },
    tenant: { type: 'string', description: 'one tenant (required for trends)' },
    'group-by': { type: 'string', description: 'mttr: service or severity' },
    granularity: { type: 'string', description: 'trends: hour, day or week' },
    threshold: { type: 'string', description: 'predictions: decision threshold' },
    out: { type: 'string', short: 'o', description: 'output file (default: stdout)' },
  },
  async run({ values, positionals }) {
    const [type] = positionals;
    if (!type || !exportTypes().includes(type)) throw new UsageError(`export needs a type: one of ${exportTypes().join(', ')}`);
    const out = optionalString(values, 'out');
    await withAdminContext(async (ctx, config) => {
      const tenantIds = await resolveTenantScope(ctx, optionalString(values, 'tenant'));
      const period = parsePeriod({ from: optionalString(values, 'from'), to: optionalString(values, 'to'), tz: optionalString(values, 'tz') }, Date.now());
      const exp = await openCsvExport({ storage: ctx.storage, config }, type, { ...period, tenantIds }, {
        group_by: optionalString(values, 'group-by'),
        granularity: optionalString(values, 'granularity'),
        threshold: optionalString(values, 'threshold'),
      });
      const progress = createProgress(`exporting ${type}`, null);
      let lines = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
          progress.update(Math.max(0, lines - 1), 'rows');
          done(null, chunk);
        },
      });
      await pipeline(exp.stream, counter, out ? createWriteStream(out) : process.stdout);
      progress.done();
      if (out) process.stderr.write(`wrote ${out}\n`);
    });
    return 0;
  },
};
