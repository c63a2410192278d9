import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Linear-interpolation percentile (the contract's definition) of unsorted samples. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = p * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export interface LatencySummary {
  n: number;
  p50_ms: number | null;
  p95_ms: number | null;
  min_ms: number | null;
  max_ms: number | null;
}

export function summarize(ms: readonly number[]): LatencySummary {
  return {
    n: ms.length,
    p50_ms: round(percentile(ms, 0.5)),
    p95_ms: round(percentile(ms, 0.95)),
    min_ms: round(ms.length ? Math.min(...ms) : null),
    max_ms: round(ms.length ? Math.max(...ms) : null),
  };
}

export function round(v: number | null, digits = 2): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Progress on stderr: one line, rewritten in place on a terminal, every 5 s otherwise. */
export class Progress {
  private readonly t0 = performance.now();
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'records',
  ) {}

  update(done: number, extra = ''): void {
    const now = performance.now();
    if (now - this.last < (this.tty ? 500 : 5000)) return;
    this.last = now;
    this.write(done, extra, false);
  }

  finish(done: number, extra = ''): void {
    this.write(done, extra, true);
  }

  private write(done: number, extra: string, final: boolean): void {
    const secs = (performance.now() - this.t0) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const pct = this.total > 0 ? Math.min(100, (100 * done) / this.total) : 100;
    const eta = final ? `done in ${fmtDuration(secs)}` : `ETA ${fmtDuration((this.total - done) / Math.max(rate, 1e-9))}`;
    const line = `  ${this.label}: ${fmtInt(done)}/${fmtInt(this.total)} ${this.unit} (${pct.toFixed(0)}%), ${fmtInt(rate)} ${this.unit}/s, ${eta}${extra ? `, ${extra}` : ''}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return {
    nproc: os.availableParallelism(),
    total_memory_mb: Math.round(os.totalmem() / 1024 / 1024),
    cpu_model: cpuModel,
    node_version: process.version,
    platform: `${os.platform()} ${os.release()}`,
    hostname: os.hostname(),
  };
}

/** Runs `fn` on `concurrency` workers pulling from a shared iterator. */
export async function pool<T>(items: Iterator<T>, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let failed: unknown = null;
  const worker = async () => {
    for (;;) {
      if (failed) return;
      const next = items.next();
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (err) {
        failed ??= err;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failed) throw failed;
}
