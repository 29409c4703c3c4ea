/**
 * A byte-level RFC 4180 record scanner. It finds field boundaries without creating strings, so
 * the importer decodes only the columns it needs (measured: creating a string for every one of
 * the 55 columns costs two thirds of the parse rate; see docs/ingest.md).
 *
 * It is fed chunks of bytes and calls `onRecord` once per record with the field offsets into the
 * buffer it is given. A record split across chunks is carried over to the next call; a record is
 * at most `maxRecordBytes` long, so what is carried (and scanned again) stays bounded.
 */

import { dataViewOf } from './data-view-of.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Whether any of the four bytes of `x` is a comma, LF or CR: a byte of `x ^ c` is zero where the
 * byte is c, and `(y - 0x01010101) & ~y & 0x80808080` is non-zero exactly when a byte of y is zero.
 */
function endsField(x: number): boolean {
  const comma = x ^ 0x2c2c2c2c;
  const lf = x ^ 0x0a0a0a0a;
  const cr = x ^ 0x0d0d0d0d;
  return ((((comma - 0x01010101) & ~comma) | ((lf - 0x01010101) & ~lf) | ((cr - 0x01010101) & ~cr)) & 0x80808080) !== 0;
}

/** The longest record accepted, in bytes (docs/ingest.md, "Limits"). */
export const MAX_RECORD_BYTES = 1 << 20;
const tooLong = (max: number) => `a record is longer than ${max} bytes, the limit for one line`;
/** How much of a malformed record is kept for the rejects file. */
const PREVIEW_BYTES = 4096;

export interface ScannedRecord {
  /** The bytes the offsets point into; valid only during the callback. */
  readonly buf: Buffer;
  /** Field i spans [starts[i], ends[i]) without its surrounding quotes (for i below maxFields). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Bit i set: field i was quoted and holds doubled quotes to undo. */
  readonly escaped: Uint8Array;
  /** The record's field count; above maxFields only the first maxFields have offsets. */
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

/** A malformed record, and where scanning can resume after it. */
class BadRecord extends CsvFormatError {
  constructor(
    message: string,
    line: number,
    /** Where the record starts in the buffer. */
    readonly start: number,
    /** Scanning resumes here or, with `toLineEnd`, after the first line feed from here: a malformed
     * record is refused as its first line, and the lines after it are read again. */
    readonly resumeFrom: number,
    readonly toLineEnd: boolean,
  ) {
    super(message, line);
  }
}

export interface ScannerOptions {
  readonly maxFields?: number;
  /** The physical line number of the first byte pushed. */
  readonly firstLine?: number;
  readonly maxRecordBytes?: number;
  /**
   * The header's field count. Given, a record of another count is malformed: one line long, it is
   * the decoder's to refuse; spanning lines (a stray quote joined them), it is refused here as its
   * first line, and the lines after are scanned again as records of their own.
   */
  readonly width?: number;
  /**
   * Given, a malformed record (a stray quote, an unclosed quote, too long) is reported here with
   * its first bytes and skipped: scanning resumes on the next line. Absent, it throws.
   */
  readonly onInvalid?: (error: CsvFormatError, text: string) => void;
}

export class CsvScanner {
  readonly #record: ScannedRecord;
  readonly #onRecord: (record: ScannedRecord) => void;
  readonly #onInvalid: ScannerOptions['onInvalid'];
  readonly #maxRecordBytes: number;
  readonly #width: number;
  #carry: Buffer | undefined;
  // Reused for a carried-over record plus the next chunk: a fresh 4 MiB buffer per chunk was
  // measured to cost more than the copy itself.
  #work = Buffer.allocUnsafe(0);
  #line = 1;
  #pos = 0;
  /** Discarding bytes up to the next line feed (the rest of a record too long to keep). */
  #skipping = false;

