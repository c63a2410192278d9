import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { ingestBatch } from '../../ingest/ingest-service.ts';
import { isIngestKind } from '../../ingest/kinds.ts';
import { INCIDENT_SEVERITIES, INGEST_KINDS, PREDICTION_OUTCOMES, WORKFLOW_RUN_STATUSES } from '../../ingest/records.ts';
import { ERROR_REF, ERROR_RESPONSES } from '../plugins/errors.ts';
import { serviceContext, type AppDeps } from '../context.ts';

const timestamp = { type: 'string', format: 'date-time', description: 'ISO 8601 with an explicit offset' } as const;
const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const text = { type: 'string', maxLength: 1000, description: 'Stored after redaction of e-mail addresses, phone numbers and IPs' } as const;
const tenantId = { type: 'string', description: 'Required with the admin key; with a tenant key it defaults to (and must be) the key’s tenant' } as const;
const probability = { type: 'number', minimum: 0, maximum: 1 } as const;
const quantity = { type: 'number', minimum: 0 } as const;

/** One record of each kind (contract: Ingestion). Documentation only: ingest-service validates. */
const RECORD_DOCS = {
  workflow_runs: {
    title: 'WorkflowRun',
    type: 'object',
    additionalProperties: false,
    required: ['id', 'workflow_id', 'service', 'status', 'started_at'],
    properties: {
      id,
      tenant_id: tenantId,
      workflow_id: id,
      workflow_name: text,
      service: id,
      status: { type: 'string', enum: [...WORKFLOW_RUN_STATUSES] },
      started_at: timestamp,
      finished_at: { ...timestamp, description: 'Required unless running; not before started_at' },
      duration_ms: { type: 'integer', minimum: 0, description: 'Defaults to finished_at − started_at' },
    },
  },
  incidents: {
    title: 'Incident',
    type: 'object',
    additionalProperties: false,
    required: ['id', 'service', 'severity', 'opened_at'],
    properties: {
      id,
      tenant_id: tenantId,
      service: id,
      severity: { type: 'string', enum: [...INCIDENT_SEVERITIES] },
      title: text,
      opened_at: timestamp,
      acknowledged_at: { ...timestamp, description: 'Not before opened_at' },
      resolved_at: { ...timestamp, description: 'Not before opened_at' },
    },
  },
  metrics: {
    title: 'MetricSample',
    type: 'object',
    additionalProperties: false,
    description: 'Upserted by (tenant_id, service, ts)',
    required: ['service', 'ts', 'p95_latency_ms', 'throughput_rps', 'error_rate'],
    properties: {
      tenant_id: tenantId,
      service: id,
      ts: timestamp,
      p95_latency_ms: quantity,
      throughput_rps: quantity,
      error_rate: probability,
    },
  },
  predictions: {
    title: 'Prediction',
    type: 'object',
    additionalProperties: false,
    required: ['id', 'model', 'predicted_at', 'failure_probability'],
    properties: {
      id,
      tenant_id: tenantId,
      model: id,
      model_version: id,
      workflow_run_id: id,
      predicted_at: timestamp,
      failure_probability: probability,
      outcome: { type: 'string', enum: [...PREDICTION_OUTCOMES], description: 'When absent, taken from the linked run once finished' },
    },
  },
} as const;

const INGEST_BODY_DOC = {
  required: true,
  description: 'The records of `{kind}`, all valid or none stored. Size limit: BODY_LIMIT_BYTES (default 10 MiB).',
  content: {
    'application/json': {
      schema: {
        description: 'A JSON array of records of the kind named in the path',
        oneOf: INGEST_KINDS.map((kind) => ({ type: 'array', items: RECORD_DOCS[kind] })),
      },
    },
    'application/x-ndjson': {
      schema: { type: 'string', description: 'One JSON record per line; `details[].index` counts lines from 0' },
    },
  },
};

/** POST /ingest/{kind}: the body is parsed by our own code so errors can name record indexes. */
export async function ingestRoutes(app: FastifyInstance, deps: AppDeps) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-ndjson'], { parseAs: 'string', bodyLimit: deps.config.bodyLimitBytes }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/ingest/:kind',
    {
      config: { openapiBody: INGEST_BODY_DOC },
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a batch (JSON array or NDJSON), all or nothing',
        description:
          'Upserts by (tenant_id, id) — metrics by (tenant_id, service, ts). A 2xx means every record is committed. ' +
          'Any invalid record rejects the batch with 400 and one `details` entry per bad field: `{index, field, message}`.',
        operationId: 'ingestBatch',
        params: {
          type: 'object',
          properties: { kind: { type: 'string', description: `One of ${INGEST_KINDS.join(', ')}` } },
          required: ['kind'],
        },
        response: {
          200: {
            description: 'Every record is durably committed',
            type: 'object',
            required: ['inserted', 'updated', 'unchanged'],
            properties: {
              inserted: { type: 'integer', minimum: 0 },
              updated: { type: 'integer', minimum: 0, description: 'Replaced by a later version' },
              unchanged: { type: 'integer', minimum: 0, description: 'Equal after redaction, timestamps compared as instants' },
            },
          },
          400: { ...ERROR_REF, description: 'Invalid batch (nothing stored); `details` names every bad field by record index' },
          404: { ...ERROR_REF, description: '`tenant_not_found` (unknown or another tenant) or `unknown_kind`' },
          413: { ...ERROR_REF, description: 'Body larger than BODY_LIMIT_BYTES' },
          ...ERROR_RESPONSES,
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
