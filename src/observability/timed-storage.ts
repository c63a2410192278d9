import type { Row, SqlValue, Storage, Transaction } from '../storage/types.ts';

/** Receives one timing per statement; `AppMetrics.observeDbQuery` fits. */
export type QueryObserver = (engine: string, operation: string, durationSeconds: number) => void;

/**
 * Statement kinds used as the `operation` label. Anything else is `other`, so the label set stays
 * bounded whatever SQL is sent (a label per distinct statement text would explode the series count).
 */
const OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'create',
  'alter',
  'drop',
  'begin',
  'commit',
  'rollback',
  'declare',
  'fetch',
  'copy',
  'set',
  'show',
  'pragma',
  'checkpoint',
  'explain',
]);

/** `operation` label of a statement: its first SQL keyword, lowercased, or `other`. */
export function sqlOperation(sql: string): string {
  // Leading whitespace, `-- line` and `/* block */` comments come before the keyword.
  const m = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*\(*\s*([A-Za-z]+)/.exec(sql);
  const word = m?.[1]?.toLowerCase();
  return word && OPERATIONS.has(word) ? word : 'other';
}

const seconds = (startedMs: number): number => (performance.now() - startedMs) / 1000;

/**
 * Wraps storage so every statement is timed into `observe(engine, operation, seconds)`, failed ones
 * included (a timeout is exactly the slow query worth seeing). Streams report the time spent
 * waiting on the database for rows, once when the stream ends, not the time the client takes to
 * read them. The engine's own internals (migrations, BEGIN/COMMIT) are not counted.
 */
export function withQueryTiming(storage: Storage, observe: QueryObserver): Storage {
  const engine = storage.engine;

  async function timed<T>(sql: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      observe(engine, sqlOperation(sql), seconds(started));
    }
  }

  function timedTx(tx: Transaction): Transaction {
    return {
      dialect: tx.dialect,
      query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => timed(sql, () => tx.query<T>(sql, params)),
      insertMany: (table, columns, rows) => timed('insert', () => tx.insertMany(table, columns, rows)),
      lockTenants: (tenantIds) => tx.lockTenants(tenantIds),
      addToRollup: (table, keys, values, rows) => timed('insert', () => tx.addToRollup(table, keys, values, rows)),
    };
  }

  return {
    engine: storage.engine,
    dialect: storage.dialect,
    capabilities: storage.capabilities,
    query: <T extends object = Row>(sql: string, params?: readonly SqlValue[]) => timed(sql, () => storage.query<T>(sql, params)),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => storage.transaction((tx) => fn(timedTx(tx))),
    async *stream<T extends object = Row>(sql: string, params?: readonly SqlValue[], chunkRows?: number) {
      const iterator = storage.stream<T>(sql, params, chunkRows)[Symbol.asyncIterator]();
      let waitingMs = 0;
      try {
        for (;;) {
          const started = performance.now();
          let next: IteratorResult<T[]>;
          try {
            next = await iterator.next();
          } finally {
            waitingMs += performance.now() - started;
          }
          if (next.done) return;
          yield next.value;
        }
      } finally {
        // An early exit (client gone, error downstream) must still release the cursor.
        await iterator.return?.();
        observe(engine, sqlOperation(sql), waitingMs / 1000);
      }
    },
    async *streamCsvRecords(q) {
      // Timed like stream(): the time spent waiting on the database, reported once at the end.
      const iterator = storage.streamCsvRecords(q)[Symbol.asyncIterator]();
      let waitingMs = 0;
      try {
        for (;;) {
          const started = performance.now();
          let next: IteratorResult<Uint8Array>;
          try {
            next = await iterator.next();
          } finally {
            waitingMs += performance.now() - started;
          }
          if (next.done) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
        observe(engine, 'copy', waitingMs / 1000);
      }
    },
    // A tenant-scoped view is timed like the storage it comes from.
    scoped: (tenantIds) => withQueryTiming(storage.scoped(tenantIds), observe),
    migrate: () => storage.migrate(),
    ping: () => timed('select', () => storage.ping()),
    startupWork: () => storage.startupWork(),
    poolStats: () => storage.poolStats(),
    close: () => storage.close(),
  };
}
