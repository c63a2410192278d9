import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cacheKeyBase, type TenantScope } from '../../cache/index.ts';
import type { ReportQuery } from '../../reports/common.ts';
import { REPORTS, type ReportDefinition } from '../../reports/registry.ts';
import type { Actor } from '../../tenancy/context.ts';
import { serviceContext, type AppDeps } from '../context.ts';
import { actorOf } from '../plugins/auth.ts';
import { extendQuerySchema, readReportQuery } from './report-query.ts';

/** What a report request resolves to before any data is read; see {@link PreparedQueries}. */
interface PreparedQuery {
  q: ReportQuery;
  /** The query parameters; reports read their extra ones from here. */
  params: Record<string, string | undefined>;
  scope: TenantScope;
  parts: Record<string, unknown>;
  keyBase: string;
  /** Computes the answer from the database (only called on a miss or a bypass). */
  compute: () => Promise<string>;
}

/** Requests remembered at most; the oldest are forgotten first. */
const MAX_PREPARED = 5_000;
/** Longer URLs are prepared every time instead of being kept. */
const MAX_PREPARED_URL_LENGTH = 1_024;

/**
 * Prepared report requests by caller scope and URL, so a repeated request (a dashboard refresh,
 * a cache hit) skips period parsing, tenant checks and key hashing. Only successes are kept, and
 * only when nothing in them depends on the clock (both `from` and `to` given): what is kept is
 * then a pure function of the URL and the caller's scope. Tenants are never deleted, so a
 * tenant found to exist keeps existing. Each request still goes through schema validation,
 * authentication, rate limiting, and the cache's generation check.
 */
class PreparedQueries {
  private readonly entries = new Map<string, PreparedQuery>();

  keyOf(report: ReportDefinition, actor: Actor, req: FastifyRequest): string | null {
    const query = req.query as { from?: unknown; to?: unknown };
    if (typeof query.from !== 'string' || query.from === '' || typeof query.to !== 'string' || query.to === '') return null;
    if (req.url.length > MAX_PREPARED_URL_LENGTH) return null;
    // Admin requests resolve the same whichever admin key asks; a tenant key's resolve to its tenant.
    const who = actor.kind === 'admin' ? 'admin' : `tenant:${actor.tenantId}`;
    return `${report.name}\n${who}\n${req.url}`;
  }

  get(key: string): PreparedQuery | undefined {
    return this.entries.get(key);
  }

  set(key: string, prepared: PreparedQuery): void {
    if (this.entries.size >= MAX_PREPARED) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, prepared);
  }
}

async function prepare(deps: AppDeps, req: FastifyRequest, report: ReportDefinition): Promise<PreparedQuery> {
  const ctx = serviceContext(deps, req);
  const pathTenant = report.tenantInPath ? (req.params as { tenant_id: string }).tenant_id : undefined;
  const q = await readReportQuery(ctx, req, pathTenant);
  const params = { ...(req.query as Record<string, string | undefined>) };
  const { from: _f, to: _t, tz: _z, tenant_id: _id, ...extra } = params;
  const scope: TenantScope = q.tenantIds ?? 'all';
  // The key holds the resolved scope and every parameter; the generation added by the cache
  // makes any acknowledged ingest invalidate it (never stale).
  const parts = { report: report.name, fromMs: q.fromMs, toMs: q.toMs, tz: q.tz, extra };
  // Shared by later requests with the same URL: frozen so no report can change them for the next.
  if (q.tenantIds) Object.freeze(q.tenantIds);
  Object.freeze(q);
  Object.freeze(params);
  // Reads run in the caller's tenant scope, enforced by the engine (row-level security).
  const compute = async () => JSON.stringify(await report.run({ storage: deps.storage.scoped(q.tenantIds), config: deps.config }, q, params));
  return { q, params, scope, parts, keyBase: cacheKeyBase(scope, parts), compute };
}

const BYPASS = /no-cache|no-store/i;

/** GET /reports/*: one route per report definition (src/reports/registry.ts). */
export async function reportRoutes(app: FastifyInstance, deps: AppDeps) {
  // Per app: tests run several apps (databases) in one process.
  const prepared = new PreparedQueries();
  for (const report of REPORTS) {
    app.get(
      report.path,
      {
        schema: {
          tags: ['reports'],
          summary: report.summary,
          querystring: extendQuerySchema(report.extraQuery ?? {}),
          ...(report.tenantInPath
            ? { params: { type: 'object', properties: { tenant_id: { type: 'string' } }, required: ['tenant_id'] } }
            : {}),
        },
      },
      async (req, reply) => {
        const memoKey = prepared.keyOf(report, actorOf(req), req);
        let p = memoKey === null ? undefined : prepared.get(memoKey);
        if (p === undefined) {
          p = await prepare(deps, req, report);
          if (memoKey !== null) prepared.set(memoKey, p);
        }
        deps.metrics.recordReport(report.name);
        // `Cache-Control: no-cache` asks for a fresh computation (benchmarks, debugging).
        const cacheControl = req.headers['cache-control'];
        const bypass = cacheControl !== undefined && BYPASS.test(cacheControl);
        // A prepared request doubles as the cache computation (scope, parts, keyBase, compute).
        const answer = bypass ? { value: await p.compute(), cache: 'miss' as const } : await deps.cache.getOrCompute(p);
        reply.header('x-cache', answer.cache).type('application/json; charset=utf-8');
        return answer.value;
      },
    );
  }
}
