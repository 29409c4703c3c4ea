import { isUtf8 } from 'node:buffer';
import { columnsOf, type ColumnType, type LineColumn, type LineFormat } from './line-schema.js';
import { DecimalRead, decimalProblem, readDecimal } from '../money/decimal-bytes.js';
import { isGuid, parseUsageDay } from './field-syntax.js';

/**
 * Every column of a block's lines as the file wrote it (docs/storage.md, "Every column"). Each
 * column's values are numbered in a dictionary, and a block stores per line the number of its
 * value, in 0, 1, 2 or 4 bytes as the dictionary's size needs. A column is kept in one of three
 * ways:
 * - Import: one dictionary for all the blocks of one parser of an import (a file repeats a
 *   resource's URI, a customer's name, a meter's price in every block, whatever its line order);
 *   the values a block brings first are stored beside it, as the dictionary's next part (a
 *   "delta", table line_dictionaries), and a block names the last part it needs;
 * - Amount: a line's quantity and totals, which the block stores anyway (line-batch.ts): number 0
 *   means "as the amount", other numbers the block's own values (text that differs: spaces);
 * - Block: a dictionary in the block itself, for a column whose import dictionary grew past its
 *   bound (a hostile file's unique values), so memory stays bounded.
 *
 * Layout, little-endian. A block: version (1 byte, 2), format (1: 0 daily-rated, 1 legacy), parser
 * (1), columns (2), lines (4), the dictionary part it needs (4); per column in the layout's order
 * (line-schema.ts): mode (1), width (1), for Amount and Block its values (4 bytes count, each as a
 * LEB128 length and UTF-8 bytes), zero bytes up to a multiple of the width, the lines' numbers. A
 * delta: per column, its new values (4 bytes count, then each as above).
 */
const VERSION = 2;
const FORMATS: readonly LineFormat[] = ['daily-rated', 'legacy'];
const Mode = { Import: 0, Amount: 1, Block: 2 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** An import dictionary's bounds per parser: past them a column is kept per block instead. */
const MAX_IMPORT_VALUES = 1 << 20;
const MAX_IMPORT_BYTES = 64 << 20;

const parts = new Float64Array(2);
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

const latin1 = (bytes: Uint8Array, start: number, end: number): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');

/**
 * Why a value is refused for its column's type; undefined when it is accepted. Surrounding ASCII
 * white space is allowed, as the importer allows it around ids and numbers.
 */
function typeProblem(type: ColumnType, bytes: Uint8Array, start: number, end: number): string | undefined {
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  if (start === end) return undefined; // every column may be empty
  switch (type) {
    case 'decimal':
    case 'percent': {
      const read = readDecimal(bytes, start, end, parts, 0);
      return read === DecimalRead.Invalid || read === DecimalRead.OutOfRange ? decimalProblem(read) : undefined;
    }
    case 'datetime':
      return parseUsageDay(latin1(bytes, start, end)) === undefined ? 'is not a date' : undefined;
    case 'guid':
      return isGuid(latin1(bytes, start, end)) ? undefined : 'is not a GUID';
    default:
      return isUtf8(bytes.subarray(start, end)) ? undefined : 'is not valid UTF-8 (the file must be UTF-8)';
  }
}

/**
 * Whether `length` bytes at `s` of `own` equal those at `start` of `view`: four bytes at a time
 * (measured: twice as fast as a byte loop, four times the native compare for a field's length).
 */
function sameBytes(own: DataView, s: number, view: DataView, start: number, length: number): boolean {
  let i = 0;
  for (; i + 4 <= length; i += 4) if (own.getInt32(s + i, true) !== view.getInt32(start + i, true)) return false;
  for (; i < length; i++) if (own.getUint8(s + i) !== view.getUint8(start + i)) return false;
  return true;
}

const grown = (a: Int32Array, size: number) => {
  const next = new Int32Array(Math.max(size, a.length * 2));
  next.set(a);
  return next;
};

// Stryker disable all: any hash of the column and the bytes finds the same values (another one only
// places them elsewhere in the table), so its mutants cannot change what is stored.
/** A hash of column k's value at [start, end) of the view's bytes, four bytes at a time. */
function hashOf(k: number, view: DataView, start: number, end: number): number {
  let h = Math.imul(k + 1, 0x9e3779b1) ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193) ^ (h >>> 13);
  for (; i < end; i++) h = Math.imul(h ^ view.getUint8(i), 0x01000193);
  return h ^ (h >>> 15);
}
// Stryker restore all

