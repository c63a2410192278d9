import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Serves the built dashboard at / (public files; the page signs in with a key itself). */
export async function dashboardRoutes(app: FastifyInstance) {
  if (!existsSync(DIST + 'index.html')) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>ATOM Analytics</title><p>The dashboard is not built yet: run <code>npm run build:web</code> (npm start does it for you).</p>'),
    );
    return;
  }
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(fastifyStatic, {
    root: DIST,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    // Our own cache headers: @fastify/static would overwrite them with max-age on the HTML too.
    cacheControl: false,
    schemaHide: true,
    setHeaders(res, path) {
      // The HTML must be re-fetched so a new build's hashed assets are picked up; the hashed
      // assets themselves never change.
      res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}
