import type { ErrorDetail } from '../../domain/errors.ts';
import { storeRecords, type Rec } from '../../ingest/ingest-service.ts';
import type { IngestKindName } from '../../ingest/kinds.ts';
import { validateBatch } from '../../ingest/validate.ts';
import type { Storage } from '../../storage/types.ts';
import { findMissingTenants } from '../../tenancy/tenant-service.ts';
import { CommandError } from '../args.ts';

export interface SendResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rejected records by their index in the batch sent, with every reason. */
  rejected: { index: number; details: ErrorDetail[] }[];
}

/** Where an import sends its batches. */
export interface Sink {
  /**
   * Whether records must name their tenant (admin access: the local database, or --url with an
   * admin key). Asked at most once, when the first record has no tenant_id and --tenant is absent.
   */
  needsTenantId(): Promise<boolean>;
  send(records: unknown[]): Promise<SendResult>;
}

function groupByIndex(details: ErrorDetail[]): { index: number; details: ErrorDetail[] }[] {
  const byIndex = new Map<number, ErrorDetail[]>();
  for (const d of details) {
    const list = byIndex.get(d.index!) ?? [];
    list.push(d);
    byIndex.set(d.index!, list);
  }
  return [...byIndex].map(([index, ds]) => ({ index, details: ds }));
}

/** Direct to the database through the same validator and upsert as POST /ingest. */
export function databaseSink(kind: IngestKindName, storage: Storage): Sink {
  return {
    needsTenantId: async () => true,
    async send(records) {
      const v = validateBatch(kind, records, { tenantId: null });
      const rejected = groupByIndex(v.errors);
      const bad = new Set(rejected.map((r) => r.index));
      // validateBatch keeps no records when any has errors, so validate the good ones again.
      const goodIdx = records.map((_, i) => i).filter((i) => !bad.has(i));
      const good = goodIdx.map((i) => records[i]);
      const ok = validateBatch(kind, good, { tenantId: null });
      const missing = new Set(await findMissingTenants(storage, ok.tenantIds));
      const keep = (ok.records as unknown as Rec[]).filter((rec) => !missing.has(rec.tenant_id as string));
      if (missing.size) {
        good.forEach((r, j) => {
          const t = (r as { tenant_id?: unknown })?.tenant_id;
          if (typeof t === 'string' && missing.has(t)) rejected.push({ index: goodIdx[j]!, details: [{ field: 'tenant_id', message: `unknown tenant "${t}"` }] });
        });
      }
      const counts = keep.length ? await storeRecords(storage, kind, keep) : { inserted: 0, updated: 0, unchanged: 0 };
      return { ...counts, rejected };
    },
  };
}

interface ApiAnswer {
  status: number;
  body: { inserted?: number; updated?: number; unchanged?: number; error?: { code: string; message: string; details?: ErrorDetail[] } };
}

/** Through a running server's API (needed for the embedded engine while the server runs). */
export function httpSink(kind: IngestKindName, url: string, key: string): Sink {
  const base = url.replace(/\/+$/, '');
  const call = async (method: 'GET' | 'POST', path: string, body?: string): Promise<ApiAnswer> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/x-ndjson' } : {}) },
        body,
      });
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CommandError(`cannot reach the server at ${base} (${why}); is it running?`);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as ApiAnswer['body'] };
    } catch {
      throw new CommandError(`the server at ${base} answered ${res.status} with a body that is not JSON; is --url the ATOM Analytics API?`);
    }
  };
  const fail = (a: ApiAnswer): never => {
    const what = a.body.error ? `${a.body.error.code}: ${a.body.error.message}` : 'no error message';
    if (a.status === 401) throw new CommandError(`the server at ${base} refused the API key (401 ${what})`);
    if (a.body.error?.code === 'tenant_not_found') {
      throw new CommandError(`the server at ${base} answered 404 (${what}): a record names a tenant that does not exist, or that this key may not write`);
    }
    throw new CommandError(`the server at ${base} answered ${a.status} (${what})`);
  };
  const post = (records: unknown[]) => call('POST', `/ingest/${kind}`, records.map((r) => JSON.stringify(r)).join('\n'));
  return {
    async needsTenantId() {
      // Only an admin key may list tenants; a tenant key gets 403 and its own tenant is used.
      const a = await call('GET', '/tenants?limit=1');
      if (a.status === 200) return true;
      if (a.status === 403) return false;
      return fail(a);
    },
    async send(records) {
      let a = await post(records);
      if (a.status === 400 && a.body.error?.details?.length) {
        const rejected = groupByIndex(a.body.error.details);
        const bad = new Set(rejected.map((r) => r.index));
        const good = records.filter((_, i) => !bad.has(i));
        if (!good.length) return { inserted: 0, updated: 0, unchanged: 0, rejected };
        a = await post(good);
        if (a.status !== 200) fail(a);
        return { inserted: a.body.inserted!, updated: a.body.updated!, unchanged: a.body.unchanged!, rejected };
      }
      if (a.status !== 200) fail(a);
      return { inserted: a.body.inserted!, updated: a.body.updated!, unchanged: a.body.unchanged!, rejected: [] };
    },
  };
}
