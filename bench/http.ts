/**
 * HTTP clients of the benchmark: a small keep-alive client (node:http) for everything, and a
 * leaner raw-socket one for the cache-hit phase (RawGetClient).
 */
import http from 'node:http';
import net from 'node:net';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpClient {
  readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly key: string,
    maxSockets = 64,
  ) {
    const u = new URL(baseUrl);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: string, path: string, opts: { body?: string; headers?: Record<string, string>; auth?: boolean } = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
      if (opts.auth !== false) headers.authorization = `Bearer ${this.key}`;
      if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
      const req = http.request({ host: this.host, port: this.port, path, method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  /** GET that streams the body to `onChunk` without keeping it (exports). */
  stream(path: string, onChunk: (chunk: Buffer) => void): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, path, method: 'GET', headers: { authorization: `Bearer ${this.key}` }, agent: this.agent },
        (res) => {
          res.on('data', onChunk);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface RawGetResult {
  status: number;
  /** Value of the X-Cache response header, lower-cased, or null. */
  xCache: string | null;
  bodyBytes: number;
}

/**
 * The cache-hit client: one keep-alive socket per concurrent client and a GET whose request bytes
 * are built once, parsing only the status line, Content-Length and X-Cache of the answer (no
 * pipelining: one request in flight per socket). At cache-hit rates the benchmark's own client
 * shares the machine's two cores with the server; node:http costs it ~3× the CPU per request
 * this does, enough to make the client the bottleneck. Anything it cannot parse (chunked
 * answers, a closed socket) fails the request loudly rather than being miscounted.
 */
export class RawGetClient {
  private readonly sockets: RawGetSocket[];
  private readonly request: Buffer;

  constructor(baseUrl: string, key: string, path: string, connections: number) {
    const u = new URL(baseUrl);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port);
    if (/[\r\n]/.test(path + key)) throw new Error('RawGetClient: CR/LF in path or key');
    this.request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${key}\r\nConnection: keep-alive\r\n\r\n`, 'latin1');
    this.sockets = Array.from({ length: connections }, () => new RawGetSocket(host, port));
  }

  /** Sends the GET on connection `index` (0 ≤ index < connections), waiting for the previous one on it. */
  get(index: number): Promise<RawGetResult> {
    return this.sockets[index]!.get(this.request);
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

class RawGetSocket {
  private readonly socket: net.Socket;
  private pending: { resolve: (r: RawGetResult) => void; reject: (e: Error) => void } | null = null;
  private buffered: Buffer | null = null;
  /** Total bytes of the answer being read (headers + body), once its headers are in; else -1. */
  private total = -1;
  private headerBytes = 0;
  private status = 0;
  private xCache: string | null = null;
  private error: Error | null = null;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  get(request: Buffer): Promise<RawGetResult> {
    if (this.error) return Promise.reject(this.error);
    if (this.pending) return Promise.reject(new Error('RawGetClient: one request at a time per connection'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.buffered = null;
      this.total = -1;
      this.socket.write(request);
    });
  }

  private onData(chunk: Buffer): void {
    if (!this.pending) return this.fail(new Error('data received with no request in flight'));
    const buf = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = buf;
    if (this.total < 0) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
      if (!statusMatch || !length) return this.fail(new Error(`RawGetClient: unsupported answer (${head.split('\r\n')[0]}; no Content-Length?)`));
      this.status = Number(statusMatch[1]);
      this.xCache = /\r\nx-cache:[ \t]*([^\r]*)/i.exec(head)?.[1]?.trim().toLowerCase() ?? null;
      this.headerBytes = end + HEADER_END.length;
      this.total = this.headerBytes + Number(length[1]);
    }
    if (buf.length < this.total) return;
    if (buf.length > this.total) return this.fail(new Error('RawGetClient: more bytes than Content-Length announced'));
    const pending = this.pending;
    this.pending = null;
    this.buffered = null;
    pending.resolve({ status: this.status, xCache: this.xCache, bodyBytes: this.total - this.headerBytes });
  }

  private fail(err: Error): void {
    this.error ??= err;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(err);
  }

  close(): void {
    this.error ??= new Error('closed');
    this.socket.destroy();
  }
}
