/**
 * Private redis-server instances for tests: each on its own free port on 127.0.0.1,
 * no persistence unless a test snapshots on purpose, killed when the test process exits.
 * Also a TCP proxy to cut one client off Redis (a one-sided network partition).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { Redis } from 'ioredis';

const REQUIRE_SERVICES = process.env.ATOM_REQUIRE_SERVICES === '1';

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Why Redis tests must be skipped, or undefined when redis-server is available.
 * Prints a visible notice when skipping; throws when ATOM_REQUIRE_SERVICES=1 so CI
 * cannot pass by silently skipping.
 */
export function redisSkipReason(): string | undefined {
  if (findOnPath('redis-server')) return undefined;
  const reason = 'redis-server is not installed (apt-get install redis-server); Redis cache tests skipped';
  if (REQUIRE_SERVICES) throw new Error(`ATOM_REQUIRE_SERVICES=1 but ${reason}`);
  console.warn(`NOTICE: ${reason}`);
  return reason;
}

/** A free TCP port on 127.0.0.1 (released again, so there is a small race, fine for tests). */
export async function getFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const liveChildren = new Set<ChildProcess>();
// If a test crashes, do not leave redis-server processes behind.
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server; with `snapshot`, saves its data first so the next `start` restores it. */
  stop(options?: { snapshot?: boolean }): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Freezes / unfreezes the process (SIGSTOP/SIGCONT): connections stay open, commands time out. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

/** Starts a private redis-server, on a free port unless one is given. */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await getFreePort());
  const dir = mkdtempSync(join(tmpdir(), 'atom-redis-'));
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) throw new Error('redis-server already running');
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    liveChildren.add(proc);
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (err: Error): void => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        liveChildren.delete(proc);
        if (child === proc) child = undefined;
        fail(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  async function stop(options: { snapshot?: boolean } = {}): Promise<void> {
    const proc = child;
    if (!proc) return;
    if (options.snapshot) {
      const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await admin.connect();
      await admin.save();
      admin.disconnect();
    }
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT'); // in case it is paused
    proc.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Drops every open connection and refuses new ones until `heal`. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:targetPort, to cut one client off a server that stays up. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let isCut = false;
  const server = net.createServer((inbound) => {
    if (isCut) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    heal() {
      isCut = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `condition` until true or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
