import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { createStorage, type StorageUse } from '../storage/create-storage.ts';
import type { Storage } from '../storage/types.ts';
import type { ServiceContext } from '../tenancy/context.ts';

/** For commands that store no records (reports, exports, tenants and keys): see StorageUse. */
export const NO_INGEST: StorageUse = { ingest: false };

/**
 * Opens the configured database for one CLI command, as the admin, and closes it after.
 * With the embedded engine the server must not be running (DuckDB allows one writer).
 */
export async function withAdminContext<T>(
  fn: (ctx: ServiceContext, config: Config) => Promise<T>,
  config: Config = loadConfig(),
  use: StorageUse = {},
): Promise<T> {
  const storage: Storage = await createStorage(config, use);
  try {
    await storage.migrate();
    return await fn({ actor: { kind: 'admin', keyId: 'cli' }, storage }, config);
  } finally {
    await storage.close();
  }
}

/**
 * Names the database a command writes to, for the import checkpoint: the PostgreSQL URL without
 * its password (the checkpoint lies beside the data file, readable by whoever reads that), or
 * the embedded database's absolute directory.
 */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `embedded:${resolve(config.dataDir)}`;
  try {
    const url = new URL(config.databaseUrl);
    url.password = '';
    return url.toString();
  } catch {
    return 'postgres:(unparsable DATABASE_URL)';
  }
}

export interface Progress {
  /**
   * Reports `done` units (of `total` when known); `extra` is shown after the figures. Cheap when
   * nothing is drawn: pass `extra` as a function when building it costs something (per record).
   */
  update(done: number, extra?: string | (() => string)): void;
  /** Draws the final state and ends the line. */
  done(): void;
}

export interface ProgressOptions {
  /** The end value, when known (e.g. the file size for an import): draws a bar with % and ETA. */
  total?: number | null;
  /** `bytes` prints sizes (KB, MB…); `count` prints plain numbers with a rate per second. */
  unit?: 'bytes' | 'count';
  /** Where to draw; nothing is drawn unless it is a terminal. */
  out?: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>;
  now?: () => number;
}

const BAR_WIDTH = 24;

/** Sizes as the import shows them: 1 decimal from KB on. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds as m:ss, or h:mm:ss from an hour on. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One line of progress. With a total: a bar, the percentage, the figures and the remaining
 * time estimated from `ratePerSecond` (omitted while there is no rate yet); without: the count
 * and its rate.
 */
export function formatProgressLine(p: {
  label: string;
  done: number;
  total: number | null;
  unit: 'bytes' | 'count';
  ratePerSecond: number | null;
  extra?: string;
}): string {
  const figure = (n: number) => (p.unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en-US'));
  const parts = [p.label];
  if (p.total) {
    const frac = Math.min(1, Math.max(0, p.done / p.total));
    const filled = Math.round(frac * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`, `${(frac * 100).toFixed(1).padStart(5)}%`);
    parts.push(`${figure(Math.min(p.done, p.total))} / ${figure(p.total)}`);
    if (frac >= 1) parts.push('ETA 0:00');
    else if (p.ratePerSecond && p.ratePerSecond > 0) parts.push(`ETA ${formatDuration((p.total - p.done) / p.ratePerSecond)}`);
  } else {
    parts.push(figure(p.done));
    if (p.ratePerSecond !== null) parts.push(`(${p.unit === 'bytes' ? `${formatBytes(Math.round(p.ratePerSecond))}` : Math.round(p.ratePerSecond).toLocaleString('en-US')}/s)`);
  }
  if (p.extra) parts.push(p.extra);
  return parts.join(' ');
}

/**
 * A one-line progress display on stderr, redrawn at most 10 times a second, only when stderr is
 * a terminal: piped or redirected output stays free of carriage returns. The rate (for the ETA)
 * counts from the first update, so work skipped before it (a resumed import) does not inflate it.
 */
export function createProgress(label: string, opts: ProgressOptions = {}): Progress {
  const out = opts.out ?? process.stderr;
  const now = opts.now ?? Date.now;
  const total = opts.total ?? null;
  const unit = opts.unit ?? 'count';
  const tty = Boolean(out.isTTY);
  let base: { at: number; done: number } | null = null;
  let lastDraw = -Infinity;
  let last: { done: number; extra: string | (() => string) } = { done: 0, extra: '' };
  let drawn = false;
  const draw = (t: number) => {
    const elapsed = base ? (t - base.at) / 1000 : 0;
    const rate = base && elapsed > 0 && last.done > base.done ? (last.done - base.done) / elapsed : null;
    const extra = typeof last.extra === 'function' ? last.extra() : last.extra;
    let line = formatProgressLine({ label, done: last.done, total, unit, ratePerSecond: rate, extra });
    const width = out.columns ? out.columns - 1 : 0;
    if (width > 0 && line.length > width) line = line.slice(0, width);
    // \x1b[K clears what a longer previous line left behind.
    out.write(`\r${line}\x1b[K`);
    drawn = true;
    lastDraw = t;
  };
  return {
    update(done, extra = '') {
      if (!tty) return;
      const t = now();
      base ??= { at: t, done };
      last = { done, extra };
      if (t - lastDraw >= 100) draw(t);
    },
    done() {
      if (!tty) return;
      if (drawn || last.done > 0) draw(now());
      if (drawn) out.write('\n');
    },
  };
}
