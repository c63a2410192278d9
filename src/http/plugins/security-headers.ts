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

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_req, reply) => {
    // On the raw response, so hijacked replies (CSV exports) carry them too.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    const url = req.routeOptions.url ?? '';
    const isDocs = url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
    if (type.startsWith('text/html') && !isDocs) reply.header('content-security-policy', DASHBOARD_CSP);
    return payload;
  });
}
