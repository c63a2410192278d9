import type { Logger } from '../../../src/cache/index.ts';

export interface LogEntry {
  level: 'warn' | 'info' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A Logger that records what it is told, for asserting on warnings. */
export function createSpyLogger(): Logger & { entries: LogEntry[]; count(level: LogEntry['level'], msg?: string): number } {
  const entries: LogEntry[] = [];
  return {
    entries,
    warn: (obj, msg) => void entries.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => void entries.push({ level: 'info', obj, msg }),
    error: (obj, msg) => void entries.push({ level: 'error', obj, msg }),
    count: (level, msg) => entries.filter((e) => e.level === level && (msg === undefined || e.msg === msg)).length,
  };
}

/** Counts cache results like AppMetrics would. */
export function createCountingSink(): { hit: number; miss: number; recordCacheResult(result: 'hit' | 'miss'): void } {
  const sink = {
    hit: 0,
    miss: 0,
    recordCacheResult(result: 'hit' | 'miss') {
      sink[result] += 1;
    },
  };
  return sink;
}
