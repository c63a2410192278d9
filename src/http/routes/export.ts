import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../domain/errors.ts';
import { exportTypes, openCsvExport } from '../../export/export-service.ts';
import { CSV_CONTENT_TYPE } from '../../export/csv.ts';
import { parsePeriod } from '../../reports/period.ts';
import { resolveTenantScope } from '../../tenancy/tenant-service.ts';
import { serviceContext, type AppDeps } from '../context.ts';
import { extendQuerySchema, readReportQuery } from './report-query.ts';

const extraParams = {
  group_by: { type: 'string', description: 'mttr: service or severity' },
  granularity: { type: 'string', description: 'trends: hour, day or week' },
  threshold: { type: 'string', description: 'predictions: decision threshold, default 0.5' },
} as const;

/** CSV downloads and audit exports (contract: Export). */
export async function exportRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get(
    '/export/csv/:type',
    {
      schema: {
        tags: ['export'],
        summary: 'Download a report or raw records as CSV (streamed)',
        params: { type: 'object', properties: { type: { type: 'string', enum: exportTypes() } }, required: ['type'] },
        querystring: extendQuerySchema(extraParams),
      },
    },
    async (req, reply) => {
      const { type } = req.params as { type: string };
      const ctx = serviceContext(deps, req);
      const q = await readReportQuery(ctx, req);
      // Reads run in the caller's tenant scope, enforced by the engine (as for reports).
      const env = { storage: deps.storage.scoped(q.tenantIds), config: deps.config };
      // Resolves once data flows: a failure to start is still an ordinary JSON error answer.
      const exp = await openCsvExport(env, type, q, req.query as Record<string, string | undefined>);
      deps.metrics.recordExport(type, 'csv');
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': CSV_CONTENT_TYPE,
        'content-disposition': `attachment; filename=${exp.filename}`,
        'cache-control': 'no-store',
      });
      try {
        await pipeline(exp.stream, reply.raw);
      } catch (err) {
        // pipeline() has destroyed both ends. A database error mid-stream thus kills the socket
        // before the final chunk, so the client sees an aborted download, never a silently short
        // file; a client that went away has stopped the query and released its connection.
        if ((err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') req.log.info({ type }, 'csv export stopped: the client went away');
        else req.log.error({ err, type }, 'csv export aborted mid-stream');
        reply.raw.destroy();
      }
    },
  );

  app.post(
    '/export/audit',
    {
      schema: {
        tags: ['export'],
        summary: 'Write a CSV and its manifest (row count, SHA-256, period) to the audit store',
        body: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            from: { type: 'string' },
            to: { type: 'string' },
            tz: { type: 'string' },
            tenant_id: { type: 'string' },
            ...extraParams,
          },
          required: ['type'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const body = req.body as Record<string, string | undefined>;
      const type = body.type!;
      if (!exportTypes().includes(type)) {
        throw new ValidationError(`Unknown export type "${type}"`, [{ field: 'type', message: `one of ${exportTypes().join(', ')}` }]);
      }
      const ctx = serviceContext(deps, req);
      const tenantIds = await resolveTenantScope(ctx, body.tenant_id);
      const period = parsePeriod({ from: body.from, to: body.to, tz: body.tz }, Date.now());
      const q = { ...period, tenantIds };
      const exp = await openCsvExport({ storage: deps.storage.scoped(tenantIds), config: deps.config }, type, q, body);
      const result = await deps.auditStore.put({
        type,
        tenantId: tenantIds?.length === 1 ? tenantIds[0]! : null,
        fromIso: new Date(q.fromMs).toISOString(),
        toIso: new Date(q.toMs).toISOString(),
        csv: exp.stream,
        version: deps.version,
      });
      deps.metrics.recordExport(type, 'audit');
      return reply.status(201).send(result);
    },
  );
}
