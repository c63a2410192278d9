/**
 * The load generator's HTTP client: node:http over one keep-alive agent (one socket per
 * worker), a per-request timeout, and the latency of the whole exchange (until the last byte of
 * the body). Bodies are kept only when asked (JSON checks); CSV exports are counted and dropped.
 */
import http from 'node:http';

export interface LoadResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text when `keepBody`, else ''. */
  body: string;
  bytes: number;
  ms: number;
}

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  key: string;
  headers?: Record<string, string>;
  body?: string;
  keepBody?: boolean;
}

export class LoadHttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    sockets: number,
    private readonly timeoutMs = 60_000,
  ) {
    const u = new URL(baseUrl);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  /** Resolves with the response; rejects on a socket error or timeout (never on a status). */
  send(r: LoadRequest): Promise<LoadResponse> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...(r.headers ?? {}), authorization: `Bearer ${r.key}` };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = http.request({ host: this.host, port: this.port, path: r.path, method: r.method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (r.keepBody) chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: r.keepBody ? Buffer.concat(chunks).toString('utf8') : '',
            bytes,
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