  constructor(onRecord: (record: ScannedRecord) => void, options: ScannerOptions = {}) {
    const maxFields = options.maxFields ?? 256;
    this.#onRecord = onRecord;
    this.#onInvalid = options.onInvalid;
    this.#maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
    this.#width = options.width ?? -1;
    this.#line = options.firstLine ?? 1;
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

  /** Whether bytes of an incomplete record are waiting for the next chunk. */
  get midRecord(): boolean {
    return this.#carry !== undefined && this.#carry.length > 0;
  }

  /** Scans every complete record in `chunk` (after any carried-over bytes). */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#skipping) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) return;
      this.#skipping = false;
      this.#line++;
      buf = chunk.subarray(lf + 1);
    }
    const carry = this.#carry;
    if (carry) {
      const need = carry.length + buf.length;
      if (this.#work.length < need) this.#work = Buffer.allocUnsafe(Math.max(need, this.#work.length * 2));
      carry.copy(this.#work, 0);
      buf.copy(this.#work, carry.length);
      buf = this.#work.subarray(0, need);
    }
    const consumed = this.#scan(buf, false);
    this.#carry = consumed < buf.length ? Buffer.from(buf.subarray(consumed)) : undefined;
  }

  /** Scans what is left; a last record without a trailing newline is still a record. */
  end(): void {
    const carry = this.#carry;
    this.#carry = undefined;
    if (carry && carry.length > 0) this.#scan(carry, true);
  }

  // Returns how many bytes were consumed (up to the end of the last complete record).
  #scan(buf: Buffer, final: boolean): number {
    this.#pos = 0;
    for (;;) {
      try {
        this.#records(buf, final);
        return this.#pos;
      } catch (error) {
        if (!(error instanceof BadRecord) || !this.#onInvalid) throw error;
        this.#skip(buf, error, final);
        if (this.#skipping) return buf.length;
      }
    }
  }

  // Reports a malformed record and moves #pos and #line past it.
  #skip(buf: Buffer, bad: BadRecord, final: boolean): void {
    let resume = bad.resumeFrom;
    if (bad.toLineEnd) {
      const lf = buf.indexOf(LF, bad.resumeFrom);
      resume = lf === -1 ? -1 : lf + 1;
    }
    const stop = resume === -1 ? buf.length : resume;
    this.#onInvalid!(bad, buf.toString('utf8', bad.start, Math.min(stop, bad.start + PREVIEW_BYTES)));
    let line = bad.line;
    for (let k = buf.indexOf(LF, bad.start); k !== -1 && k < stop; k = buf.indexOf(LF, k + 1)) line++;
    this.#line = line;
    this.#pos = stop;
    if (resume === -1 && !final) this.#skipping = true;
  }

  // Scans records from #pos, moving #pos and #line past each; stops at an incomplete one.
  #records(buf: Buffer, final: boolean): void {
    const rec = this.#record;
    (rec as { buf: Buffer }).buf = buf;
    const { starts, ends, escaped } = rec;
    const view = dataViewOf(buf);
    const len = buf.length;
    const maxBytes = this.#maxRecordBytes;
    let pos = this.#pos;
    let line = this.#line;
    outer: while (pos < len) {
      const recordStart = pos;
      const recordLine = line;
      let n = 0;
      let i = pos;
      for (;;) {
        // Offsets past maxFields are not stored (typed arrays ignore such writes); the count goes
        // on, so the line is refused by its field count, with its number, like any other.
        let esc = 0;
        let fieldEnd: number;
        if (i < len && buf[i] === QUOTE) {
          const start = i + 1;
          let q = start;
          for (;;) {
            q = buf.indexOf(QUOTE, q);
            if (q === -1) {
              if (!final) break outer;
              throw new BadRecord(
                'a quoted field is not closed before the end of the file',
                recordLine,
                recordStart,
                recordStart,
                true,
              );
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
            throw new BadRecord(
              `unexpected character after a closing quote in field ${n + 1}`,
              recordLine,
              recordStart,
              recordStart,
              true,
            );
          }
        } else {
          const start = i;
          // Four bytes at a time while none of them ends the field (measured: the byte loop alone
          // was a tenth of a parse worker's time), then byte by byte to the one that does.
          if (i < len && buf[i] !== COMMA) {
            for (; i + 4 <= len; i += 4) if (endsField(view.getInt32(i, true))) break;
          }
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
        if (fieldEnd - recordStart > maxBytes) {
          throw new BadRecord(tooLong(maxBytes), recordLine, recordStart, fieldEnd, false);
        }
        if (n !== this.#width && this.#width >= 0 && line - recordLine > (fieldEnd === i ? 0 : 1)) {
          throw new BadRecord(
            `a record of ${n} fields (the header has ${this.#width}) runs over several lines: a stray quote?`,
            recordLine,
            recordStart,
            recordStart,
            true,
          );
        }
        rec.count = n;
        rec.line = recordLine;
        rec.start = recordStart;
        pos = fieldEnd;
        this.#pos = pos;
        this.#line = line;
        // A blank line (one empty unquoted field) is skipped, as CSV readers do.
        if (!(n === 1 && starts[0] === ends[0] && buf[recordStart] !== QUOTE)) this.#onRecord(rec);
        continue outer;
      }
    }
    // Bytes from #pos on are an incomplete record, scanned again with the next chunk: bounded.
    if (len - this.#pos > maxBytes) {
      throw new BadRecord(tooLong(maxBytes), this.#line, this.#pos, this.#pos, true);
    }
  }
}
