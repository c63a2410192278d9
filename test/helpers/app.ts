/**
 * A real listening server per suite, on a private database, with helpers to call it.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type EngineName, type TestDatabase } from './engines.ts';

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApp {
  engine: EngineName;
  url: string;
  adminKey: string;
  server: RunningServer;
  db: TestDatabase;
  request<T = any>(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<TestResponse<T>>;
  /** Creates a tenant and a key for it; returns both. */
  createTenant(id?: string, name?: string): Promise<{ id: string; key: string; keyId: string }>;
  close(): Promise<void>;
}

export async function startTestApp(engine: EngineName, env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase(engine);
  try {
    return await startTestAppOn(db, env, { ownsDatabase: true });
  } catch (err) {
    await db.dispose();
    throw err;
  }
}

export interface TestAppOptions {
  /** Dispose of the database when the app closes (false: several apps share it; the caller disposes). */
  ownsDatabase?: boolean;
  /** Where the server logs; default silent. */
  logger?: Logger;
  /** Admin key; default a fresh random one. Apps that must share rate-limit buckets pass the same. */
  adminKey?: string;
}

/**
 * Starts a server on an existing test database, e.g. a second node on the same PostgreSQL
 * database, or one reached through a TCP proxy (`env.DATABASE_URL` overrides the database's own).
 * The test suites make many requests with one key, so the rate limit is set far above what they
 * need unless `env.RATE_LIMIT_MAX` says otherwise.
 */
export async function startTestAppOn(db: TestDatabase, env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const engine = db.engine;
  const adminKey = options.adminKey ?? `atom_admin_test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    ATOM_DEMO: '0',
    PORT: '0',
    HOST: '127.0.0.1',
    ATOM_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'silent',
    DUCKDB_MEMORY_LIMIT: '512MB',
    RATE_LIMIT_MAX: '1000000',
    ...db.env,
    ...env,
  });
  const server = await startServer(config, options.logger ?? createLogger('silent'));
  const app: TestApp = {
    engine,
    url: server.url,
    adminKey,
    server,
    db,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const key = opts.key === undefined ? adminKey : opts.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined;
      if (opts.raw !== undefined) {
        body = opts.raw;
        headers['content-type'] = opts.contentType ?? 'application/json';
      } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = opts.contentType ?? 'application/json';
      }
      const res = await fetch(server.url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed as any, text };
    },
    async createTenant(id, name) {
      const tenantId = id ?? `t_${randomBytes(5).toString('hex')}`;
      const t = await app.request('POST', '/tenants', { body: { id: tenantId, name: name ?? `Tenant ${tenantId}` } });
      if (t.status !== 201) throw new Error(`createTenant failed: ${t.status} ${t.text}`);
      const k = await app.request('POST', `/tenants/${tenantId}/keys`, { body: { name: 'test' } });
      if (k.status !== 201) throw new Error(`createKey failed: ${k.status} ${k.text}`);
      return { id: tenantId, key: k.body.key, keyId: k.body.key_id };
    },
    async close() {
      await server.close();
      if (options.ownsDatabase) await db.dispose();
    },
  };
  return app;
}
