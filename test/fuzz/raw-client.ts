/**
 * A keep-alive HTTP client that sends exactly what the fuzzer generated: raw paths (`../`,
 * `%2e%2e%2f` and broken escapes are not normalised away as `fetch` would), bodies on any method,
 * any content type, raw bytes. Node still refuses to put some characters on the wire, so those
 * are percent-encoded here (see `wirePath`, `wireHeader`).
 */
import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Path and query as sent; characters Node cannot send are percent-encoded by `wirePath`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawClient {
  send(req: RawRequest): Promise<RawResponse>;
  /** Requests sent so far (retries not counted). */
  readonly count: number;
  close(): void;
}

/** Node refuses request paths with characters outside U+0021..U+00FF; encode those as UTF-8. */
export function wirePath(path: string): string {
  return path.replace(/[^\u0021-\u00ff]/gu, (ch) => {
    // A lone surrogate has no UTF-8 form; send its replacement the way a browser would.
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%EF%BF%BD';
    }
  });
}

/** Node refuses header values with control characters or code points above U+00FF. */
export function wireHeader(value: string): string {
  return value.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/gu, '?');
}

export function createRawClient(baseUrl: string, maxSockets = 8): RawClient {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  let count = 0;

  function once(req: RawRequest, useAgent: boolean): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers ?? {})) headers[k] = wireHeader(v);
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const r = http.request(
        { host: url.hostname, port: url.port, method: req.method, path: wirePath(req.path), headers, agent: useAgent ? agent : false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.setTimeout(30_000, () => r.destroy(new Error(`no answer within 30 s: ${req.method} ${req.path.slice(0, 200)}`)));
      r.on('error', reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  return {
    async send(req) {
      count++;
      try {
        return await once(req, true);
      } catch (err) {
        // A pooled socket the server had just closed (it closes after answering a request it
        // could not parse): retry once on a fresh connection. A second failure is real.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ECONNRESET' && code !== 'EPIPE' && !/socket hang up/.test(String(err))) throw err;
        return once(req, false);
      }
    },
    get count() {
      return count;
    },
    close() {
      agent.destroy();
    },
  };
}
