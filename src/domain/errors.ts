/**
 * Domain errors carry no HTTP knowledge; src/http/plugins/errors.ts maps them to status codes.
 */

export interface ErrorDetail {
  index?: number;
  field?: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = [], code = 'validation_error') {
    super(code, message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** Another tenant's resource and a missing one look the same from outside. */
export class TenantNotFoundError extends NotFoundError {
  constructor() {
    super('tenant_not_found', 'Tenant not found');
  }
}

export class ConflictError extends DomainError {}

export class UnauthorizedError extends DomainError {
  constructor(message = 'A valid API key is required: send Authorization: Bearer <key>') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'This endpoint needs an admin key') {
    super('forbidden', message);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limit: number) {
    super('payload_too_large', `Request body exceeds the limit of ${limit} bytes`);
  }
}

/** The database could not be reached; the caller should retry later. */
export class UnavailableError extends DomainError {
  constructor(code = 'database_unavailable', message = 'The database is unavailable; retry shortly') {
    super(code, message);
  }
}

/** An external store (S3, export directory) failed; nothing partial was left behind. */
export class UpstreamError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
