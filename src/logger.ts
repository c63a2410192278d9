import pino, { type Logger } from 'pino';

/** Structured JSON logs; keys and Authorization headers are redacted wherever they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'atom-analytics' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'key', '*.key', 'adminKey', 'admin_key'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
export type { Logger };
