// Talks to the API on the page's own origin. The key lives in sessionStorage and only ever
// travels in the Authorization header — never in a URL (downloads are fetched, then saved as a Blob).

const KEY_STORAGE = 'atom-analytics.api-key';

export type Query = Record<string, string | undefined>;

/** The server answered with an error status (body `{"error": {code, message}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No answer at all (offline, server down, connection reset). */
export class NetworkError extends Error {
  constructor() {
    super('The server did not answer.');
    this.name = 'NetworkError';
  }
}

/** 401: the key was cleared and the sign-in form is back. Callers just stop. */
export class AuthError extends Error {
  constructor() {
    super('Your key was not accepted — sign in again');
    this.name = 'AuthError';
  }
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export function getKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearKey(): void {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage unavailable: nothing to clear */
  }
}

let onUnauthorized: () => void = () => {};

/** Called once per 401 (after the key has been cleared). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export function buildUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, value);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(path: string, query: Query, signal?: AbortSignal, accept = 'application/json'): Promise<Response> {
  const key = getKey();
  if (!key) {
    onUnauthorized();
    throw new AuthError();
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, query), {
      headers: { Authorization: `Bearer ${key}`, Accept: accept },
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new NetworkError();
  }
  if (res.status === 401) {
    clearKey();
    onUnauthorized();
    throw new AuthError();
  }
  // A gateway in front of the API answers 502/504 when the API itself is down.
  if (res.status === 502 || res.status === 504) throw new NetworkError();
  if (!res.ok) throw await toApiError(res);
  return res;
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `The server answered ${res.status} ${res.statusText}`.trim() + '.';
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.code === 'string') code = body.error.code;
    if (typeof body?.error?.message === 'string') message = body.error.message;
  } catch {
    /* not JSON: keep the generic message */
  }
  return new ApiError(res.status, code, message);
}

export async function getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  const res = await send(path, query, signal);
  try {
    return (await res.json()) as T;
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(res.status, 'bad_response', 'The server sent an answer the dashboard could not read.');
  }
}

/** `attachment; filename=x.csv`, `filename="x.csv"` or `filename*=UTF-8''x.csv`. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try {
      return sanitizeFilename(decodeURIComponent(extended[1].trim()), fallback);
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  if (plain) return sanitizeFilename((plain[2] ?? plain[1]).trim(), fallback);
  return fallback;
}

function sanitizeFilename(name: string, fallback: string): string {
  const cleaned = name.replace(/[/\\\u0000-\u001f]/g, '_').trim();
  return cleaned || fallback;
}

/** Fetches a CSV export with the Bearer header and saves it; returns the file name. */
export async function downloadCsv(type: string, query: Query): Promise<string> {
  const res = await send(`/export/csv/${encodeURIComponent(type)}`, query, undefined, 'text/csv');
  const filename = filenameFromDisposition(res.headers.get('Content-Disposition'), `${type}_report.csv`);
  let blob: Blob;
  try {
    blob = await res.blob();
  } catch {
    throw new NetworkError();
  }
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}
