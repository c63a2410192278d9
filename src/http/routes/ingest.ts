import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { ingestBatch } from '../../ingest/ingest-service.ts';
import { isIngestKind } from '../../ingest/kinds.ts';
import { serviceContext, type AppDeps } from '../context.ts';

/** POST /ingest/{kind}: the body is parsed by our own code so errors can name record indexes. */
export async function ingestRoutes(app: FastifyInstance, deps: AppDeps) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-ndjson'], { parseAs: 'string', bodyLimit: deps.config.bodyLimitBytes }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/ingest/:kind',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a batch (JSON array or NDJSON), all or nothing',
        params: {
          type: 'object',
          properties: { kind: { type: 'string' } },
          required: ['kind'],
        },
      },
    },
    async (req, reply) => {
      const { kind } = req.params as { kind: string };
      if (!isIngestKind(kind)) {
        throw new NotFoundError('unknown_kind', `Unknown kind "${kind}"; use workflow_runs, incidents, metrics or predictions`);
      }
      const body = typeof req.body === 'string' ? req.body : '';
      const { tenantIds, ...counts } = await ingestBatch(serviceContext(deps, req), kind, body, req.headers['content-type']);
      // After COMMIT and before the acknowledgement: later report reads miss the old cache entries.
      if (counts.inserted + counts.updated > 0) await deps.cache.bumpGeneration(tenantIds);
      for (const result of ['inserted', 'updated', 'unchanged'] as const) deps.metrics.recordIngested(kind, result, counts[result]);
      return reply.status(200).send(counts);
    },
  );
}
