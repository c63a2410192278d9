/**
 * CSV records built in SQL: the export fast path. The database formats every cell exactly as
 * `formatCsvCell` in csv.ts does in JS, so raw exports never turn rows into JS values (the JS
 * conversion, not the engine, is what limits export speed; shared/ENGINE-NOTES.md).
 *
 * The SQL is the same on both engines (functions both have: concat, ascii, strpos, replace,
 * split_part, repeat, substr, trunc); only the timestamp text comes from a dialect helper.
 * test/integration/export-fast-path.test.ts proves the bytes equal the JS formatter's on both.
 */

import type { Dialect } from '../storage/types.ts';
import { CSV_FORMULA_TRIGGERS, CSV_QUOTE_TRIGGERS } from './csv.ts';

/**
 * How a stored column is written: text (guarded, quoted), a double, or epoch ms as ISO 8601; and
 * two kinds of text whose stored values are known to need less (the export's hottest loop: the
 * four quote checks of a text cell are ≈ 40% of a raw export's formatting on DuckDB):
 * - `guardedText`: never contains a quote trigger, may start with a formula trigger (tenant ids);
 * - `plainText`: neither (enum words such as a run's status): written as stored.
 */
export type CsvCellKind = 'text' | 'guardedText' | 'plainText' | 'number' | 'timestamp';

export interface CsvCellSpec {
  /** SQL expression of the stored value (a column name). */
  expr: string;
  kind: CsvCellKind;
}

const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;
/** `chr(n)` for control characters, a quoted literal otherwise: both engines accept either. */
const sqlChar = (ch: string) => (ch < ' ' ? `chr(${ch.charCodeAt(0)})` : sqlString(ch));

/**
 * A text cell: empty for NULL; `'` prepended when it starts with a formula trigger; then quoted,
 * with quotes doubled, when it contains a quote trigger. The guard cannot add a quote trigger,
 * so testing the stored value decides the quoting of the guarded one.
 */
export function textCellSql(expr: string): string {
  const guarded = guardSql(expr);
  const needsQuotes = CSV_QUOTE_TRIGGERS.map((c) => `strpos(${expr}, ${sqlChar(c)}) > 0`).join(' OR ');
  return `CASE WHEN ${expr} IS NULL THEN '' WHEN ${needsQuotes} THEN '"' || replace(${guarded}, '"', '""') || '"' ELSE ${guarded} END`;
}

/** `'` prepended when the text starts with a formula trigger (NULL stays NULL). */
function guardSql(expr: string): string {
  const triggers = CSV_FORMULA_TRIGGERS.map((c) => c.codePointAt(0)).join(', ');
  return `CASE WHEN ascii(${expr}) IN (${triggers}) THEN '''' || ${expr} ELSE ${expr} END`;
}

/** A text cell whose values never contain a quote trigger: guarded, never quoted; NULL → empty. */
export function guardedTextCellSql(expr: string): string {
  return `coalesce(${guardSql(expr)}, '')`;
}

/** A text cell whose values need neither guard nor quotes: as stored; NULL → empty. */
export function plainTextCellSql(expr: string): string {
  return `coalesce(${expr}, '')`;
}

/**
 * A double written as JS `String(n)` writes it (ECMAScript Number::toString): the shortest digits
 * that round-trip, in decimal notation for 1e-6 ≤ |n| < 1e21 and as `1.5e-7` / `1e+21` outside.
 * NULL, NaN and ±Infinity give an empty cell (JSON has no such numbers); -0 gives `0`.
 *
 * Both engines find the same digits (`doubleText`) but lay them out differently (DuckDB
 * `60000.0`, `1e-05`; PostgreSQL `1e+15`), hence:
 * - integral values below 1e16 are exact integers, printed through BIGINT;
 * - outside [1e-6, 1e21) JS uses exponent notation too, only without the exponent's leading zero;
 * - inside, exponent notation is expanded by an exact decimal cast (`decimalText`), and decimal
 *   notation is already what JS writes.
 * The expression is kept small on purpose: DuckDB's cost to prepare a query grows with it.
 */
export function numberCellSql(d: Dialect, expr: string): string {
  const text = d.doubleText(expr);
  return `CASE WHEN ${expr} IS NULL OR abs(${expr}) >= ${d.double("'Infinity'")} THEN ''
    WHEN ${expr} = 0 THEN '0'
    WHEN ${expr} = trunc(${expr}) AND abs(${expr}) < ${d.double('1e16')} THEN CAST(CAST(${expr} AS BIGINT) AS VARCHAR)
    WHEN abs(${expr}) < ${d.double('1e-6')} OR abs(${expr}) >= ${d.double('1e21')} THEN regexp_replace(${text}, 'e([+-])0+', 'e\\1')
    WHEN strpos(${text}, 'e') = 0 THEN ${text}
    ELSE ${d.decimalText(text, expr)} END`;
}

/** Epoch ms as ISO 8601 in UTC with milliseconds (`Date.prototype.toISOString`); NULL → empty. */
export function timestampCellSql(d: Dialect, expr: string): string {
  return `CASE WHEN ${expr} IS NULL THEN '' ELSE ${d.isoFromEpochMs(expr)} END`;
}

/**
 * SQL expression of one CSV record (cells joined by commas, no terminator). `concat` rather than
 * `||`: one allocation per record instead of one per cell (about 30% less CPU on DuckDB).
 */
export function csvRecordSql(d: Dialect, cells: readonly CsvCellSpec[]): string {
  const cell: Record<CsvCellKind, (expr: string) => string> = {
    text: textCellSql,
    guardedText: guardedTextCellSql,
    plainText: plainTextCellSql,
    number: (expr) => numberCellSql(d, expr),
    timestamp: (expr) => timestampCellSql(d, expr),
  };
  const parts = cells.map((c) => cell[c.kind](c.expr));
  // A single cell still goes through concat, so the record is never NULL.
  return `concat(${parts.join(", ',', ")}${parts.length === 1 ? ", ''" : ''})`;
}
