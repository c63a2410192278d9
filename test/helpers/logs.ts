/**
 * Captures the server's structured log lines in memory, so tests can assert on what is logged
 * (fields of the request line) and on what never is (keys, Authorization headers).
 */
import { createLogger, type Logger } from '../../src/logger.ts';

export interface LogLine {
  level: number;
  msg?: string;
  [field: string]: unknown;
}

export interface LogCapture {
  logger: Logger;
  /** Every line written so far, raw (exactly what would reach stdout). */
  text(): string;
  /** Every line, parsed. */
  lines(): LogLine[];
  /** Lines whose `msg` equals `msg`. */
  withMessage(msg: string): LogLine[];
}

/** pino levels: 30 info, 40 warn, 50 error. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

export function captureLogs(level = 'info'): LogCapture {
  const chunks: string[] = [];
  const logger = createLogger(level, { write: (chunk: string) => void chunks.push(chunk) });
  const lines = (): LogLine[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine);
  return {
    logger,
    text: () => chunks.join(''),
    lines,
    withMessage: (msg) => lines().filter((l) => l.msg === msg),
  };
}
