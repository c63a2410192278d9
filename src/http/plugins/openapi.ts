import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { ERROR_RESPONSES } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Documentation of a request body the route parses itself (ingest reads raw JSON or NDJSON
     * so errors can name record indexes); shown in /openapi.json, never used for validation.
     */
    openapiBody?: object;
  }
}

const TAGS = [
  { name: 'operations', description: 'Health, readiness, metrics and documentation (no key needed)' },
  { name: 'tenants', description: 'Tenants, keys and price overrides (admin key)' },
  { name: 'ingest', description: 'Batches of records, all or nothing' },
  { name: 'reports', description: 'Reports over a period (JSON)' },
  { name: 'export', description: 'CSV downloads and audit exports' },
  { name: 'dashboard', description: 'The web dashboard (no key needed; it asks for one)' },
];

/** Routes registered by plugins without a schema of ours, documented here. */
const EXTRA_DOCS: Record<string, FastifySchema & Record<string, unknown>> = {
  'GET /docs': {
    tags: ['operations'],
    summary: 'Browsable API documentation (Swagger UI)',
    operationId: 'getDocs',
    response: { 200: { description: 'Swagger UI page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
  'GET /': {
    tags: ['dashboard'],
    summary: 'The dashboard (single-page app; static files under /assets)',
    operationId: 'getDashboard',
    response: { 200: { description: 'Dashboard HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
};

/** `GET /reports/trends/:tenant_id` → `getReportsTrendsByTenantId`, for routes without an explicit id. */
export function operationIdFor(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by_${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The documented method: GET for routes registered as ['HEAD', 'GET'] (static files). */
function methodOf(route: RouteOptions): string {
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String);
  return methods.includes('GET') ? 'GET' : methods[0]!;
}

/**
 * Adds to each route's documentation what is the same everywhere, without touching the schema
 * Fastify validates and serialises with: the error responses (the error handler answers every
 * route in that shape), `security: []` on public routes, an operationId, docs-only bodies.
 */
function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }) {
  const method = methodOf(route);
  const extra = EXTRA_DOCS[`${method} ${url}`];
  const doc: Record<string, unknown> = { ...(schema ?? {}), ...(extra ? { ...extra, hide: false } : {}) };
  if (doc.hide) return { schema: doc, url };
  if (route.config?.openapiBody) doc.body = route.config.openapiBody;
  doc.operationId ??= operationIdFor(method, url);
  if (route.config?.public) doc.security = [];
  const response = { ...((doc.response as Record<string, unknown> | undefined) ?? {}) };
  for (const [status, ref] of Object.entries(ERROR_RESPONSES)) {
    const covered = Object.keys(response).some((code) => code[0] === status[0]);
    if (!covered && !extra) response[status] = { ...ref, description: status === '4xx' ? 'Client error' : 'Server error' };
  }
  // Without any schema @fastify/swagger documents a bare 200; keep that when adding the errors.
  if (!Object.keys(response).some((code) => code.startsWith('2'))) response['200'] = { description: 'Default Response' };
  doc.response = response;
  return { schema: doc as FastifySchema, url };
}

/**
 * OpenAPI 3 from the route schemas at /openapi.json and Swagger UI at /docs. Must be registered
 * before the routes so it sees them all.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ATOM Analytics API',
        version,
        description: 'Multi-tenant operations analytics: ingest, reports, exports. See the README for metric definitions.',
      },
      servers: [{ url: '/' }],
      tags: TAGS,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin or tenant API key' } },
      },
      security: [{ bearer: [] }],
    },
    // Shared schemas appear under their own name (`#/components/schemas/Error`), not `def-0`.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: documentRoute,
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      // Static files are routed as ['HEAD', 'GET']; HEAD is implied by GET and would repeat its operationId.
      for (const item of Object.values(document.openapiObject.paths ?? {})) {
        if (item && 'get' in item && 'head' in item) delete item.head;
      }
      return document.openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });
  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'This OpenAPI 3 document',
        operationId: 'getOpenApi',
        response: { 200: { description: 'OpenAPI 3.0 document', type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
}
