import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, UnavailableError, type ErrorDetail } from '../../domain/errors.ts';

/** The one place domain errors become HTTP (STYLE.md: errors). */
export function statusFor(err: DomainError): number {
  switch (err.name) {
    case 'ValidationError':
      return 400;
    case 'UnauthorizedError':
      return 401;
    case 'ForbiddenError':
      return 403;
    case 'NotFoundError':
    case 'TenantNotFoundError':
      return 404;
    case 'ConflictError':
      return 409;
    case 'PayloadTooLargeError':
      return 413;
    case 'UpstreamError':
      return 502;
    case 'UnavailableError':
      return 503;
    default:
      return 500;
  }
}

export function errorBody(code: string, message: string, details: ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

/** `$ref` of the shared error component, for route response schemas. */
export const ERROR_REF = { $ref: 'Error#' } as const;

/** Response schemas for every error status of a route; the error handler always answers this shape. */
export const ERROR_RESPONSES = { '4xx': ERROR_REF, '5xx': ERROR_REF } as const;

/**
 * The contract's error shape, registered once as the shared `Error` schema (OpenAPI
 * `#/components/schemas/Error`). It also drives serialisation of error answers, so every field
 * the handler sends is declared; detail entries may carry more than index/field/message.
 */
export const ERROR_SCHEMA = {
  $id: 'Error',
  type: 'object',
  description: 'Every 4xx/5xx answer. Never a stack trace or SQL; 5xx messages quote the request id instead.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', description: 'snake_case, stable: clients branch on it', example: 'validation_error' },
        message: { type: 'string', description: 'A human sentence' },
        details: {
          type: 'array',
          description: 'One entry per problem (ingest: one per bad field of every bad record)',
          items: {
            type: 'object',
            required: ['message'],
            additionalProperties: true,
            properties: {
              index: { type: 'integer', description: 'Record index in the batch, from 0' },
              field: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

/** Maps Fastify's own errors (schema, body parsing, limits) onto the contract's error shape. */
function fromFastifyError(err: FastifyError): { status: number; code: string; message: string; details: ErrorDetail[] } | null {
  if (err.validation) {
    const details = err.validation.map((v) => {
      const field =
        (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.') ||
        String((v.params as { missingProperty?: string; additionalProperty?: string })?.missingProperty ?? (v.params as { additionalProperty?: string })?.additionalProperty ?? '');
      return { field, message: `${field || 'value'} ${v.message ?? 'is invalid'}` };
    });
    return { status: 400, code: 'validation_error', message: `Invalid ${err.validationContext ?? 'request'}`, details };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: err.message, details: [] };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send application/json or application/x-ndjson', details: [] };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'The request body is empty', details: [] };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'invalid_request', message: 'Content-Length does not match the body', details: [] };
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON', details: [] };
  }
  if (err.statusCode === 429) {
    // Thrown by the rate limiter, which has already set Retry-After.
    return { status: 429, code: 'rate_limited', message: err.message, details: [] };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, code: 'bad_request', message: 'The request could not be processed', details: [] };
  }
  return null;
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before routing, which neither
 * hooks nor the error handler see. A path with broken percent-encoding (`/reports/%zz`) is a 400;
 * a path parameter over the router's length limit matches no route, so it is the plain 404.
 */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_BAD_URL') {
    reply.status(400).send(errorBody('invalid_url', 'The URL path is not validly percent-encoded'));
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.status(404).send(errorBody('not_found', `No route for ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`));
  } else {
    req.log.error({ err }, 'router error');
    reply.status(500).send(errorBody('internal_error', `Internal error; quote request id ${req.id} when reporting it`));
  }
}

/**
 * Fastify's `clientErrorHandler` option: requests Node's HTTP parser refuses (an invalid request
 * line, oversized headers, a body that never arrives) get the contract's error shape, then the
 * connection is closed as Node does by default.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'request_timeout', 'The request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are too large']
        : [400, 'Bad Request', 'bad_request', 'The request is not valid HTTP'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Most of an oversized body read and thrown away before answering 413 (beyond it: close at once). */
const DRAIN_MAX_BYTES = 256 * 1024 * 1024;
const DRAIN_MAX_MS = 30_000;

/**
 * Reads the rest of a request body and throws it away. A client that sends the whole body before
 * reading the answer (fetch, most HTTP libraries) would otherwise see the connection closed under
 * its upload (EPIPE / reset) instead of the 413. Bounded in bytes and time, so a huge or stalled
 * upload is cut off as before.
 */
function drainRequestBody(raw: NodeJS.ReadableStream & { complete?: boolean; readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.removeListener('data', onData);
      raw.removeListener('end', finish);
      raw.removeListener('close', finish);
      raw.removeListener('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_MAX_MS);
    raw.on('data', onData);
    raw.once('end', finish);
    raw.once('close', finish);
    raw.once('error', finish);
    raw.resume();
  });
}

/**
 * Registers the shared `Error` schema and the one handler that turns every error into it. 5xx
 * answers are masked: the full error (with its cause) goes to the log under the request id.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.addSchema(ERROR_SCHEMA);
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (err instanceof DomainError) {
      const status = statusFor(err);
      if (err instanceof UnavailableError) reply.header('Retry-After', '5');
      if (status >= 500) req.log.warn({ err, code: err.code }, 'request failed');
      return reply.status(status).send(errorBody(err.code, err.message, err.details));
    }
    const mapped = fromFastifyError(err);
    if (mapped) {
      if (mapped.status === 413) await drainRequestBody(req.raw);
      return reply.status(mapped.status).send(errorBody(mapped.code, mapped.message, mapped.details));
    }
    // Anything else is a bug: log it in full, answer without internals.
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('internal_error', `Internal error; quote request id ${req.id} when reporting it`));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('not_found', `No route for ${req.method} ${req.url.split('?')[0]}`));
  });
}
