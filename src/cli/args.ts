import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A CLI mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  run(args: { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] }): Promise<number | void>;
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...(spec.options ?? {}) },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See: atom-analytics ${spec.name} --help`);
  }
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`atom-analytics ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`];
  const opts = Object.entries(spec.options ?? {});
  if (opts.length) {
    lines.push('', 'Options:');
    for (const [name, o] of opts) {
      const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`;
      const desc = (o as { description?: string }).description ?? '';
      lines.push(`  ${flag.padEnd(28)} ${desc}${o.default !== undefined ? ` (default: ${String(o.default)})` : ''}`);
    }
  }
  lines.push('  -h, --help                   show this help');
  return lines.join('\n');
}
