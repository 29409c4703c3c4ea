/**
 * A byte-level RFC 4180 record scanner. It finds field boundaries without creating strings, so
 * the importer decodes only the columns it needs (measured: creating a string for every one of
 * the 55 columns costs two thirds of the parse rate; see docs/ingest.md).
 *
 * It is fed chunks of bytes and calls `onRecord` once per record with the field offsets into the
 * buffer it is given. A record split across chunks is carried over to the next call.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export interface ScannedRecord {
  /** The bytes the offsets point into; valid only during the callback. */
  readonly buf: Buffer;
  /** Field i spans [starts[i], ends[i]) without its surrounding quotes. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Bit i set: field i was quoted and holds doubled quotes to undo. */
  readonly escaped: Uint8Array;
  count: number;
  /** 1-based physical line on which the record starts. */
  line: number;
  /** The record's bytes in `buf`, without its line ending. */
  start: number;
  end: number;
}

export class CsvFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

export class CsvScanner {
  readonly #record: ScannedRecord;
  readonly #onRecord: (record: ScannedRecord) => void;
  #carry: Buffer | undefined;
  // Reused for a carried-over record plus the next chunk: a fresh 4 MiB buffer per chunk was
  // measured to cost more than the copy itself.
  #work = Buffer.allocUnsafe(0);
  #line = 1;

  /** `firstLine`: the physical line number of the first byte pushed. */
  constructor(onRecord: (record: ScannedRecord) => void, { maxFields = 256, firstLine = 1 } = {}) {
    this.#onRecord = onRecord;
    this.#line = firstLine;
    this.#record = {
      buf: Buffer.alloc(0),
      starts: new Int32Array(maxFields),
      ends: new Int32Array(maxFields),
      escaped: new Uint8Array(maxFields),
      count: 0,
      line: 1,
      start: 0,
      end: 0,
    };
  }

  /** Scans every complete record in `chunk` (after any carried-over bytes). */
  push(chunk: Buffer): void {
    let buf = chunk;
    const carry = this.#carry;
    if (carry) {
      const need = carry.length + chunk.length;
      if (this.#work.length < need) this.#work = Buffer.allocUnsafe(Math.max(need, this.#work.length * 2));
      carry.copy(this.#work, 0);
      chunk.copy(this.#work, carry.length);
      buf = this.#work.subarray(0, need);
    }
    const consumed = this.#scan(buf, false);
    this.#carry = consumed < buf.length ? Buffer.from(buf.subarray(consumed)) : undefined;
  }

  /** Scans what is left; a last record without a trailing newline is still a record. */
  end(): void {
    if (this.#carry && this.#carry.length > 0) this.#scan(this.#carry, true);
    this.#carry = undefined;
  }

  // Returns how many bytes were consumed (up to the end of the last complete record).
  #scan(buf: Buffer, final: boolean): number {
    const rec = this.#record;
    (rec as { buf: Buffer }).buf = buf;
    const { starts, ends, escaped } = rec;
    const max = starts.length;
    const len = buf.length;
    let pos = 0;
    let line = this.#line;
    let lineAtPos = line; // the line counter as it stood at `pos`, the end of the last whole record
    outer: while (pos < len) {
      const recordStart = pos;
      const recordLine = line;
      let n = 0;
      let i = pos;
      for (;;) {
        if (n === max) throw new CsvFormatError(`more than ${max} fields in a record`, recordLine);
        let esc = 0;
        let fieldEnd: number;
        if (i < len && buf[i] === QUOTE) {
          const start = i + 1;
          let q = start;
          for (;;) {
            q = buf.indexOf(QUOTE, q);
            if (q === -1) {
              if (!final) break outer;
              throw new CsvFormatError('a quoted field is not closed before the end of the file', recordLine);
            }
            if (q + 1 < len && buf[q + 1] === QUOTE) {
              esc = 1;
              q += 2;
              continue;
            }
            if (q + 1 >= len && !final) break outer; // the next chunk may start with a quote
            break;
          }
          for (let k = buf.indexOf(LF, start); k !== -1 && k < q; k = buf.indexOf(LF, k + 1)) line++;
          starts[n] = start;
          ends[n] = q;
          i = q + 1;
          const c = i < len ? buf[i] : LF;
          if (c !== COMMA && c !== LF && c !== CR) {
            throw new CsvFormatError(`unexpected character after a closing quote in field ${n + 1}`, recordLine);
          }
        } else {
          const start = i;
          while (i < len) {
            const c = buf[i]!;
            if (c === COMMA || c === LF || c === CR) break;
            i++;
          }
          starts[n] = start;
          ends[n] = i;
        }
        escaped[n] = esc;
        n++;
        rec.end = i;
        if (i >= len) {
          if (!final) break outer;
          fieldEnd = i;
        } else {
          const c = buf[i]!;
          if (c === COMMA) {
            i++;
            continue;
          }
          // CR LF or LF ends the record; a lone CR is treated the same.
          fieldEnd = i + 1;
          if (c === CR) {
            if (i + 1 >= len && !final) break outer;
            if (i + 1 < len && buf[i + 1] === LF) fieldEnd = i + 2;
          }
          line++;
        }
        rec.count = n;
        rec.line = recordLine;
        rec.start = recordStart;
        pos = fieldEnd;
        lineAtPos = line;
        // A blank line (one empty unquoted field) is skipped, as CSV readers do.
        if (!(n === 1 && starts[0] === ends[0] && buf[recordStart] !== QUOTE)) this.#onRecord(rec);
        continue outer;
      }
    }
    // Bytes from `pos` on are an incomplete record, scanned again with the next chunk.
    this.#line = lineAtPos;
    return pos;
  }
}
