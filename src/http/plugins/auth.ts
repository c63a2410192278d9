import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../../domain/errors.ts';
import type { Authenticator } from '../../tenancy/authenticate.ts';
import type { Actor } from '../../tenancy/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a key (health, metrics, docs, dashboard files). */
    public?: boolean;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** Resolves the bearer key before any handler runs; only routes marked public skip it. */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    // Unknown routes fall through to the 404 handler without revealing anything.
    if (!req.routeOptions.url) return;
    const key = bearer(req);
    if (!key) throw new UnauthorizedError();
    const actor = await auth.authenticate(key);
    if (!actor) throw new UnauthorizedError('The API key is unknown or revoked');
    req.actor = actor;
  });
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new UnauthorizedError();
  return req.actor;
}
