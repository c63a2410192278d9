import type { FastifyInstance } from 'fastify';

/** Sent on every response, errors and streamed CSV downloads included. */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/**
 * The dashboard's policy: its own scripts and styles only (Vite emits files, no inline script),
 * charts may use data: images, and it talks to this API alone.
 */
export const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

/** Swagger UI under this prefix sets its own policy (its page needs an inline script hash). */
const DOCS_PREFIX = '/docs';

const SECURITY_HEADER_LIST = Object.entries(SECURITY_HEADERS);

/** Callback-style hooks: they run on every request, and cost no promise that way. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_req, reply, done) => {
    // On the raw response, so hijacked replies (CSV exports) carry them too.
    const raw = reply.raw;
    for (const [name, value] of SECURITY_HEADER_LIST) raw.setHeader(name, value);
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (type !== undefined && String(type).startsWith('text/html')) {
      const url = req.routeOptions.url ?? '';
      const isDocs = url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
      if (!isDocs) reply.header('content-security-policy', DASHBOARD_CSP);
    }
    done(null, payload);
  });
}
