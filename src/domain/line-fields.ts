import { isUtf8 } from 'node:buffer';
import { columnsOf, type ColumnType, type LineColumn, type LineFormat } from './line-schema.js';
import { DecimalRead, decimalProblem, readDecimal } from '../money/decimal-bytes.js';
import { isGuid, parseUsageDay } from './field-syntax.js';

/**
 * Every column of a block's lines as the file wrote it (a stored line block's `fields`), encoded
 * column by column with a dictionary per column: each distinct value of a column once, and per
 * line the index of its value, in 0, 1, 2 or 4 bytes as the column's distinct values need. A
 * reconciliation file repeats most columns from line to line (the partner, the customer, the
 * meter's names, the prices), so a column costs about its index a line (docs/storage.md).
 *
 * Layout, little-endian: version (1 byte, 1), format (1 byte: 0 daily-rated, 1 legacy), columns
 * (2 bytes), lines (4 bytes); then per column in the layout's order (line-schema.ts): distinct
 * values (4 bytes), index width (1 byte), each value as its length (LEB128) and its UTF-8 bytes,
 * then the lines' indexes.
 */
const VERSION = 1;
const FORMATS: readonly LineFormat[] = ['daily-rated', 'legacy'];

const parts = new Float64Array(2);

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Why a value is refused for its column's type; undefined when it is accepted. Surrounding ASCII
 * white space is allowed, as the importer allows it around ids and numbers.
 */
function typeProblem(type: ColumnType, bytes: Uint8Array, start: number, end: number): string | undefined {
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  if (start === end) return undefined; // every column may be empty
  const latin1 = () => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
  switch (type) {
    case 'decimal':
    case 'percent': {
      const read = readDecimal(bytes, start, end, parts, 0);
      return read === DecimalRead.Invalid || read === DecimalRead.OutOfRange ? decimalProblem(read) : undefined;
    }
    case 'datetime':
      return parseUsageDay(latin1()) === undefined ? 'is not a date' : undefined;
    case 'guid':
      return isGuid(latin1()) ? undefined : 'is not a GUID';
    default:
      return undefined;
  }
}

/** A field a line cannot be stored with: the column (its index in the layout) and why. */
export interface FieldProblem {
  readonly column: number;
  readonly reason: string;
}

/**
 * Builds one block's fields, line by line, from the bytes of each field (a parse worker calls it
 * for every line, so it makes no string: a value is looked up by its bytes, first against the
 * column's previous value, then in one open-addressing table of every column's values).
 *
 * A line is written by `line()` and kept by `commit()`; a line not committed (refused later by the
 * importer) is taken back at the next `line()` or `take()`, values it alone brought included, so a
 * refused line leaves nothing in the block.
 */
export class LineFieldsEncoder {
  readonly #types: readonly ColumnType[];
  readonly #width: number;
  // Every value of the block: its bytes in #bytes at [#start[v], #start[v] + #length[v]) and its column.
  #bytes = new Uint8Array(1 << 16);
  #bytesUsed = 0;
  #start = new Int32Array(1024);
  #length = new Int32Array(1024);
  #hash = new Int32Array(1024);
  #local = new Int32Array(1024); // a value's index among its column's values
  #columnOf = new Int32Array(1024);
  #values = 0;
  /** Per column, its values in order of first use. */
  readonly #columnValues: Int32Array[];
  readonly #columnCount: Int32Array;
  readonly #last: Int32Array;
  // Open addressing: slot → value + 1 (0 empty).
  #table = new Int32Array(1 << 12);
  // Per line, per column: the value.
  #ids = new Int32Array(1024 * 64);
  #lines = 0;
  // The uncommitted line's state: values from #mark on, and the table slots they took.
  #mark = 0;
  #markBytes = 0;
  #pending = false;
  #slots: number[] = [];
  #scratch = new Uint8Array(256);
  readonly format: LineFormat;

  constructor(format: LineFormat) {
    this.format = format;
    const columns = columnsOf(format);
    this.#types = columns.map((c) => c.type);
    this.#width = columns.length;
    this.#columnValues = columns.map(() => new Int32Array(64));
    this.#columnCount = new Int32Array(columns.length);
    this.#last = new Int32Array(columns.length).fill(-1);
  }

  get lines(): number {
    return this.#lines;
  }

