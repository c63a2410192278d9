import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.ts';
import type { Authenticator } from '../../tenancy/authenticate.ts';
import type { Actor } from '../../tenancy/context.ts';
import { hashKey } from '../../tenancy/keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /**
     * SHA-256 of the bearer key, set by the auth hook on routes that need a key (null without a
     * usable key). The rate limiter counts under it; like the key itself, never log it.
     */
    keyHash: string | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a key (health, metrics, docs, dashboard files). */
    public?: boolean;
    /** Admin-only routes: a tenant key gets 403 before its body is even validated. */
    admin?: boolean;
  }
}

/** The bearer key of a request, or null when there is none. Never log it. */
export function bearerKey(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** Routes that need a key: every matched route not marked public (unmatched ones fall to the 404 handler). */
export function needsKey(req: FastifyRequest): boolean {
  return req.routeOptions.url !== undefined && req.routeOptions.config?.public !== true;
}

/** Longer bearer values are no key of ours: refused without hashing them. */
const MAX_KEY_LENGTH = 200;

/**
 * Authentication in two steps around the rate limiter: `onRequest` resolves the key to an actor
 * (or leaves null), the rate limiter then counts the request under that key (or the client
 * address when it has none or a wrong one, so guessing keys is limited too), and `preParsing`
 * refuses what has no valid key, before any body is read.
 *
 * The key is hashed once per request; a key verified recently is answered from the
 * authenticator's memory without any I/O (see createAuthenticator for how revocation reaches it).
 * Both hooks are callback-style so the common case costs no promise.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('keyHash', null);
  app.addHook('onRequest', (req, _reply, done) => {
    if (!needsKey(req)) return done();
    const key = bearerKey(req);
    if (!key || key.length > MAX_KEY_LENGTH) return done();
    const hash = hashKey(key);
    req.keyHash = hash;
    const known = auth.cached(hash);
    if (known !== undefined) {
      req.actor = known;
      return done();
    }
    auth.authenticateHash(hash).then(
      (actor) => {
        req.actor = actor;
        done();
      },
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  });
  app.addHook('preParsing', (req, _reply, _payload, done) => {
    if (!needsKey(req)) return done();
    if (!req.actor) {
      return done(bearerKey(req) ? new UnauthorizedError('The API key is unknown or revoked') : new UnauthorizedError());
    }
    if (req.routeOptions.config?.admin && req.actor.kind !== 'admin') return done(new ForbiddenError());
    done();
  });
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new UnauthorizedError();
  return req.actor;
}
