import { ConfigError } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { CommandError, formatHelp, parseCommandArgs, UsageError, type CommandSpec } from './args.ts';
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
  return (await cmd.run({ ...args, env: process.env })) ?? 0;
}

/** A domain error's message, with the details that say which field is wrong and why. */
function describeDomainError(err: DomainError): string {
  const extra = err.details.map((d) => d.message).filter((m) => !err.message.includes(m));
  return extra.length ? `${err.message}: ${extra.join('; ')}` : err.message;
}

// A reader that stops early (`| head`) closes the pipe: that is a normal end, not an error.
// The command is left to finish (or fail on its next write) so it still closes the database.
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    stdoutClosed = true;
    return;
  }
  process.stderr.write(`atom-analytics: cannot write the output: ${err.message}\n`);
  process.exit(1);
});

/** The error a write or a pipeline to the closed stdout fails with. */
function isClosedOutputError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (stdoutClosed && isClosedOutputError(err)) {
      process.exitCode = 0;
    } else if (err instanceof UsageError || err instanceof ConfigError || err instanceof DomainError) {
      process.stderr.write(`atom-analytics: ${err instanceof DomainError ? describeDomainError(err) : err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof CommandError) {
      process.stderr.write(`atom-analytics: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`atom-analytics: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
