/**
 * In-memory index of the record keys stored in the DuckDB record tables (no PRIMARY KEY there:
 * shared/ENGINE-NOTES.md), so that ingest skips the key lookup for records that cannot exist yet
 * and bounds it to a day of the table's time column for those that may.
 *
 * Per table an open-addressing hash table (linear probing) of 64-bit hashes of
 * `tenant_id|key`: 32 bits pick the slot, 16 other bits are kept as a fingerprint, beside the
 * UTC day (of `started_at_ms`, `opened_at_ms`, `ts_ms`, `predicted_at_ms`) of the stored row. It
 * never answers "absent" for a stored key (every committed row is in it); a false "maybe" (an
 * equal fingerprint in the probed run of slots, a few in 100,000 per new key) only costs a lookup
 * bounded to one day. A row that moved in time (re-sent with another timestamp) leaves its old
 * entry behind, so a key may list several days; deleted rows leave entries too. 4 bytes per
 * slot, load 0.75–0.88 (KeyTable): ≈ 77 MB at 14.5M keys (32-bit fingerprints took 50% more).
 *
 * The hash is DuckDB's own `hash(VARCHAR)`, reimplemented here, so the index is built at start
 * by DuckDB (`SELECT hash(…)` over the table, read as raw vectors, ~0.3 µs per row) instead of
 * turning 15M strings into JS values (~2.5 µs per row). A self-check against DuckDB disables
 * the index if an engine upgrade ever changes that function.
 */

import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import type { KeyRanges, SqlValue, TableName } from '../types.ts';

export const DAY_MS = 86_400_000;
/** Day value meaning "unknown / out of range": the lookup is not bounded in time. */
const ANY_DAY = 0xffff;

/** Key and time columns of the record tables. */
export const RECORD_TABLE_KEYS: Readonly<Record<string, { key: readonly string[]; time: string }>> = {
  workflow_runs: { key: ['id'], time: 'started_at_ms' },
  incidents: { key: ['id'], time: 'opened_at_ms' },
  predictions: { key: ['id'], time: 'predicted_at_ms' },
  metric_samples: { key: ['service', 'ts_ms'], time: 'ts_ms' },
};

export function isRecordTable(table: string): boolean {
  return Object.hasOwn(RECORD_TABLE_KEYS, table);
}

/** SQL of the hashed text of a row: `tenant_id|key[|key2]` (numbers as decimal text). */
function keyTextSql(table: string): string {
  const spec = RECORD_TABLE_KEYS[table]!;
  return ['tenant_id', ...spec.key].map((c) => (c.endsWith('_ms') ? `CAST(${c} AS VARCHAR)` : c)).join(" || '|' || ");
}

function daySql(table: string): string {
  const t = RECORD_TABLE_KEYS[table]!.time;
  return `CAST(CASE WHEN ${t} >= 0 AND ${t} < ${ANY_DAY * DAY_MS} THEN ${t} // ${DAY_MS} ELSE ${ANY_DAY} END AS USMALLINT)`;
}

export function dayOf(ms: number): number {
  return ms >= 0 && ms < ANY_DAY * DAY_MS ? Math.floor(ms / DAY_MS) : ANY_DAY;
}

// ---------------------------------------------------------------------------------------------
// DuckDB's hash(VARCHAR) (src/common/types/hash.cpp, HashBytes + MurmurHash64), on uint32 halves.

const M_HI = 0xd6e8feb8;
const M_LO = 0x6659fd93;
let outHi = 0;
let outLo = 0;

/** High 32 bits of the unsigned 64-bit product of two uint32. */
function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a0 * b0;
  const w1 = a1 * b0 + (t >>> 16);
  const w2 = a0 * b1 + (w1 % 65536);
  return (a1 * b1 + Math.floor(w1 / 65536) + Math.floor(w2 / 65536)) >>> 0;
}

