import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.ts';
import type { Authenticator } from '../../tenancy/authenticate.ts';
import type { Actor } from '../../tenancy/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
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

/**
 * Authentication in two steps around the rate limiter: `onRequest` resolves the key to an actor
 * (or leaves null), the rate limiter then counts the request under that key (or the client
 * address when it has none or a wrong one, so guessing keys is limited too), and `preParsing`
 * refuses what has no valid key, before any body is read.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (req) => {
    if (!needsKey(req)) return;
    const key = bearerKey(req);
    if (key) req.actor = await auth.authenticate(key);
  });
  app.addHook('preParsing', async (req) => {
    if (!needsKey(req)) return;
    if (!req.actor) {
      throw bearerKey(req) ? new UnauthorizedError('The API key is unknown or revoked') : new UnauthorizedError();
    }
    if (req.routeOptions.config?.admin && req.actor.kind !== 'admin') throw new ForbiddenError();
  });
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new UnauthorizedError();
  return req.actor;
}