/**
 * Values of several columns, each stored once and found again by its bytes (open addressing on a
 * hash of the column and the bytes); numbered per column in the order they came. Taking back the
 * values since a mark removes their table slots newest first, which leaves every probe sequence as
 * it was before them.
 */
class ValueTable {
  bytes = new Uint8Array(1 << 16);
  view = new DataView(this.bytes.buffer);
  used = 0;
  start = new Int32Array(1024);
  length = new Int32Array(1024);
  hash = new Int32Array(1024);
  column = new Int32Array(1024);
  local = new Int32Array(1024);
  count = 0;
  readonly columnValues: Int32Array[];
  readonly columnCount: Int32Array;
  #table = new Int32Array(1 << 12);
  #slots: number[] = [];

  constructor(width: number) {
    this.columnValues = Array.from({ length: width }, () => new Int32Array(16));
    this.columnCount = new Int32Array(width);
  }

  /** Whether value v is the bytes at [start, start + length) of `view`. */
  same(v: number, view: DataView, start: number, length: number): boolean {
    return this.length[v] === length && sameBytes(this.view, this.start[v]!, view, start, length);
  }

  /** The value's number in the table, or -1; `view` is a DataView over all of the value's buffer. */
  find(k: number, view: DataView, start: number, end: number, h: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const v = table[slot]! - 1;
      if (v < 0) return -1;
      if (this.hash[v] === h && this.column[v] === k && this.same(v, view, start, end - start)) return v;
    }
  }

  add(k: number, buf: Uint8Array, start: number, end: number, h: number): number {
    const v = this.count++;
    if (v === this.start.length) {
      this.start = grown(this.start, v + 1);
      this.length = grown(this.length, v + 1);
      this.hash = grown(this.hash, v + 1);
      this.column = grown(this.column, v + 1);
      this.local = grown(this.local, v + 1);
    }
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      // By half again, not double: an import dictionary's bytes are most of its memory.
      const next = new Uint8Array(Math.max(Math.ceil(this.bytes.length * 1.5), this.used + length));
      next.set(this.bytes.subarray(0, this.used));
      this.bytes = next;
      this.view = new DataView(next.buffer);
    }
    this.bytes.set(buf.subarray(start, end), this.used);
    this.start[v] = this.used;
    this.length[v] = length;
    this.used += length;
    this.hash[v] = h;
    this.column[v] = k;
    const n = this.columnCount[k]!;
    if (n === this.columnValues[k]!.length) this.columnValues[k] = grown(this.columnValues[k]!, n + 1);
    this.columnValues[k]![n] = v;
    this.local[v] = n;
    this.columnCount[k] = n + 1;
    if (this.count * 2 > this.#table.length) this.#rehash();
    else this.#place(v);
    return v;
  }

  /** Takes back the values from `mark` on. */
  truncate(mark: number): void {
    if (mark === this.count) return;
    for (let i = this.#slots.length - 1; i >= 0 && this.#table[this.#slots[i]!]! - 1 >= mark; i--) {
      this.#table[this.#slots[i]!] = 0;
      this.#slots.length = i;
    }
    for (let v = this.count - 1; v >= mark; v--) this.columnCount[this.column[v]!]!--;
    this.used = mark === 0 ? 0 : this.start[mark - 1]! + this.length[mark - 1]!;
    this.count = mark;
  }

  /** Forgets the slots kept for taking values back (the values before now stay for good). */
  settle(): void {
    if (this.#slots.length > 0) this.#slots.length = 0;
  }

  reset(): void {
    this.#table.fill(0);
    this.#slots.length = 0;
    this.count = 0;
    this.used = 0;
    this.columnCount.fill(0);
  }

  value(v: number): Uint8Array {
    return this.bytes.subarray(this.start[v]!, this.start[v]! + this.length[v]!);
  }

  #place(v: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let slot = this.hash[v]! & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = v + 1;
    this.#slots.push(slot);
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2);
    const slots = this.#slots;
    const pending = slots.length;
    this.#slots = [];
    for (let v = 0; v < this.count; v++) this.#place(v);
    // Only the slots of values not yet settled are kept for taking back.
    this.#slots = this.#slots.slice(this.#slots.length - pending);
  }
}