/** (hi, lo) × (bh, bl) mod 2^64 into outHi/outLo. */
function mul64(hi: number, lo: number, bh: number, bl: number): void {
  outLo = Math.imul(lo, bl) >>> 0;
  outHi = (mulHi32(lo, bl) + Math.imul(lo, bh) + Math.imul(hi, bl)) >>> 0;
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(1024);

/** Sets outHi/outLo to DuckDB's hash() of the string. */
export function duckdbHash(s: string): void {
  let bytes: Uint8Array = scratch;
  let len = s.length;
  let ascii = true;
  if (len > scratch.length) scratch = bytes = new Uint8Array(len * 3);
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    bytes[i] = c;
  }
  if (!ascii) {
    if (len * 3 > scratch.length) scratch = bytes = new Uint8Array(len * 3);
    len = utf8.encodeInto(s, bytes).written;
  }
  mul64(0, len, 0xc6a4a793, 0x5bd1e995);
  let hi = outHi;
  let lo = (outLo ^ 0xe17a1465) >>> 0;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const bl = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    const bh = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
    mul64((hi ^ bh) >>> 0, (lo ^ bl) >>> 0, M_HI, M_LO);
    hi = outHi;
    lo = outLo;
  }
  if (i < len) {
    let bl = 0;
    let bh = 0;
    for (let j = 0; i + j < len; j++) {
      if (j < 4) bl |= bytes[i + j]! << (8 * j);
      else bh |= bytes[i + j]! << (8 * (j - 4));
    }
    mul64((hi ^ bh) >>> 0, (lo ^ bl) >>> 0, M_HI, M_LO);
    hi = outHi;
    lo = outLo;
  }
  // MurmurHash64 finalizer.
  lo = (lo ^ hi) >>> 0;
  mul64(hi, lo, M_HI, M_LO);
  hi = outHi;
  lo = (outLo ^ outHi) >>> 0;
  mul64(hi, lo, M_HI, M_LO);
  outHi = outHi >>> 0;
  outLo = (outLo ^ outHi) >>> 0;
}

/** The hash as an unsigned BigInt (tests, self-check). */
export function duckdbHashBigInt(s: string): bigint {
  duckdbHash(s);
  return (BigInt(outHi) << 32n) | BigInt(outLo);
}

// ---------------------------------------------------------------------------------------------

/**
 * Loads: a table is built for its keys at BUILD_LOAD, a rebuild (bigger table) starts in the
 * background past GROW_LOAD, and adding stops at MAX_LOAD. High loads cost little here: a probe
 * reads 2 bytes from a run of neighbouring slots, and the false "maybe" rate (≈ probes / 65,536)
 * stays below 1 in 1,000 new keys at 0.9. Memory is 4 bytes / load per key: ≈ 5.3 bytes at
 * BUILD_LOAD (8 at the 0.5 used before), i.e. ≈ 77 MB at 14.5M keys instead of ≈ 116 MB.
 * A table that fills up while ingest goes on is rebuilt at REBUILD_LOAD, so a growing database
 * is not rescanned after every few percent of growth.
 */
const BUILD_LOAD = 0.75;
/** Load of the tables built because the last ones filled up: room for ≈ 45% more keys. */
const REBUILD_LOAD = 0.6;
const GROW_LOAD = 0.88;
const MAX_LOAD = 0.93;
const MIN_CAPACITY = 1 << 14;

/** Linear-probing table of (fingerprint, day); fingerprint 0 marks an empty slot. */
export class KeyTable {
  readonly fps: Uint16Array;
  readonly days: Uint16Array;
  readonly capacity: number;
  count = 0;

  constructor(expectedKeys: number, load: number = BUILD_LOAD) {
    this.capacity = Math.max(MIN_CAPACITY, Math.ceil(expectedKeys / load));
    this.fps = new Uint16Array(this.capacity);
    this.days = new Uint16Array(this.capacity);
  }

  private home(hi: number): number {
    // floor(hi × capacity / 2^32) without leaving exact double range.
    const c = this.capacity;
    return Math.floor(((hi >>> 16) * c + Math.floor(((hi & 0xffff) * c) / 65536)) / 65536);
  }

