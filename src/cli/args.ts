import { parseArgs } from 'node:util';

/** A CLI mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  default?: string | boolean;
}

export type ArgValues = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, OptionSpec>;
  run(args: { values: ArgValues; positionals: string[] }): Promise<number | void>;
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): { values: ArgValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options ?? {})) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values as ArgValues, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See: atom-analytics ${spec.name} --help`);
  }
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
