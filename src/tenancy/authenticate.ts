import type { Storage } from '../storage/types.ts';
import type { Actor } from './context.ts';
import { generateKey, generateKeyId, hashKey, sameHash } from './keys.ts';

export interface Authenticator {
  /** The actor a bearer key stands for, or null when the key is unknown or revoked. */
  authenticate(key: string): Promise<Actor | null>;
  /** Forget a cached key at once (called after revocation). */
  forget(keyHash: string): void;
}

/**
 * Resolves keys by their SHA-256. With a single-process engine the lookups are cached in
 * memory (revocation goes through this process, so it can evict at once); with PostgreSQL
 * every request asks the database, so a key revoked on another node stops working at once.
 */
export function createAuthenticator(storage: Storage, envAdminKey: string | undefined): Authenticator {
  const envAdminHash = envAdminKey ? hashKey(envAdminKey) : null;
  const cache = storage.capabilities.singleProcess ? new Map<string, Actor | null>() : null;

  async function lookup(hash: string): Promise<Actor | null> {
    if (envAdminHash && sameHash(hash, envAdminHash)) return { kind: 'admin', keyId: 'env' };
    const admins = await storage.query<{ key_id: string }>(
      'SELECT key_id FROM admin_keys WHERE key_hash = $1 AND revoked_at_ms IS NULL',
      [hash],
    );
    if (admins[0]) return { kind: 'admin', keyId: admins[0].key_id };
    const keys = await storage.query<{ key_id: string; tenant_id: string }>(
      'SELECT key_id, tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at_ms IS NULL',
      [hash],
    );
    if (keys[0]) return { kind: 'tenant', tenantId: keys[0].tenant_id, keyId: keys[0].key_id };
    return null;
  }

  return {
    async authenticate(key) {
      if (!key || key.length > 200) return null;
      const hash = hashKey(key);
      if (cache?.has(hash)) return cache.get(hash) ?? null;
      const actor = await lookup(hash);
      if (cache) {
        // Bound the cache so a flood of random keys cannot grow memory.
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, actor);
      }
      return actor;
    },
    forget(keyHash) {
      cache?.delete(keyHash);
    },
  };
}

/**
 * Makes sure an admin key exists. With ATOM_ADMIN_KEY set nothing is stored; otherwise the first
 * start generates one, stores its hash and returns the clear key so the caller can print it once.
 */
export async function ensureAdminKey(storage: Storage, envAdminKey: string | undefined): Promise<string | null> {
  if (envAdminKey) return null;
  return storage.transaction(async (tx) => {
    await tx.lockTenants(['__admin__']);
    const rows = await tx.query('SELECT key_id FROM admin_keys WHERE revoked_at_ms IS NULL');
    if (rows.length > 0) return null;
    const key = generateKey('atom_admin');
    await tx.query('INSERT INTO admin_keys (key_id, key_hash, created_at_ms) VALUES ($1, $2, $3)', [
      generateKeyId(),
      hashKey(key),
      Date.now(),
    ]);
    return key;
  });
}
