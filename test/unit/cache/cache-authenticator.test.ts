/**
 * Issue 7: the authenticator remembers verified keys (hash → actor) so a cache hit costs no
 * database round trip; revocation through this node is effective at once, also for lookups in
 * flight, and with shared storage a key is trusted for at most the TTL without asking again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Storage } from '../../../src/storage/types.ts';
import { createAuthenticator } from '../../../src/tenancy/authenticate.ts';
import { hashKey } from '../../../src/tenancy/keys.ts';

/** A storage double answering the two key lookups from a map of key hash → tenant. */
function fakeStorage(singleProcess: boolean) {
  const tenantKeys = new Map<string, { tenant_id: string; key_id: string }>();
  let queries = 0;
  let gate: Promise<void> | null = null;
  const storage = {
    capabilities: { singleProcess },
    async query(sql: string, params: string[]) {
      queries += 1;
      // Read first, answer later: a query that read before a revocation returns what it read.
      const row = sql.includes('admin_keys') ? undefined : tenantKeys.get(params[0]!);
      if (gate && !sql.includes('admin_keys')) await gate;
      return row ? [row] : [];
    },
  } as unknown as Storage;
  return {
    storage,
    tenantKeys,
    queries: () => queries,
    /** Holds every api_keys query (after it has read) until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('authenticator', () => {
  it('hashes keys with SHA-256 (the stored form)', () => {
    assert.equal(hashKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(hashKey('é'), hashKey('\u00e9'));
  });

  it('asks the database once for a key, then answers from memory', async () => {
    const db = fakeStorage(true);
    db.tenantKeys.set(hashKey('k1'), { tenant_id: 't1', key_id: 'key_1' });
    const auth = createAuthenticator(db.storage, undefined);
    for (let i = 0; i < 5; i++) assert.deepEqual(await auth.authenticate('k1'), { kind: 'tenant', tenantId: 't1', keyId: 'key_1' });
    assert.equal(db.queries(), 2, 'admin_keys then api_keys, once');
    assert.deepEqual(auth.cached(hashKey('k1')), { kind: 'tenant', tenantId: 't1', keyId: 'key_1' });
    assert.ok(Object.isFrozen(auth.cached(hashKey('k1'))), 'the shared actor cannot be changed by a request');
  });

  it('recognises the environment admin key without the database', async () => {
    const db = fakeStorage(false);
    const auth = createAuthenticator(db.storage, 'admin-secret');
    assert.deepEqual(await auth.authenticate('admin-secret'), { kind: 'admin', keyId: 'env' });
    assert.equal(db.queries(), 0);
    assert.equal(await auth.authenticate('x'.repeat(201)), null, 'over-long keys are refused unhashed');
  });

  it('forgets a key at once, also when its lookup was in flight during the revocation', async () => {
    const db = fakeStorage(true);
    const hash = hashKey('k1');
    db.tenantKeys.set(hash, { tenant_id: 't1', key_id: 'key_1' });
    const auth = createAuthenticator(db.storage, undefined);
    await auth.authenticate('k1');
    db.tenantKeys.delete(hash); // revoked in the database…
    auth.forget(hash); // …and forgotten by the node that revoked it
    assert.equal(auth.cached(hash), undefined);
    assert.equal(await auth.authenticate('k1'), null);

    // A lookup that read the key as valid before the revocation must not store that answer.
    db.tenantKeys.set(hashKey('k2'), { tenant_id: 't2', key_id: 'key_2' });
    const release = db.hold();
    const before = db.queries();
    const inFlight = auth.authenticate('k2');
    // Wait until the lookup has read api_keys (the key still valid), then revoke it.
    while (db.queries() < before + 2) await new Promise((r) => setImmediate(r));
    db.tenantKeys.delete(hashKey('k2'));
    auth.forget(hashKey('k2'));
    release();
    // The in-flight request itself was admitted before the revocation; nothing after it is.
    assert.equal((await inFlight)?.kind, 'tenant');
    assert.equal(auth.cached(hashKey('k2')), undefined);
    assert.equal(await auth.authenticate('k2'), null);
  });

  it('with shared storage, trusts a remembered key for at most the TTL, and never remembers wrong keys', async () => {
    const db = fakeStorage(false);
    const hash = hashKey('k1');
    db.tenantKeys.set(hash, { tenant_id: 't1', key_id: 'key_1' });
    const auth = createAuthenticator(db.storage, undefined, { ttlMs: 50 });
    assert.equal((await auth.authenticate('k1'))?.kind, 'tenant');
    // Revoked through another node: this one is not told.
    db.tenantKeys.delete(hash);
    assert.equal((await auth.authenticate('k1'))?.kind, 'tenant', 'still trusted within the TTL');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await auth.authenticate('k1'), null, 'asked again after the TTL');
    const before = db.queries();
    await auth.authenticate('wrong');
    await auth.authenticate('wrong');
    assert.equal(db.queries() - before, 4, 'a wrong key is asked for every time with shared storage');
    // A key created on another node works at its first use here.
    db.tenantKeys.set(hashKey('new'), { tenant_id: 't9', key_id: 'key_9' });
    assert.equal((await auth.authenticate('new'))?.kind, 'tenant');
  });

  it('keeps at most maxEntries keys; wrong keys cannot evict valid ones', async () => {
    const db = fakeStorage(true);
    for (let i = 0; i < 5; i++) db.tenantKeys.set(hashKey(`k${i}`), { tenant_id: `t${i}`, key_id: `key_${i}` });
    const auth = createAuthenticator(db.storage, undefined, { maxEntries: 3 });
    await auth.authenticate('k0');
    for (let i = 0; i < 50; i++) await auth.authenticate(`wrong-${i}`);
    assert.notEqual(auth.cached(hashKey('k0')), undefined, 'still remembered after a flood of wrong keys');
    for (let i = 1; i < 5; i++) await auth.authenticate(`k${i}`);
    const remembered = [0, 1, 2, 3, 4].filter((i) => auth.cached(hashKey(`k${i}`)) !== undefined);
    assert.deepEqual(remembered, [2, 3, 4], 'the oldest are forgotten first');
  });
});