  /** False when the table is too full to take the key (the index must stop answering). */
  add(hi: number, lo: number, day: number): boolean {
    const fp = lo & 0xffff || 1;
    const c = this.capacity;
    let i = this.home(hi);
    for (;;) {
      const f = this.fps[i]!;
      if (f === 0) break;
      if (f === fp && this.days[i] === day) return true;
      if (++i === c) i = 0;
    }
    if (this.count + 1 > c * MAX_LOAD) return false;
    this.fps[i] = fp;
    this.days[i] = day;
    this.count++;
    return true;
  }

  /** Days of the entries matching the hash (empty: certainly not stored). */
  find(hi: number, lo: number, out: number[]): void {
    const fp = lo & 0xffff || 1;
    const c = this.capacity;
    let i = this.home(hi);
    for (;;) {
      const f = this.fps[i]!;
      if (f === 0) return;
      if (f === fp) out.push(this.days[i]!);
      if (++i === c) i = 0;
    }
  }

  get load(): number {
    return this.count / this.capacity;
  }
}

/** A pending key of an uncommitted transaction. */
export interface PendingKey {
  table: string;
  hi: number;
  lo: number;
  day: number;
}

/** Candidate time ranges `[from, to]` (inclusive epoch ms) of a stored row with a given key. */

export type KeyIndexState = 'building' | 'ready' | 'disabled' | 'closed';

/** Computes the hash text of a row given as values in `columns` order; null when unusable. */
function rowKeyText(spec: { key: readonly string[] }, pos: readonly number[], row: readonly SqlValue[]): string | null {
  let text = row[pos[0]!];
  if (typeof text !== 'string') return null;
  for (let k = 0; k < spec.key.length; k++) {
    const v = row[pos[k + 1]!];
    if (v === null || v === undefined) return null;
    text += '|' + String(v);
  }
  return text;
}

export interface KeyIndexDeps {
  /** A dedicated connection for the background build. */
  connect(): Promise<DuckDBConnection>;
  release(conn: DuckDBConnection): void;
}

/**
 * The index of all record tables. Queried and updated only under the storage's write lock, so
 * no commit interleaves with a lookup; the background build runs on its own connection and
 * sees one snapshot, and keys committed meanwhile are added to the table being built as well.
 */
export class RecordKeyIndex {
  private tables: Map<string, KeyTable> | null = null;
  /** The set being built; `log` buffers commits until its tables exist (replayed then). */
  private building: { gen: number; tables: Map<string, KeyTable>; log: PendingKey[] | null } | null = null;
  /** Open write transactions (or raw writes): a build only starts when none is open. */
  private holds = 0;
  private gen = 0;
  private buildPromise: Promise<void> = Promise.resolve();
  private activeConn: DuckDBConnection | null = null;
  private disabled = false;
  private closed = false;
  private rebuildWanted = false;
  /** The wanted rebuild is for growth: size the tables with room to spare (REBUILD_LOAD). */
  private growing = false;
  /** For tests and diagnostics: completed builds. */
  builds = 0;

  constructor(private readonly deps: KeyIndexDeps) {}

  get state(): KeyIndexState {
    if (this.closed) return 'closed';
    if (this.disabled) return 'disabled';
    return this.tables ? 'ready' : 'building';
  }

  /** Resolves when no build is running (tests). */
  async settled(): Promise<void> {
    for (;;) {
      const p = this.buildPromise;
      await p;
      if (p === this.buildPromise) return;
    }
  }