  /** Starts a line: the previous one, if not committed, is taken back. */
  line(): void {
    if (this.#pending) this.#rollback();
    this.#pending = true;
    this.#mark = this.#values;
    this.#markBytes = this.#bytesUsed;
    this.#slots.length = 0;
    const need = (this.#lines + 1) * this.#width;
    if (need > this.#ids.length) {
      const next = new Int32Array(need * 2);
      next.set(this.#ids);
      this.#ids = next;
    }
  }

  /**
   * Sets column `k` of the line to bytes [start, end) of `buf` (`escaped`: holds doubled quotes to
   * undo). Returns a problem when the value is not its column's type or not UTF-8.
   */
  field(k: number, buf: Uint8Array, start: number, end: number, escaped: boolean): FieldProblem | undefined {
    if (escaped) ({ buf, start, end } = this.#unescape(buf, start, end));
    const length = end - start;
    const last = this.#last[k]!;
    // Most columns repeat the previous line's value.
    if (last >= 0 && this.#length[last] === length && this.#equal(last, buf, start, length)) {
      this.#ids[this.#lines * this.#width + k] = this.#local[last]!;
      return undefined;
    }
    let h = Math.imul(k + 1, 0x9e3779b1);
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h ^= h >>> 15;
    const mask = this.#table.length - 1;
    let slot = h & mask;
    for (;;) {
      const v = this.#table[slot]! - 1;
      if (v < 0) break;
      if (
        this.#hash[v] === h &&
        this.#length[v] === length &&
        this.#columnOf[v] === k &&
        this.#equal(v, buf, start, length)
      ) {
        this.#last[k] = v;
        this.#ids[this.#lines * this.#width + k] = this.#local[v]!;
        return undefined;
      }
      slot = (slot + 1) & mask;
    }
    const problem = typeProblem(this.#types[k]!, buf, start, end);
    if (problem) return { column: k, reason: problem };
    if (!isUtf8(buf.subarray(start, end))) return { column: k, reason: 'is not valid UTF-8 (the file must be UTF-8)' };
    const v = this.#add(k, buf, start, end, h);
    this.#table[slot] = v + 1;
    this.#slots.push(slot);
    this.#last[k] = v;
    this.#ids[this.#lines * this.#width + k] = this.#local[v]!;
    if (this.#values * 2 > this.#table.length) this.#rehash();
    return undefined;
  }

  /** Keeps the line. */
  commit(): void {
    this.#pending = false;
    this.#lines++;
  }

  /** The block's fields, encoded; the encoder starts a new block. */
  take(): Uint8Array {
    if (this.#pending) this.#rollback();
    const lines = this.#lines;
    const width = this.#width;
    const widths = Array.from(this.#columnCount, (n) => (n <= 1 ? 0 : n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4));
    let size = 8;
    for (let k = 0; k < width; k++) {
      size += 5 + widths[k]! * lines;
      const values = this.#columnValues[k]!;
      for (let j = 0; j < this.#columnCount[k]!; j++) size += 5 + this.#length[values[j]!]!;
    }
    const out = new Uint8Array(new SharedArrayBuffer(size));
    const view = new DataView(out.buffer);
    out[0] = VERSION;
    out[1] = FORMATS.indexOf(this.format);
    view.setUint16(2, width, true);
    view.setUint32(4, lines, true);
    let at = 8;
    for (let k = 0; k < width; k++) {
      const count = this.#columnCount[k]!;
      view.setUint32(at, count, true);
      out[at + 4] = widths[k]!;
      at += 5;
      const values = this.#columnValues[k]!;
      for (let j = 0; j < count; j++) {
        const v = values[j]!;
        let n = this.#length[v]!;
        while (n >= 0x80) {
          out[at++] = (n & 0x7f) | 0x80;
          n >>>= 7;
        }
        out[at++] = n;
        out.set(this.#bytes.subarray(this.#start[v]!, this.#start[v]! + this.#length[v]!), at);
        at += this.#length[v]!;
      }
      const w = widths[k]!;
      if (w > 0) {
        for (let i = 0; i < lines; i++) {
          const id = this.#ids[i * width + k]!;
          if (w === 1) out[at] = id;
          else if (w === 2) view.setUint16(at, id, true);
          else view.setUint32(at, id, true);
          at += w;
        }
      }
    }
    this.#reset();
    return out.subarray(0, at);
  }

  #equal(v: number, buf: Uint8Array, start: number, length: number): boolean {
    const bytes = this.#bytes;
    const s = this.#start[v]!;
    for (let i = 0; i < length; i++) if (bytes[s + i] !== buf[start + i]) return false;
    return true;
  }

  #add(k: number, buf: Uint8Array, start: number, end: number, h: number): number {
    const v = this.#values++;
    if (v === this.#start.length) {
      const grow = (a: Int32Array) => {
        const next = new Int32Array(a.length * 2);
        next.set(a);
        return next;
      };
      this.#start = grow(this.#start);
      this.#length = grow(this.#length);
      this.#hash = grow(this.#hash);
      this.#local = grow(this.#local);
      this.#columnOf = grow(this.#columnOf);
    }
    const length = end - start;
    if (this.#bytesUsed + length > this.#bytes.length) {
      const next = new Uint8Array(Math.max(this.#bytes.length * 2, this.#bytesUsed + length));
      next.set(this.#bytes.subarray(0, this.#bytesUsed));
      this.#bytes = next;
    }
    this.#bytes.set(buf.subarray(start, end), this.#bytesUsed);
    this.#start[v] = this.#bytesUsed;
    this.#length[v] = length;
    this.#bytesUsed += length;
    this.#hash[v] = h;
    this.#columnOf[v] = k;
    let values = this.#columnValues[k]!;
    const local = this.#columnCount[k]!;
    if (local === values.length) {
      const next = new Int32Array(values.length * 2);
      next.set(values);
      this.#columnValues[k] = values = next;
    }
    values[local] = v;
    this.#local[v] = local;
    this.#columnCount[k] = local + 1;
    return v;
  }

  // Takes back the values the uncommitted line brought (newest first, so the table's probe
  // sequences stay as they were before them).
  #rollback(): void {
    for (let i = this.#slots.length - 1; i >= 0; i--) this.#table[this.#slots[i]!] = 0;
    for (let v = this.#values - 1; v >= this.#mark; v--) this.#columnCount[this.#columnOf[v]!]!--;
    this.#values = this.#mark;
    this.#bytesUsed = this.#markBytes;
    this.#slots.length = 0;
    this.#last.fill(-1);
    this.#pending = false;
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let v = 0; v < this.#values; v++) {
      let slot = this.#hash[v]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = v + 1;
    }
    this.#table = table;
    // Slots moved: the uncommitted line's values are found again by value when taken back.
    this.#slots = [];
    for (let v = this.#mark; v < this.#values; v++) {
      let slot = this.#hash[v]! & mask;
      while (table[slot] !== v + 1) slot = (slot + 1) & mask;
      this.#slots.push(slot);
    }
  }

  #unescape(buf: Uint8Array, start: number, end: number): { buf: Uint8Array; start: number; end: number } {
    if (this.#scratch.length < end - start) this.#scratch = new Uint8Array(2 * (end - start));
    const out = this.#scratch;
    let n = 0;
    for (let i = start; i < end; i++) {
      out[n++] = buf[i]!;
      if (buf[i] === 0x22 && buf[i + 1] === 0x22) i++;
    }
    return { buf: out, start: 0, end: n };
  }

  #reset(): void {
    this.#table.fill(0);
    this.#values = 0;
    this.#bytesUsed = 0;
    this.#lines = 0;
    this.#columnCount.fill(0);
    this.#last.fill(-1);
    this.#pending = false;
    this.#slots.length = 0;
  }
}

/** A block's fields, decoded: each column's distinct values once, as strings. */
export class LineFields {
  readonly format: LineFormat;
  readonly columns: readonly LineColumn[];
  readonly count: number;
  readonly #values: string[][];
  readonly #ids: (Uint8Array | Uint16Array | Uint32Array | null)[];
  /** Column → its index in this block's layout (-1: the layout has none). */
  readonly #index: Map<LineColumn, number>;

  constructor(blob: Uint8Array) {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (blob[0] !== VERSION) throw new Error(`line fields of version ${blob[0]} are not known to this version`);
    this.format = FORMATS[blob[1]!]!;
    this.columns = columnsOf(this.format);
    const width = view.getUint16(2, true);
    const count = view.getUint32(4, true);
    this.count = count;
    this.#values = [];
    this.#ids = [];
    let at = 8;
    const decoder = new TextDecoder();
    for (let k = 0; k < width; k++) {
      const n = view.getUint32(at, true);
      const w = blob[at + 4]!;
      at += 5;
      const values: string[] = [];
      for (let j = 0; j < n; j++) {
        let length = 0;
        for (let shift = 0; ; shift += 7) {
          const b = blob[at++]!;
          length |= (b & 0x7f) << shift;
          if (b < 0x80) break;
        }
        values.push(decoder.decode(blob.subarray(at, at + length)));
        at += length;
      }
      this.#values.push(values);
      if (w === 0) this.#ids.push(null);
      else {
        const ids = new Uint8Array(w * count); // a copy, aligned for the typed array
        ids.set(blob.subarray(at, at + w * count));
        this.#ids.push(w === 1 ? ids : w === 2 ? new Uint16Array(ids.buffer) : new Uint32Array(ids.buffer));
        at += w * count;
      }
    }
    this.#index = new Map(this.columns.map((c, k) => [c, k]));
  }

  /** Line i's value in column k of the block's layout. */
  at(i: number, k: number): string {
    const ids = this.#ids[k];
    return this.#values[k]![ids ? ids[i]! : 0] ?? '';
  }

  /** Line i's value of `column`; '' where the block's layout has no such column. */
  get(i: number, column: LineColumn): string {
    const k = this.#index.get(column);
    return k === undefined ? '' : this.at(i, k);
  }
}

/** The fields of lines `pick` of a block (an import's batch split by partner and period). */
export function pickLineFields(blob: Uint8Array, pick: readonly number[]): Uint8Array {
  const fields = new LineFields(blob);
  const encoder = new LineFieldsEncoder(fields.format);
  const utf8 = new TextEncoder();
  for (const i of pick) {
    encoder.line();
    for (let k = 0; k < fields.columns.length; k++) {
      const bytes = utf8.encode(fields.at(i, k));
      encoder.field(k, bytes, 0, bytes.length, false);
    }
    encoder.commit();
  }
  return encoder.take();
}
