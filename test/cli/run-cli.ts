/**
 * Runs the atom-analytics command line as a real child process on a private embedded database.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BIN = fileURLToPath(new URL('../../bin/atom-analytics.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI child: the database under `dir`, quiet logs, no inherited API key. */
export function cliEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', DATABASE_URL: '', ATOM_API_KEY: '', ...extra };
}

/** A CLI bound to the database under `dir`; `env` adds variables for one call. */
export function cliIn(dir: string) {
  return async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: cliEnv(dir, env), timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout, stderr: e.stderr };
    }
  };
}

/** Starts the CLI with piped stdout and stderr, for tests that read or close its output early. */
export function spawnCli(dir: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [BIN, ...args], { env: cliEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
}