  /** Hash entries of rows about to be inserted into `table` (values in `columns` order). */
  pendingKeys(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], out: PendingKey[]): void {
    const spec = RECORD_TABLE_KEYS[table];
    if (!spec || this.disabled) return;
    const pos = ['tenant_id', ...spec.key].map((c) => columns.indexOf(c));
    const timePos = columns.indexOf(spec.time);
    if (pos.some((p) => p < 0) || timePos < 0) {
      // Not enough columns to compute keys: this index can no longer vouch for the table.
      this.invalidate();
      return;
    }
    for (const row of rows) {
      const text = rowKeyText(spec, pos, row);
      if (text === null) {
        this.invalidate();
        return;
      }
      duckdbHash(text);
      const t = row[timePos];
      out.push({ table, hi: outHi, lo: outLo, day: typeof t === 'number' ? dayOf(t) : typeof t === 'bigint' ? dayOf(Number(t)) : ANY_DAY });
    }
  }

  /** After COMMIT: the committed keys join the index (and the one being built). */
  committed(keys: readonly PendingKey[]): void {
    if (keys.length === 0) return;
    if (this.building?.log) for (const k of keys) this.building.log.push(k);
    for (const target of [this.tables, this.building && !this.building.log ? this.building.tables : undefined]) {
      if (!target) continue;
      for (const k of keys) {
        const t = target.get(k.table);
        if (t && !t.add(k.hi, k.lo, k.day)) {
          // Full: stop answering from this table set until a rebuild replaces it.
          if (target === this.tables) this.tables = null;
          else this.building = null;
          this.growing = true;
          this.requestRebuild();
          break;
        }
      }
    }
    if (this.tables && !this.building) {
      for (const t of this.tables.values()) {
        if (t.load > GROW_LOAD) {
          this.growing = true;
          this.requestRebuild();
          break;
        }
      }
    }
  }

  /**
   * Where rows with these keys may be stored: per row null (certainly not stored) or time ranges
   * of the table's time column; null overall when the index cannot answer (building, disabled).
   */
  locate(table: TableName, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): (KeyRanges | null)[] | null {
    const t = this.tables?.get(table);
    const spec = RECORD_TABLE_KEYS[table];
    if (!t || !spec) return null;
    const pos = ['tenant_id', ...spec.key].map((c) => columns.indexOf(c));
    if (pos.some((p) => p < 0)) return null;
    const out: (KeyRanges | null)[] = [];
    const days: number[] = [];
    for (const row of rows) {
      const text = rowKeyText(spec, pos, row);
      if (text === null) return null;
      duckdbHash(text);
      days.length = 0;
      t.find(outHi, outLo, days);
      if (days.length === 0) {
        out.push(null);
        continue;
      }
      if (days.includes(ANY_DAY)) {
        out.push([[Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]]);
        continue;
      }
      out.push([...new Set(days)].map((d) => [d * DAY_MS, d * DAY_MS + DAY_MS - 1] as const));
    }
    return out;
  }

  /**
   * Something wrote a record table behind the index: stop answering until rebuilt. The rebuild
   * starts when the writing transaction has ended (release()).
   */
  invalidate(): void {
    if (this.closed) return;
    this.tables = null;
    this.building = null;
    this.gen++;
    this.activeConn?.interrupt();
    this.rebuildWanted = true;
  }

  /** Starts a build if one is wanted (call outside an open transaction, e.g. after COMMIT). */
  requestRebuild(): void {
    this.rebuildWanted = true;
    this.kick();
  }

  /** Never builds: every lookup goes to the database (a process that does not ingest). */
  disable(): void {
    this.disabled = true;
    this.tables = null;
  }

  /** Starts the first build (after open). */
  start(): void {
    this.rebuildWanted = true;
    this.kick();
  }

  /** A write transaction (or a raw write) begins: builds wait for its end. */
  hold(): void {
    this.holds++;
  }

  /** The write ended (committed or not): a wanted build may start now. */
  release(): void {
    this.holds--;
    this.kick();
  }

  /** Starts a wanted build when none runs and no write is open. */
  kick(): void {
    if (!this.rebuildWanted || this.closed || this.disabled || this.building || this.holds > 0) return;
    this.rebuildWanted = false;
    const gen = ++this.gen;
    const load = this.growing ? REBUILD_LOAD : BUILD_LOAD;
    this.growing = false;
    const tables = new Map<string, KeyTable>();
    this.building = { gen, tables, log: [] };
    const previous = this.buildPromise;
    // A failed build leaves the index not ready (every key is looked up); the next invalidation
    // or growth retries.
    this.buildPromise = previous.then(() => this.build(gen, tables, load)).catch(() => undefined);
  }

  private async build(gen: number, tables: Map<string, KeyTable>, load: number): Promise<void> {
    if (gen !== this.gen || this.closed) return;
    const conn = await this.deps.connect();
    this.activeConn = conn;
    let ok = false;
    try {
      await conn.run('BEGIN TRANSACTION');
      const existing = new Set(
        (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")).getRows().map((r) => String(r[0])),
      );
      const counts = new Map<string, number>();
      for (const table of Object.keys(RECORD_TABLE_KEYS)) {
        const n = existing.has(table)
          ? Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0])
          : 0;
        counts.set(table, n);
        tables.set(table, new KeyTable(n, load));
      }
      // From here on commits go straight into the new tables; earlier ones (maybe also in the
      // snapshot: adding twice is harmless) are replayed.
      const log = this.building?.gen === gen ? this.building.log : null;
      if (this.building?.gen === gen) this.building.log = null;
      for (const k of log ?? []) {
        if (!tables.get(k.table)?.add(k.hi, k.lo, k.day)) return;
      }
      if (!(await this.selfCheck(conn, existing))) {
        this.disabled = true;
        return;
      }
      for (const [table, table_] of tables) {
        if (!existing.has(table) || counts.get(table) === 0) continue;
        const result = await conn.stream(`SELECT hash(${keyTextSql(table)}) AS h, ${daySql(table)} AS d FROM ${table}`);
        for (;;) {
          if (gen !== this.gen || this.closed) {
            // Read the (interrupted) result to its end: a streaming result left pending keeps
            // the database open, and with it the file lock, after close() (until GC).
            await drain(result);
            return;
          }
          const chunk: DuckDBDataChunk | null = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const n = chunk.rowCount;
          const hv = chunk.getColumnVector(0) as unknown as { items: BigUint64Array };
          const dv = chunk.getColumnVector(1) as unknown as { items: Uint16Array };
          const h = new Uint32Array(hv.items.buffer, hv.items.byteOffset, n * 2);
          const d = dv.items;
          for (let i = 0; i < n; i++) {
            if (!table_.add(h[2 * i + 1]!, h[2 * i]!, d[i]!)) {
              await drain(result);
              return;
            }
          }
        }
      }
      ok = true;
    } finally {
      this.activeConn = null;
      await conn.run('ROLLBACK').catch(() => undefined);
      this.deps.release(conn);
      if (this.building?.gen === gen) {
        this.building = null;
        if (ok && gen === this.gen && !this.closed && !this.disabled) {
          this.tables = tables;
          this.builds++;
        }
      }
      this.kick();
    }
  }

  /** DuckDB's hash() must equal duckdbHash() (little-endian host, same engine version). */
  private async selfCheck(conn: DuckDBConnection, existing: Set<string>): Promise<boolean> {
    const samples = ['', 'a', 'abcdefgh', 'abcdefghi', 'tenant-1|run-000123', 'ünïcødé ✓ 😀|x', 'x'.repeat(77)];
    for (const table of Object.keys(RECORD_TABLE_KEYS)) {
      if (!existing.has(table)) continue;
      const rows = (await conn.runAndReadAll(`SELECT ${keyTextSql(table)} FROM ${table} LIMIT 16`)).getRows();
      for (const r of rows) samples.push(String(r[0]));
    }
    const list = samples.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');
    const rows = (await conn.runAndReadAll(`SELECT s, hash(s) FROM (SELECT unnest([${list}]::VARCHAR[]) AS s)`)).getRows();
    if (rows.length !== samples.length) return false;
    return rows.every((r) => duckdbHashBigInt(String(r[0])) === (r[1] as bigint));
  }

  /** Stops any build; the index answers nothing afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.gen++;
    this.tables = null;
    this.activeConn?.interrupt();
    await this.buildPromise.catch(() => undefined);
  }
}

/** Reads a streaming result to its end (or its error), so nothing keeps its connection alive. */
async function drain(result: { fetchChunk(): Promise<DuckDBDataChunk | null> }): Promise<void> {
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
    }
  } catch {
    // Interrupted: the result is finished.
  }
}
