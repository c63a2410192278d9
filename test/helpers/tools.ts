/**
 * External command-line tools some suites drive (promtool, prometheus). A missing tool skips those
 * tests with a visible notice; with ATOM_REQUIRE_SERVICES=1 (CI) it fails instead.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REQUIRE_SERVICES } from './services.ts';

/** Absolute path of an executable on PATH, or undefined. */
export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Skip reason for tests needing `binary`, or false when it is installed. */
export function toolSkip(binary: string, install: string): string | false {
  if (findOnPath(binary)) return false;
  const reason = `${binary} is not installed (${install})`;
  if (REQUIRE_SERVICES) throw new Error(`ATOM_REQUIRE_SERVICES=1 but ${reason}`);
  process.stderr.write(`\n*** NOTICE: ${reason}; skipping the tests that need it ***\n`);
  return `${reason} (skipped locally)`;
}
