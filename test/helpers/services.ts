/**
 * Real external services for tests. Locally, a missing PostgreSQL or Redis skips those tests
 * with a visible notice; with ATOM_REQUIRE_SERVICES=1 (CI) a missing service fails instead.
 */
import net from 'node:net';

export const REQUIRE_SERVICES = process.env.ATOM_REQUIRE_SERVICES === '1';
export const PG_ADMIN_URL = process.env.ATOM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.ATOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const checks = new Map<string, Promise<boolean>>();

/**
 * Resolves to a skip reason (string) when the service is missing locally, false when present.
 * Throws when the service is required (CI) but missing.
 */
export async function serviceSkip(name: 'postgres' | 'redis'): Promise<string | false> {
  const url = new URL(name === 'postgres' ? PG_ADMIN_URL : REDIS_URL);
  const port = Number(url.port || (name === 'postgres' ? 5432 : 6379));
  let check = checks.get(name);
  if (!check) checks.set(name, (check = portOpen(url.hostname, port)));
  if (await check) return false;
  const msg = `${name} is not reachable at ${url.hostname}:${port}`;
  if (REQUIRE_SERVICES) throw new Error(`${msg} and ATOM_REQUIRE_SERVICES=1`);
  process.stderr.write(`\n*** NOTICE: ${msg}; skipping ${name} tests (set ATOM_REQUIRE_SERVICES=1 to fail instead) ***\n`);
  return `${msg} (skipped locally)`;
}