/** One column of an encoded block: how it is kept, its block values (Amount, Block), each line's number. */
interface EncodedColumn {
  mode: Mode;
  values: Uint8Array[];
  ids: Int32Array;
}

const widthFor = (n: number) => (n <= 1 ? 0 : n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4);

function putValue(out: Uint8Array, at: number, value: Uint8Array): number {
  let n = value.length;
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  out.set(value, at);
  return at + value.length;
}

function readValue(blob: Uint8Array, at: number): [Uint8Array, number] {
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = blob[at++]!;
    length |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return [blob.subarray(at, at + length), at + length];
}

function encodeBlock(
  format: LineFormat,
  parser: number,
  seq: number,
  lines: number,
  columns: readonly EncodedColumn[],
  importCounts: ArrayLike<number>,
  into?: Uint8Array,
): Uint8Array {
  const widths = columns.map((c, k) =>
    widthFor(c.mode === Mode.Import ? importCounts[k]! : c.values.length + (c.mode === Mode.Amount ? 1 : 0)),
  );
  let size = 13;
  columns.forEach((c, k) => {
    size += 10 + widths[k]! * lines; // mode, width, a count, padding
    if (c.mode !== Mode.Import) for (const v of c.values) size += 5 + v.length;
  });
  // Into shared memory the caller hands back after use (a parse worker's batches), else a new array.
  const shared = into !== undefined;
  const out =
    into && into.byteOffset === 0 && into.length >= size
      ? into
      : new Uint8Array(shared ? new SharedArrayBuffer(Math.ceil(size * 1.25)) : new ArrayBuffer(size));
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = FORMATS.indexOf(format);
  out[2] = parser;
  view.setUint16(3, columns.length, true);
  view.setUint32(5, lines, true);
  view.setUint32(9, seq, true);
  let at = 13;
  columns.forEach((c, k) => {
    const w = widths[k]!;
    out[at] = c.mode;
    out[at + 1] = w;
    at += 2;
    if (c.mode !== Mode.Import) {
      view.setUint32(at, c.values.length, true);
      at += 4;
      for (const v of c.values) at = putValue(out, at, v);
    }
    if (w === 0) return;
    at = Math.ceil(at / w) * w;
    const ids =
      w === 1
        ? new Uint8Array(out.buffer, at, lines)
        : w === 2
          ? new Uint16Array(out.buffer, at, lines)
          : new Uint32Array(out.buffer, at, lines);
    ids.set(c.ids.subarray(0, lines)); // each number fits the width: set() converts without loss
    at += w * lines;
  });
  // Else a copy of what was written: a view would keep (and a message copy) the whole estimate.
  return shared ? out.subarray(0, at) : out.slice(0, at);
}

/** A block's fields and the import dictionary's part it brings (empty: none). */
export interface EncodedFields {
  readonly fields: Uint8Array;
  readonly delta: Uint8Array;
}

/**
 * Builds the fields of one parser's blocks, line by line, from the bytes of each field. A parse
 * worker calls it for every field of every line, so it makes no string and, for most fields, only
 * compares bytes: with the value the same column had on the last line of the same resource (the
 * file's lines of a resource repeat its URI, names and prices, in whatever order the lines come),
 * then on the previous line; a hash look-up otherwise.
 *
 * A line is written by `line()` and kept by `commit()`; a line not committed (refused later by the
 * importer) is taken back at the next `line()` or `take()`, with the values it alone brought, so a
 * refused line leaves nothing behind.
 */
