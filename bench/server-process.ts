/**
 * The server under test runs in its own process, so its memory is measured apart from the
 * benchmark's generator and clients (/proc/<pid>/status). It runs compiled, as `npm start` does
 * (`node dist/cli/main.js serve`, dist/ brought up to date first by scripts/build.mjs), or through
 * tsx when the build is not possible (`node --import tsx src/cli/main.ts serve`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const serverArgsByRoot = new Map<string, string[]>();

/**
 * Node arguments that run the server from `cwd`: the compiled build, rebuilt first when a source
 * is newer (so a benchmark never measures stale code), else tsx. Decided once per root.
 */
export function serverArgs(cwd: string): string[] {
  let args = serverArgsByRoot.get(cwd);
  if (!args) {
    const build = existsSync(join(cwd, 'scripts/build.mjs'))
      ? spawnSync(process.execPath, ['scripts/build.mjs'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
      : null;
    const compiled = build?.status === 0 && existsSync(join(cwd, 'dist/cli/main.js'));
    if (!compiled) process.stderr.write('[bench] no compiled build (scripts/build.mjs failed): the server runs through tsx\n');
    args = compiled ? ['dist/cli/main.js', 'serve'] : ['--import', 'tsx', 'src/cli/main.ts', 'serve'];
    serverArgsByRoot.set(cwd, args);
  }
  return args;
}

export interface ProcMemory {
  /** Resident set size now, MiB. */
  rssMb: number;
  /** Peak resident set size of the process so far (VmHWM), MiB. */
  hwmMb: number;
}

export function readProcMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `intervalMs`; `peakMb` is the highest sample since the last reset. */
export class RssSampler {
  peakMb = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }
  private sample(): void {
    const m = readProcMemory(this.pid);
    if (m && m.rssMb > this.peakMb) this.peakMb = m.rssMb;
  }
  reset(): void {
    this.peakMb = 0;
    this.sample();
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMb;
  }
}

export interface ServerProcess {
  pid: number;
  url: string;
  /** From spawn until GET /readyz answered 200, ms. */
  readyMs: number;
  memory(): ProcMemory | null;
  /**
   * Waits until the server's start-up work (GET /readyz `warming`: DuckDB's key index build and
   * compaction of leftover rollup deltas) has finished; resolves to the ms waited, or null when it
   * was still running after `timeoutMs`.
   */
  settled(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

/** GET url → its status and JSON body (null when not JSON or unreachable). */
function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: body stays null
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', () => resolve({ status: 0, body: null }));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve({ status: 0, body: null });
    });
  });
}

function get(url: string): Promise<number> {
  return getJson(url).then((r) => r.status);
}

export async function startServerProcess(cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000, nodeArgs: string[] = []): Promise<ServerProcess> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...serverArgs(cwd)], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 20_000) output = output.slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      resolve();
    }),
  );

  let url: string | null = null;
  for (;;) {
    if (exited !== null) throw new Error(`server exited with ${exited} before it was ready:\n${output.slice(-4000)}`);
    if (performance.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`);
    }
    url ??= /Dashboard:\s+(http:\/\/\S+?)\/\s/.exec(output)?.[1] ?? null;
    if (url && (await get(`${url}/readyz`)) === 200) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - t0;
  const pid = child.pid!;
  return {
    pid,
    url,
    readyMs,
    memory: () => readProcMemory(pid),
    async settled(settleTimeoutMs = 120_000) {
      const started = performance.now();
      while (performance.now() - started < settleTimeoutMs) {
        const { status, body } = await getJson(`${url}/readyz`);
        const warming = (body as { warming?: unknown } | null)?.warming;
        if (status === 200 && Array.isArray(warming) && warming.length === 0) return performance.now() - started;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    },
    async stop() {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exitPromise;
      clearTimeout(timer);
      if (exited !== 0) process.stderr.write(`\n[bench] server exited with ${exited}:\n${output.slice(-2000)}\n`);
    },
  };
}
