/**
 * A pass-through stream that fingerprints a CSV while it flows to its destination: SHA-256 of
 * the exact bytes, byte count, and the number of records. Audit exports are written in one pass
 * (the data may not fit in memory), so these figures are taken on the way rather than by reading
 * the file back.
 */

import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22; // "
const LF = 0x0a;

export interface CsvDigest {
  /** Lower-case hex SHA-256 of all bytes that passed through. */
  sha256: string;
  /** Bytes that passed through. */
  bytes: number;
  /** CSV records, the header included. */
  records: number;
  /** Records after the header row (0 for an empty or header-only CSV). */
  dataRows: number;
}

/**
 * Counts records by their terminators outside quoted cells: a quoted cell may contain CRLF, so
 * counting lines would over-count. Scanning bytes is safe for UTF-8 because `"` and LF never
 * occur inside a multi-byte sequence. A `""` escape toggles the quote state twice, leaving it
 * unchanged, so no look-ahead across chunk boundaries is needed.
 */
export class CsvDigestCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private records = 0;
  private inQuotes = false;
  /** Bytes seen since the last record terminator: a final record without CRLF still counts. */
  private openRecord = false;
  private digest: CsvDigest | undefined;

  constructor() {
    // decodeStrings (the default) turns string chunks into UTF-8 Buffers before _transform.
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.scan(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const records = this.records + (this.openRecord ? 1 : 0);
    this.digest = {
      sha256: this.hash.digest('hex'),
      bytes: this.bytes,
      records,
      dataRows: Math.max(0, records - 1),
    };
    callback();
  }

  /** The figures, available once the stream has been read to its end. */
  result(): CsvDigest {
    if (!this.digest) throw new Error('CsvDigestCounter.result() called before the stream ended');
    return this.digest;
  }

  private scan(buf: Buffer): void {
    const n = buf.length;
    if (n === 0) return;
    // indexOf runs in native code; the next quote position is cached so a chunk without quotes
    // is scanned once for them, not once per line.
    let nextQuote = -2;
    let afterLastTerminator = -1;
    let i = 0;
    while (i < n) {
      if (nextQuote !== -1 && nextQuote < i) nextQuote = buf.indexOf(QUOTE, i);
      if (this.inQuotes) {
        if (nextQuote === -1) break;
        this.inQuotes = false;
        i = nextQuote + 1;
        continue;
      }
      const nl = buf.indexOf(LF, i);
      if (nextQuote !== -1 && (nl === -1 || nextQuote < nl)) {
        this.inQuotes = true;
        i = nextQuote + 1;
      } else if (nl !== -1) {
        this.records++;
        i = nl + 1;
        afterLastTerminator = i;
      } else {
        break;
      }
    }
    this.openRecord = afterLastTerminator === -1 ? true : afterLastTerminator < n;
  }
}
