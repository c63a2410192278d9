/**
 * `npm run load` helpers: the server under load as a child process (compiled, else through tsx:
 * `serverArgs` in server-process.ts), its private database, and a once-a-second sampler of its RSS and CPU
 * read from /proc/<pid>/ (Linux), apart from the load generator's own memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { serverArgs } from './server-process.ts';

export type LoadEngine = 'duckdb' | 'postgres';

/** A private, empty database for one run; `dispose` removes it (temp dir, or DROP DATABASE). */
export interface LoadDatabase {
  env: Record<string, string>;
  description: string;
  /** PostgreSQL: ANALYZE the whole database (what autovacuum would do after a while). */
  analyze?(): Promise<void>;
  dispose(): Promise<void>;
}

export async function createLoadDatabase(engine: LoadEngine, pgAdminUrl: string, scratchDir: string): Promise<LoadDatabase> {
  if (engine === 'duckdb') {
    const dir = join(scratchDir, 'data');
    return { env: { DATA_DIR: dir }, description: `DuckDB in ${dir}`, dispose: async () => undefined };
  }
  const name = `atom_load_${randomBytes(5).toString('hex')}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: pgAdminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    description: `PostgreSQL database ${name} (dropped at the end)`,
    async analyze() {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        await c.query('ANALYZE');
      } finally {
        await c.end();
      }
    },
    dispose: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function makeScratchDir(engine: LoadEngine): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `atom-load-${engine}-`));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The server's environment: everything it reads that matters here is set, nothing inherited by accident. */
export function loadServerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(DATABASE_URL|DATA_DIR|REDIS_URL|REDIS_KEY_PREFIX|ATOM_|PORT|HOST|LOG_LEVEL|S3_|EXPORT_DIR|RATE_LIMIT_)/.test(k)) delete env[k];
  }
  return {
    ...env,
    ATOM_DEMO: '0',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_MAX: '100000000',
    ...extra,
  };
}

export interface ProcStat {
  rssMb: number;
  /** user + system CPU seconds so far. */
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

export function readProcStat(pid: number): ProcStat | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(rssKb)) return null;
    return { rssMb: rssKb / 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** Log lines of the server at warn (40) or above, counted by level; the last few kept. */
export interface ServerLogStats {
  warn: number;
  error: number;
  fatal: number;
  samples: string[];
}

export interface LoadServer {
  pid: number;
  url: string;
  readyMs: number;
  logs: ServerLogStats;
  /** Non-null once the process has exited (exit code, or 128 + signal number-ish for signals). */
  exitCode(): number | string | null;
  outputTail(): string;
  /** SIGTERM, wait for a graceful stop (SIGKILL after `timeoutMs`); resolves with the exit code or signal. */
  stop(timeoutMs?: number): Promise<number | string>;
  kill(): void;
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

export async function startLoadServer(cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<LoadServer> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, serverArgs(cwd), {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  const logs: ServerLogStats = { warn: 0, error: 0, fatal: 0, samples: [] };
  const onData = (chunk: Buffer) => {
    const s = chunk.toString('utf8');
    output += s;
    if (output.length > 40_000) output = output.slice(-20_000);
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const level = /^\{.*"level":(\d+)/.exec(line)?.[1];
      if (!level) continue;
      const n = Number(level);
      if (n >= 60) logs.fatal++;
      else if (n >= 50) logs.error++;
      else if (n >= 40) logs.warn++;
      else continue;
      if (logs.samples.length < 20) logs.samples.push(line.slice(0, 1000));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited: number | string | null = null;
  const exitPromise = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal ?? -1;
      resolve(exited);
    }),
  );

  let url: string | null = null;
  for (;;) {
    if (exited !== null) throw new Error(`server exited (${exited}) before it was ready:\n${output.slice(-4000)}`);
    if (performance.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`);
    }
    url ??= /Dashboard:\s+(http:\/\/\S+?)\/\s/.exec(output)?.[1] ?? null;
    if (url && (await httpStatus(`${url}/readyz`)) === 200) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const pid = child.pid!;
  return {
    pid,
    url,
    readyMs: performance.now() - t0,
    logs,
    exitCode: () => exited,
    outputTail: () => output.slice(-4000),
    async stop(stopTimeoutMs = 60_000) {
      if (exited !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exitPromise;
      clearTimeout(timer);
      return code;
    },
    kill() {
      if (exited === null) child.kill('SIGKILL');
    },
  };
}

/** One sample a second of the server's RSS and CPU, with the time since the sampler started. */
export interface ProcSample {
  t_s: number;
  rss_mb: number;
  cpu_s: number;
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    intervalMs = 1000,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }
  sample(): ProcSample | null {
    const s = readProcStat(this.pid);
    if (!s) return null;
    const x = { t_s: (performance.now() - this.t0) / 1000, rss_mb: s.rssMb, cpu_s: s.cpuSeconds };
    this.samples.push(x);
    return x;
  }
  last(): ProcSample | undefined {
    return this.samples[this.samples.length - 1];
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}