export class LineFieldsEncoder {
  readonly format: LineFormat;
  readonly #parser: number;
  readonly #width: number;
  readonly #types: readonly ColumnType[];
  readonly #amount: Int8Array;
  readonly #modes: Uint8Array;
  readonly #imports: ValueTable;
  readonly #block: ValueTable;
  /** Per column, the import values it had when the last block was taken (the delta starts there). */
  readonly #taken: Int32Array;
  /** Row-major: the number of line i's value in column k at i * width + k (a line's writes stay together). */
  #ids: Int32Array;
  #capacity = 1024;
  /** take()'s column-major copy of the numbers, kept for the next block. */
  #transposed = new Int32Array(0);
  #lines = 0;
  #seq = 0;
  /**
   * Per resource, per hinted column: its last line's import value + 1 (0: none). Only columns the
   * previous line seldom matches are hinted (chosen from the first block's lines): a file's constant
   * columns need no memory per resource.
   */
  #hints = new Int32Array(0);
  readonly #hintSlot: Int32Array;
  #hinted: number[] = [];
  #hintWidth = 0;
  #hintsChosen = false;
  readonly #lastHits: Int32Array;
  /** The line's import value per column (hinted columns are always import columns). */
  readonly #lineValues: Int32Array;
  readonly #last: Int32Array;
  #resource = -1;
  #usdIsPricing = false;
  #pending = false;
  #importMark = 0;
  #blockMark = 0;
  #scratch = new Uint8Array(256);
  #scratchView = new DataView(this.#scratch.buffer);
  /** An import dictionary passed a bound: columns are demoted when the block is taken. */
  #demote = false;

  readonly #bounds: { readonly values: number; readonly bytes: number };

  /** `bounds`: of the import dictionary, per column and in all (tests make them small). */
  constructor(format: LineFormat, parser = 0, bounds = { values: MAX_IMPORT_VALUES, bytes: MAX_IMPORT_BYTES }) {
    this.format = format;
    this.#bounds = bounds;
    this.#parser = parser;
    const columns = columnsOf(format);
    this.#width = columns.length;
    this.#types = columns.map((c) => c.type);
    this.#amount = Int8Array.from(columns, (c) => c.amount ?? -1);
    this.#modes = Uint8Array.from(columns, (c) => (c.amount === null ? Mode.Import : Mode.Amount));
    this.#imports = new ValueTable(this.#width);
    this.#block = new ValueTable(this.#width);
    this.#taken = new Int32Array(this.#width);
    this.#ids = new Int32Array(this.#width * this.#capacity);
    this.#last = new Int32Array(this.#width).fill(-1);
    this.#hintSlot = new Int32Array(this.#width).fill(-1);
    this.#lastHits = new Int32Array(this.#width);
    this.#lineValues = new Int32Array(this.#width);
  }

  get lines(): number {
    return this.#lines;
  }

