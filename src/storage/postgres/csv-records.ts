/**
 * PostgreSQL side of `Storage.streamCsvRecords`: `COPY (SELECT record …) TO STDOUT` in binary
 * format through pg-copy-streams. The record is built in SQL; the binary format carries it
 * untouched (text format would escape backslashes and newlines, CSV format would quote the whole
 * record), and only the framing is stripped here, adding CRLF. No row becomes a JS value.
 *
 * One COPY per tenant, in byte order of tenant ids: with the tenant fixed, the index
 * (tenant_id, time) delivers rows in time order and only ties on the key are sorted (incremental
 * sort), so records flow at once and memory stays flat on the server too. One ORDER BY over all
 * tenants, byte-ordered, cannot use that index: 3M rows were sorted (on disk) before the first
 * byte, 27 s. All COPYs run in one REPEATABLE READ transaction: one snapshot.
 *
 * COPY takes no bind parameters, so they are inlined as literals (escaped by the driver).
 */

import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { CsvRecordQuery, SqlValue } from '../types.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = SIGNATURE.length + 8; // signature, flags (int32), extension length (int32)
const CR = 0x0d;
const LF = 0x0a;

export interface PostgresCsvDeps {
  /** A checked-out client; released (destroyed) by the export. */
  connect(): Promise<pg.PoolClient>;
  /** Opens the transaction the COPY runs in (read-only, with the caller's tenant scope). */
  begin(client: pg.PoolClient): Promise<void>;
  /** Cancels the statement running on the backend `pid`, from another connection. */
  cancel(pid: number): Promise<void>;
  mapError(err: unknown): unknown;
}

/** The COPY statement for one tenant's records of `q`, parameters inlined. */
export function copyRecordsSql(client: Pick<pg.ClientBase, 'escapeLiteral'>, q: CsvRecordQuery, tenantId: string): string {
  const params = [...q.params, tenantId];
  const select = `SELECT ${q.record} FROM ${q.table} WHERE (${q.where}) AND tenant_id = $${params.length}
    ORDER BY ${q.timeColumn}, ${q.key}`;
  return `COPY (${inlineParams(select, params, (s) => client.escapeLiteral(s))}) TO STDOUT (FORMAT binary)`;
}

/** See the file comment. */
export async function* streamPostgresCsvRecords(deps: PostgresCsvDeps, q: CsvRecordQuery): AsyncGenerator<Uint8Array> {
  const client = await deps.connect();
  let copy: ReturnType<typeof copyTo> | undefined;
  let pid: number | undefined;
  let finished = false;
  let failed = false;
  try {
    await deps.begin(client);
    // - statement_timeout 0: an export lasts as long as its client takes to download it, so the
    //   pool's per-statement timeout (meant for reports) does not apply; a client that goes away
    //   cancels it instead, and one that stops reading is cut by the HTTP connection timeout.
    // - extra_float_digits 1 (the default): the shortest round-trip float text the SQL expects.
    // - No parallel plan and no JIT: with them the planner picked a parallel scan and a full
    //   sort (first byte after 17 s for 3M rows) and JIT spent ~10 s compiling the record
    //   expression; without, records stream from the index within ~0.1 s.
    await client.query(
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET LOCAL statement_timeout = 0; SET LOCAL extra_float_digits = 1; ' +
        'SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off',
    );
    pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
    // Tenants with records in the export, from the tenants table (every record's tenant exists:
    // ingest checks it), each probed through the (tenant_id, time) index.
    const tenants = await client.query<{ tenant_id: string }>(
      `SELECT t.tenant_id FROM tenants t
       WHERE EXISTS (SELECT 1 FROM ${q.table} WHERE tenant_id = t.tenant_id AND (${q.where}))
       ORDER BY t.tenant_id COLLATE "C"`,
      q.params as unknown[],
    );
    for (const { tenant_id: tenantId } of tenants.rows) {
      copy = client.query(copyTo(copyRecordsSql(client, q, tenantId)));
      // pg-copy-streams emits late errors (a cancel after we stopped reading) on the stream itself.
      copy.on('error', () => undefined);
      const decoder = new CopyBinaryRecords();
      for await (const chunk of copy) {
        const out = decoder.push(chunk as Buffer);
        if (out.length > 0) yield out;
      }
      decoder.end();
      copy = undefined;
    }
    await client.query('COMMIT');
    finished = true;
  } catch (err) {
    failed = true;
    throw deps.mapError(err);
  } finally {
    if (!finished && !failed && copy && pid !== undefined) {
      // Stopped early (the client went away). The server may still be sorting or sending: cancel
      // the statement so it stops now, as a closed socket is only noticed at its next write.
      await deps.cancel(pid).catch(() => undefined);
    }
    // Unless finished, the connection may be mid-COPY or broken: drop it instead of pooling it.
    client.release(!finished);
  }
}

