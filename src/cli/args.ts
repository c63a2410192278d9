import { parseArgs } from 'node:util';

/** A CLI mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

/**
 * A failure outside the command line's control that the user can act on (a server that cannot
 * be reached, a file that is not valid CSV): printed as one line, exit code 1.
 */
export class CommandError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  default?: string | boolean;
}

export type ArgValues = Record<string, string | boolean | undefined>;

/** The process environment, handed to commands by main.ts (the one place that reads it for the CLI). */
export type CliEnv = Readonly<Record<string, string | undefined>>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, OptionSpec>;
  /** How many positional arguments the command takes at most; more is a usage error. */
  maxPositionals: number;
  /** Extra help lines after the options (accepted values, environment variables). */
  notes?: string[];
  run(args: { values: ArgValues; positionals: string[]; env: CliEnv }): Promise<number | void>;
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): { values: ArgValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options ?? {})) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  let parsed: { values: ArgValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: ArgValues; positionals: string[] };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See: atom-analytics ${spec.name} --help`);
  }
  // --help wins over stray arguments, so `migrate extra --help` still shows the help.
  if (!parsed.values.help && parsed.positionals.length > spec.maxPositionals) {
    const stray = parsed.positionals[spec.maxPositionals]!;
    throw new UsageError(`unexpected argument "${stray}" for ${spec.name}. See: atom-analytics ${spec.name} --help`);
  }
  return parsed;
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`atom-analytics ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`];
  const opts = Object.entries(spec.options ?? {});
  lines.push('', 'Options:');
  for (const [name, o] of opts) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${o.description}${o.default !== undefined ? ` (default: ${String(o.default)})` : ''}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(30)} show this help`);
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}

/** Reads a string option, or throws a usage error naming it. */
export function requireString(values: ArgValues, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${command} needs --${name}`);
  return v;
}

export function optionalString(values: ArgValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
