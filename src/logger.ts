import pino, { type Logger } from 'pino';

/**
 * Fields that may hold a key or credential wherever they appear in a log object. The request
 * line never includes headers or bodies, and Fastify's own request logging is off; this list is
 * the second line of defence for anything logged by mistake (a request, a config, an error).
 */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'cookie',
  'headers.cookie',
  'req.headers.cookie',
  'key',
  '*.key',
  'adminKey',
  '*.adminKey',
  'admin_key',
  'generatedAdminKey',
  'secretAccessKey',
  '*.secretAccessKey',
  'databaseUrl',
  '*.databaseUrl',
  'redisUrl',
  '*.redisUrl',
];

/** Structured JSON logs (one object per line); keys and Authorization headers are redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'atom-analytics' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
export type { Logger };