/**
 * Decodes COPY binary output of one non-null text column into the values, each followed by CRLF.
 * Frames may be split anywhere across chunks.
 */
export class CopyBinaryRecords {
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private trailerSeen = false;

  /** Consumes a chunk; returns the complete records it finished (possibly none). */
  push(chunk: Buffer): Buffer {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    if (!this.headerDone) {
      if (buf.length < HEADER_FIXED) return this.keep(buf, 0);
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY binary: bad signature');
      const extension = buf.readUInt32BE(SIGNATURE.length + 4);
      if (buf.length < HEADER_FIXED + extension) return this.keep(buf, 0);
      pos = HEADER_FIXED + extension;
      this.headerDone = true;
    }
    // A record shrinks by 4 bytes (6 of framing, 2 of CRLF), so the input length bounds the output.
    const out = Buffer.allocUnsafe(buf.length);
    let written = 0;
    while (pos + 2 <= buf.length && !this.trailerSeen) {
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        this.trailerSeen = true;
        pos += 2;
        break;
      }
      if (fields !== 1) throw new Error(`COPY binary: expected 1 field, got ${fields}`);
      if (pos + 6 > buf.length) break;
      const length = buf.readInt32BE(pos + 2);
      if (length < 0) throw new Error('COPY binary: NULL record');
      if (pos + 6 + length > buf.length) break;
      written += buf.copy(out, written, pos + 6, pos + 6 + length);
      out[written++] = CR;
      out[written++] = LF;
      pos += 6 + length;
    }
    this.keep(buf, pos);
    return out.subarray(0, written);
  }

  /** Throws when the data ended inside a record or without the trailer. */
  end(): void {
    if (!this.trailerSeen || this.pending.length > 0) throw new Error('COPY binary: truncated output');
  }

  private keep(buf: Buffer, from: number): Buffer {
    // Copied: `buf` may be a slice of a large chunk that would otherwise stay alive.
    this.pending = from >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(from));
    return Buffer.alloc(0);
  }
}

/**
 * Replaces `$n` placeholders outside quoted literals and identifiers with SQL literals. Only the
 * value types the app binds are accepted; anything else is a programming error.
 */
export function inlineParams(sql: string, params: readonly SqlValue[], escapeText: (s: string) => string): string {
  const literal = (v: SqlValue): string => {
    if (v === null) return 'NULL';
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error('inlineParams: non-finite number');
      // A plain integer literal is int8 (an index on a BIGINT column stays usable).
      return Number.isSafeInteger(v) ? String(v) : `CAST('${String(v)}' AS DOUBLE PRECISION)`;
    }
    if (typeof v === 'string') return escapeText(v);
    if (Array.isArray(v)) {
      const items = v as readonly (string | number)[];
      const numeric = items.length > 0 && typeof items[0] === 'number';
      return `ARRAY[${items.map((x) => literal(x)).join(', ')}]::${numeric ? 'float8[]' : 'text[]'}`;
    }
    throw new Error(`inlineParams: unsupported value ${typeof v}`);
  };
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      // Copy a quoted literal or identifier verbatim; a doubled quote stays inside it.
      let j = i + 1;
      for (;;) {
        const close = sql.indexOf(ch, j);
        if (close === -1) throw new Error('inlineParams: unterminated quote');
        if (sql[close + 1] === ch) {
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      out += sql.slice(i, j);
      i = j;
    } else if (ch === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      const index = Number(sql.slice(i + 1, j)) - 1;
      if (index < 0 || index >= params.length) throw new Error(`inlineParams: no value for $${index + 1}`);
      out += literal(params[index]!);
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
