import { ConfigError } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { formatHelp, parseCommandArgs, UsageError, type CommandSpec } from './args.ts';
import { exportCommand } from './commands/export.ts';
import { importCommand } from './commands/import.ts';
import { migrateCommand } from './commands/migrate.ts';
import { reportCommand } from './commands/report.ts';
import { rollupsCommand } from './commands/rollups.ts';
import { seedCommand } from './commands/seed.ts';
import { serveCommand } from './commands/serve.ts';
import { keysCommand, tenantsCommand } from './commands/tenants.ts';

const COMMANDS: CommandSpec[] = [
  serveCommand,
  migrateCommand,
  seedCommand,
  importCommand,
  reportCommand,
  exportCommand,
  tenantsCommand,
  keysCommand,
  rollupsCommand,
];

function mainHelp(): string {
  return [
    'atom-analytics — multi-tenant operations analytics',
    '',
    'Usage: atom-analytics <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'Run atom-analytics <command> --help for the options of one command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command "${name}". Run atom-analytics --help for the list`);
  const args = parseCommandArgs(cmd, rest);
  if (args.values.help) {
    process.stdout.write(formatHelp(cmd) + '\n');
    return 0;
  }
  return (await cmd.run(args)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof DomainError) {
      process.stderr.write(`atom-analytics: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`atom-analytics: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
