import type { Storage } from '../storage/types.ts';
import type { Actor } from './context.ts';
import { generateKey, generateKeyId, hashKey, sameHash } from './keys.ts';

export interface Authenticator {
  /** The actor a bearer key stands for, or null when the key is unknown or revoked. */
  authenticate(key: string): Promise<Actor | null>;
  /** Same, from the key's hash (`hashKey`), for callers that need the hash anyway. */
  authenticateHash(keyHash: string): Promise<Actor | null>;
  /**
   * The remembered actor of a key hash, without any I/O: undefined when the key must be looked up
   * (never seen, expired, forgotten, or unknown: unknown keys are never remembered).
   */
  cached(keyHash: string): Actor | undefined;
  /** Forget a cached key at once (called after revocation). */
  forget(keyHash: string): void;
}

export interface AuthenticatorOptions {
  /**
   * How long a verified key is trusted without asking the database again. Default: for ever with
   * a single-process engine (every revocation goes through this process, which forgets the key at
   * once), {@link SHARED_STORAGE_KEY_TTL_MS} (not at all) when several nodes share the database.
   */
  ttlMs?: number;
  /** How many verified keys are remembered; the oldest are forgotten first. */
  maxEntries?: number;
}

/**
 * With a database shared by several nodes (PostgreSQL), a verified key is not trusted from memory
 * at all: the contract says a revoked key stops working at once, and a key may be revoked through
 * another node. Each request asks the database (one indexed lookup; cache hits still skip the
 * report). A deployment that accepts a bounded delay could pass `ttlMs` explicitly.
 */
export const SHARED_STORAGE_KEY_TTL_MS = 0;

const DEFAULT_MAX_ENTRIES = 10_000;

interface Remembered {
  actor: Actor;
  /** performance.now() after which the database is asked again. */
  expiresAt: number;
}

/**
 * Resolves keys by their SHA-256. Verified keys are remembered (hash → actor, bounded, the
 * oldest forgotten first) so a request with a known key costs one hash and one map lookup:
 *
 * - Revocation through this node calls `forget`, effective at once, including for lookups that
 *   were in flight when it happened (they do not store their now-outdated answer).
 * - With several nodes sharing the database, keys are looked up on every request by default
 *   ({@link SHARED_STORAGE_KEY_TTL_MS}), so a key revoked through another node stops at once.
 * - Unknown and revoked keys are not remembered with the valid ones, so a flood of wrong keys
 *   cannot evict valid ones. With shared storage they are not remembered at all (a key created
 *   on another node works here at its first use; the rate limiter bounds how fast wrong keys
 *   reach the database); with a single-process engine they are, in a bounded set of their own
 *   (keys are 32 random bytes: a key cannot be created after being tried).
 */
export function createAuthenticator(storage: Storage, envAdminKey: string | undefined, options: AuthenticatorOptions = {}): Authenticator {
  const envAdminHash = envAdminKey ? hashKey(envAdminKey) : null;
  const ttlMs = options.ttlMs ?? (storage.capabilities.singleProcess ? Number.POSITIVE_INFINITY : SHARED_STORAGE_KEY_TTL_MS);
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  // Insertion-ordered: the first key is the oldest remembered.
  const remembered = new Map<string, Remembered>();
  // Wrong keys, remembered only with a single-process engine (see above).
  const refused = storage.capabilities.singleProcess ? new Set<string>() : null;
  /** Bumped by every `forget`: a lookup that straddles one does not store its answer. */
  let forgets = 0;

  async function lookup(hash: string): Promise<{ actor: Actor | null; permanent: boolean }> {
    if (envAdminHash && sameHash(hash, envAdminHash)) return { actor: { kind: 'admin', keyId: 'env' }, permanent: true };
    const admins = await storage.query<{ key_id: string }>(
      'SELECT key_id FROM admin_keys WHERE key_hash = $1 AND revoked_at_ms IS NULL',
      [hash],
    );
    if (admins[0]) return { actor: { kind: 'admin', keyId: admins[0].key_id }, permanent: false };
    const keys = await storage.query<{ key_id: string; tenant_id: string }>(
      'SELECT key_id, tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at_ms IS NULL',
      [hash],
    );
    if (keys[0]) return { actor: { kind: 'tenant', tenantId: keys[0].tenant_id, keyId: keys[0].key_id }, permanent: false };
    return { actor: null, permanent: false };
  }

  function cached(hash: string): Actor | undefined {
    const entry = remembered.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= performance.now()) {
      remembered.delete(hash);
      return undefined;
    }
    return entry.actor;
  }

  async function authenticateHash(hash: string): Promise<Actor | null> {
    const known = cached(hash);
    if (known !== undefined) return known;
    if (refused?.has(hash)) return null;
    const ticket = forgets;
    const { actor, permanent } = await lookup(hash);
    if (actor === null) {
      if (refused) {
        if (refused.size >= maxEntries) refused.clear();
        refused.add(hash);
      }
      return null;
    }
    // Shared by every request with this key: frozen so no caller can change who it stands for.
    Object.freeze(actor);
    if (ticket === forgets) {
      if (remembered.size >= maxEntries && !remembered.has(hash)) {
        const oldest = remembered.keys().next().value;
        if (oldest !== undefined) remembered.delete(oldest);
      }
      remembered.set(hash, { actor, expiresAt: permanent ? Number.POSITIVE_INFINITY : performance.now() + ttlMs });
    }
    return actor;
  }

  return {
    async authenticate(key) {
      if (!key || key.length > 200) return null;
      return authenticateHash(hashKey(key));
    },
    authenticateHash,
    cached,
    forget(keyHash) {
      forgets += 1;
      remembered.delete(keyHash);
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