  /**
   * Starts a line: the previous one, if not committed, is taken back. `resource`: the line's
   * resource (the importer's index) when known, -1 otherwise; `usdIsPricing`: the line's USD amount
   * is its PricingPreTaxTotal (its pricing currency is USD).
   */
  line(resource: number, usdIsPricing: boolean): void {
    if (this.#pending) this.#rollback();
    this.#pending = true;
    this.#resource = resource;
    this.#usdIsPricing = usdIsPricing;
    this.#importMark = this.#imports.count;
    this.#blockMark = this.#block.count;
    if (this.#lines === this.#capacity) {
      this.#capacity = Math.ceil(this.#capacity * 1.25);
      const ids = new Int32Array(this.#width * this.#capacity);
      ids.set(this.#ids);
      this.#ids = ids;
    }
  }

  /**
   * Sets every column of the line from a scanned record: column k is field `positions[k]` of the
   * record (-1: the file has no such column) at [starts[f], ends[f]) of `buf`, `view` a DataView over
   * all of `buf`. Returns the first column whose value is refused (its reason in `problem`), or -1.
   * Most fields are only compared, four bytes at a time, with the value their column had on the
   * resource's last line or on the previous line; the rest are looked up by their hash.
   */
  encodeLine(
    buf: Uint8Array,
    view: DataView,
    starts: Int32Array,
    ends: Int32Array,
    escaped: Uint8Array,
    positions: Int32Array,
  ): number {
    const w = this.#width;
    const imports = this.#imports;
    const modes = this.#modes;
    const ids = this.#ids;
    const last = this.#last;
    const hints = this.#hints;
    const slots = this.#hintSlot;
    const h = this.#hintWidth;
    const base = this.#lines * this.#width;
    const r = this.#resource;
    const row = r >= 0 && (r + 1) * h <= hints.length ? r * h : -1;
    const counting = !this.#hintsChosen;
    const values = this.#lineValues;
    // The import table's arrays, read here once: they only change when a value is added (#lookUp()).
    let own = imports.view;
    let valueStart = imports.start;
    let valueLength = imports.length;
    let local = imports.local;
    for (let k = 0; k < w; k++) {
      const f = positions[k]!;
      let start = f < 0 ? 0 : starts[f]!;
      let end = f < 0 ? 0 : ends[f]!;
      let bytes = buf;
      let at = view;
      const mode = modes[k]!;
      const quoted = f >= 0 && escaped[f] !== 0;
      if (quoted) {
        // Compared and looked up as the value it stands for: doubled quotes undone (JSON has many).
        end = this.#unescape(buf, start, end);
        start = 0;
        bytes = this.#scratch;
        at = this.#scratchView;
      }
      if (mode === Mode.Import) {
        const length = end - start;
        // A hinted column (one the previous line seldom matches) tries the resource's last value
        // first, then the previous line's; any other column only the previous line's.
        const hint = row >= 0 && slots[k]! >= 0 ? hints[row + slots[k]!]! - 1 : -1;
        const previous = last[k]!;
        let v = hint >= 0 ? hint : previous;
        for (let pass = 0; pass < 2; pass++) {
          if (v >= 0 && valueLength[v] === length && sameBytes(own, valueStart[v]!, at, start, length)) {
            ids[base + k] = local[v]!;
            last[k] = v;
            values[k] = v;
            if (counting && v === previous) this.#lastHits[k]!++;
            break;
          }
          v = pass === 0 && hint >= 0 && hint !== previous ? previous : -1;
          if (v < 0) break;
        }
        if (v >= 0) continue;
      } else if (
        mode === Mode.Amount &&
        (this.#amount[k] !== 2 || this.#usdIsPricing) &&
        !quoted &&
        (start === end || (buf[start] !== 0x20 && buf[end - 1] !== 0x20))
      ) {
        // The amount is the field without surrounding spaces (line-decoder.ts): stored as such, once.
        ids[base + k] = 0;
        continue;
      }
      const problem = this.#lookUp(k, bytes, at, start, end);
      if (problem !== undefined) {
        this.problem = problem;
        return k;
      }
      own = imports.view;
      valueStart = imports.start;
      valueLength = imports.length;
      local = imports.local;
    }
    return -1;
  }

  /** Why encodeLine() refused a value. */
  problem = '';

  /**
   * Fields looked up by their hash so far (the rest matched a value by comparing bytes alone): how
   * tests see that the comparisons find what they should, as a cache's hits are seen.
   */
  lookUps = 0;

  /**
   * Column `k` of the line, when its value is neither the resource's last nor the previous line's
   * (or is an amount whose text differs from the amount): looked up by its hash, added when new.
   * Returns why the value is refused, when it is not its column's type or not UTF-8.
   */
  #lookUp(k: number, buf: Uint8Array, view: DataView, start: number, end: number): string | undefined {
    this.lookUps++;
    const mode = this.#modes[k]!;
    const table = mode === Mode.Import ? this.#imports : this.#block;
    const h = hashOf(k, view, start, end);
    let v = table.find(k, view, start, end, h);
    if (v < 0) {
      const problem = this.#amount[k]! >= 0 ? undefined : typeProblem(this.#types[k]!, buf, start, end);
      if (problem) return problem;
      v = table.add(k, buf, start, end, h);
      if (mode === Mode.Import && (table.columnCount[k]! > this.#bounds.values || table.used > this.#bounds.bytes)) {
        this.#demote = true;
      }
    }
    if (mode === Mode.Import) this.#last[k] = this.#lineValues[k] = v;
    this.#ids[this.#lines * this.#width + k] = table.local[v]! + (mode === Mode.Amount ? 1 : 0);
    return undefined;
  }

  /** Keeps the line, under its resource (the importer's index, known now even for a new one). */
  commit(resource: number): void {
    this.#pending = false;
    this.#imports.settle();
    this.#block.settle();
    const h = this.#hintWidth;
    if (resource >= 0 && h > 0) {
      if ((resource + 1) * h > this.#hints.length) {
        const hints = new Int32Array(Math.ceil((resource + 1) * 1.5) * h);
        hints.set(this.#hints);
        this.#hints = hints;
      }
      const row = resource * h;
      const hints = this.#hints;
      const values = this.#lineValues;
      const hinted = this.#hinted;
      for (let j = 0; j < hinted.length; j++) hints[row + j] = values[hinted[j]!]! + 1;
    }
    this.#lines++;
  }

  /**
   * The block's fields and the import dictionary's new part; the encoder starts a new block. The
   * fields are written into `into` (shared memory) when it is large enough, else into new shared memory.
   */
  take(into?: Uint8Array): EncodedFields {
    if (this.#pending) this.#rollback();
    const w = this.#width;
    const imports = this.#imports;
    const columns: EncodedColumn[] = [];
    const delta: Uint8Array[][] = [];
    let any = false;
    // The lines' numbers column by column, read in the order they were written (line by line).
    const lines = this.#lines;
    if (this.#transposed.length < lines * w) this.#transposed = new Int32Array(this.#ids.length);
    const transposed = this.#transposed;
    const all = this.#ids;
    // In tiles of 64 lines, whose numbers (64 × the columns) stay in the first-level cache.
    for (let tile = 0; tile < lines; tile += 64) {
      const end = Math.min(lines, tile + 64);
      for (let k = 0; k < w; k++) {
        for (let i = tile, to = k * lines + tile, at = tile * w + k; i < end; i++, to++, at += w)
          transposed[to] = all[at]!;
      }
    }
    for (let k = 0; k < w; k++) {
      const mode = this.#modes[k]! as Mode;
      const values: Uint8Array[] = [];
      if (mode !== Mode.Import) {
        const list = this.#block.columnValues[k]!;
        for (let j = 0; j < this.#block.columnCount[k]!; j++) values.push(this.#block.value(list[j]!));
      }
      columns.push({ mode, values, ids: transposed.subarray(k * lines, (k + 1) * lines) });
      const added: Uint8Array[] = [];
      const list = imports.columnValues[k]!;
      for (let j = this.#taken[k]!; j < imports.columnCount[k]!; j++) added.push(imports.value(list[j]!));
      if (added.length > 0) any = true;
      delta.push(added);
      this.#taken[k] = imports.columnCount[k]!;
    }
    const seq = any ? ++this.#seq : this.#seq;
    if (!this.#hintsChosen && this.#lines > 0) {
      this.#hintsChosen = true;
      for (let k = 0; k < w; k++) {
        if (this.#modes[k] === Mode.Import && this.#lastHits[k]! < 0.9 * this.#lines) {
          this.#hintSlot[k] = this.#hinted.length;
          this.#hinted.push(k);
        }
      }
      this.#hintWidth = this.#hinted.length;
    }
    const fields = encodeBlock(this.format, this.#parser, seq, this.#lines, columns, imports.columnCount, into);
    this.#lines = 0;
    this.#block.reset();
    this.#last.fill(-1);
    if (this.#demote) {
      // Past its bounds a column's import dictionary stops growing: its later values are the blocks' own.
      for (let k = 0; k < w; k++) {
        if (
          this.#modes[k] === Mode.Import &&
          (imports.columnCount[k]! > this.#bounds.values || imports.used > this.#bounds.bytes)
        ) {
          this.#modes[k] = Mode.Block;
        }
      }
      // Hints are of import values only: the demoted columns leave them (the rows are laid out anew).
      this.#hinted = this.#hinted.filter((k) => this.#modes[k] === Mode.Import);
      this.#hintSlot.fill(-1);
      this.#hinted.forEach((k, j) => (this.#hintSlot[k] = j));
      this.#hintWidth = this.#hinted.length;
      this.#hints = new Int32Array(0);
      this.#demote = false;
    }
    return { fields, delta: any ? encodeDelta(delta) : new Uint8Array(0) };
  }

  #rollback(): void {
    this.#imports.truncate(this.#importMark);
    this.#block.truncate(this.#blockMark);
    this.#imports.settle();
    this.#block.settle();
    this.#last.fill(-1);
    this.#pending = false;
  }

  /** Writes the field's bytes with doubled quotes undone into #scratch; returns their length there. */
  #unescape(buf: Uint8Array, start: number, end: number): number {
    if (this.#scratch.length < end - start) {
      this.#scratch = new Uint8Array(2 * (end - start));
      this.#scratchView = new DataView(this.#scratch.buffer);
    }
    const out = this.#scratch;
    let n = 0;
    for (let i = start; i < end; i++) {
      out[n++] = buf[i]!;
      if (buf[i] === 0x22 && buf[i + 1] === 0x22) i++;
    }
    return n;
  }
}

function encodeDelta(columns: readonly Uint8Array[][]): Uint8Array {
  let size = 0;
  for (const c of columns) for (const v of c) size += 5 + v.length;
  const out = new Uint8Array(size + 4 * columns.length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const c of columns) {
    view.setUint32(at, c.length, true);
    at += 4;
    for (const v of c) at = putValue(out, at, v);
  }
  return out.slice(0, at);
}

const utf8 = new TextDecoder();

/** An import dictionary (one parser's), built from its parts in order. */
export class LineDictionary {
  readonly #values: string[][] = [];
  /** The parts applied so far. */
  seq = 0;

  /** Adds the next part. */
  apply(delta: Uint8Array): void {
    const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
    let at = 0;
    for (let k = 0; at < delta.length; k++) {
      const n = view.getUint32(at, true);
      at += 4;
      const values = (this.#values[k] ??= []);
      for (let j = 0; j < n; j++) {
        let value: Uint8Array;
        [value, at] = readValue(delta, at);
        values.push(utf8.decode(value));
      }
    }
    this.seq++;
  }

  value(k: number, id: number): string {
    return this.#values[k]?.[id] ?? '';
  }
}

/** Where a block's fields stand: its parser and the import dictionary's part it needs. */
export function fieldsHeader(blob: Uint8Array): { parser: number; seq: number } {
  if (blob[0] !== VERSION) throw new Error(`line fields of version ${blob[0]} are not known to this version`);
  return { parser: blob[2]!, seq: new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(9, true) };
}

type Ids = Uint8Array | Uint16Array | Uint32Array | null;

/** A block's fields, decoded: each value a string once, looked up per line. */
export class LineFields {
  readonly format: LineFormat;
  readonly columns: readonly LineColumn[];
  readonly count: number;
  readonly parser: number;
  readonly #modes: Uint8Array;
  readonly #values: string[][];
  readonly #ids: Ids[];
  readonly #amount: Int8Array;
  readonly #dictionary: LineDictionary | undefined;
  readonly #amounts: readonly string[];
  readonly #index: Map<LineColumn, number>;

  /**
   * `amounts`: the block's amounts, three a line (line-batch.ts); `dictionary`: its import
   * dictionary, with at least the parts the block needs.
   */
  constructor(blob: Uint8Array, amounts: readonly string[], dictionary?: LineDictionary) {
    const { parser, seq } = fieldsHeader(blob);
    if (dictionary && dictionary.seq < seq) throw new Error(`the block needs part ${seq} of its dictionary`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    this.format = FORMATS[blob[1]!]!;
    this.parser = parser;
    this.columns = columnsOf(this.format);
    this.count = view.getUint32(5, true);
    this.#dictionary = dictionary;
    this.#amounts = amounts;
    this.#amount = Int8Array.from(this.columns, (c) => c.amount ?? -1);
    const width = view.getUint16(3, true);
    this.#modes = new Uint8Array(width);
    this.#values = [];
    this.#ids = [];
    let at = 13;
    for (let k = 0; k < width; k++) {
      const mode = blob[at]!;
      const w = blob[at + 1]!;
      at += 2;
      this.#modes[k] = mode;
      const values: string[] = [];
      if (mode !== Mode.Import) {
        const n = view.getUint32(at, true);
        at += 4;
        for (let j = 0; j < n; j++) {
          let value: Uint8Array;
          [value, at] = readValue(blob, at);
          values.push(utf8.decode(value));
        }
      }
      this.#values.push(values);
      if (w === 0) {
        this.#ids.push(null);
        continue;
      }
      at = Math.ceil(at / w) * w;
      // A copy, so the typed array is aligned whatever the blob's own offset.
      const ids = new Uint8Array(blob.subarray(at, at + w * this.count)).buffer;
      this.#ids.push(w === 1 ? new Uint8Array(ids) : w === 2 ? new Uint16Array(ids) : new Uint32Array(ids));
      at += w * this.count;
    }
    this.#index = new Map(this.columns.map((c, k) => [c, k]));
  }

  /** Line i's value in column k of the block's layout. */
  at(i: number, k: number): string {
    const ids = this.#ids[k];
    const id = ids ? ids[i]! : 0;
    switch (this.#modes[k]) {
      case Mode.Import:
        return this.#dictionary?.value(k, id) ?? '';
      case Mode.Amount:
        return id === 0 ? this.#amounts[3 * i + this.#amount[k]!]! : this.#values[k]![id - 1]!;
      default:
        return this.#values[k]![id] ?? '';
    }
  }

  /** Line i's value of `column`; '' where the block's layout has no such column. */
  get(i: number, column: LineColumn): string {
    const k = this.#index.get(column);
    return k === undefined ? '' : this.at(i, k);
  }

  /** The fields of lines `pick`, for a block of only those lines (their amounts picked alike). */
  pick(pick: readonly number[], blob: Uint8Array): Uint8Array {
    const { seq } = fieldsHeader(blob);
    const encoder = new TextEncoder();
    const columns = this.#modes.reduce<EncodedColumn[]>((list, mode, k) => {
      const ids = this.#ids[k];
      const idOf = (i: number) => (ids ? ids[i]! : 0);
      if (mode === Mode.Import) list.push({ mode: Mode.Import, values: [], ids: Int32Array.from(pick, idOf) });
      else {
        // The block's own values the picked lines use, numbered again.
        const renumber = new Map<number, number>();
        const values: Uint8Array[] = [];
        const base = mode === Mode.Amount ? 1 : 0;
        const picked = pick.map((i) => {
          const id = idOf(i);
          if (id < base) return id;
          let n = renumber.get(id);
          if (n === undefined) {
            renumber.set(id, (n = values.length + base));
            values.push(encoder.encode(this.#values[k]![id - base]!));
          }
          return n;
        });
        list.push({ mode: mode as Mode, values, ids: Int32Array.from(picked) });
      }
      return list;
    }, []);
    const importWidths = this.#ids.map((ids, k) =>
      this.#modes[k] === Mode.Import && ids ? 2 ** (8 * ids.BYTES_PER_ELEMENT) : 1,
    );
    return encodeBlock(this.format, this.parser, seq, pick.length, columns, importWidths);
  }
}
