import type { Storage } from '../storage/types.ts';

/** Who is calling: the admin, or exactly one tenant. Ownership always comes from here, never from a body. */
export type Actor = { kind: 'admin'; keyId: string } | { kind: 'tenant'; tenantId: string; keyId: string };

/** Explicit context every service function takes. */
export interface ServiceContext {
  actor: Actor;
  storage: Storage;
}
