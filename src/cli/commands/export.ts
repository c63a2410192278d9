import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportTypes, openCsvExport } from '../../export/export-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { createProgress, withAdminContext } from '../context.ts';
import { readReportOptions, REPORT_OPTIONS } from '../report-options.ts';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a report or raw records as CSV (same code path as GET /export/csv)',
  usage: 'atom-analytics export <type> [--from … --to … --tz … --tenant …] [--out file.csv]',
  options: {
    ...REPORT_OPTIONS,
    out: { type: 'string', short: 'o', description: 'output file (default: stdout)' },
  },
  async run({ values, positionals }) {
    const [type] = positionals;
    if (!type || !exportTypes().includes(type)) throw new UsageError(`export needs a type: one of ${exportTypes().join(', ')}`);
    const out = optionalString(values, 'out');
    await withAdminContext(async (ctx, config) => {
      const { q, params } = await readReportOptions(ctx, values);
      const exp = await openCsvExport({ storage: ctx.storage.scoped(q.tenantIds), config }, type, q, params);
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
