import { FRAC_DIGITS } from './decimal-bytes.js';
import type { Decimal } from './decimal.js';
import { addFastParts, ExactSum } from './exact-sum.js';

const FRAC_ONE = 10n ** BigInt(FRAC_DIGITS);

const KEY = 3;

function hashKey(a: number, b: number, c: number): number {
  const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35);
  return h ^ (h >>> 15);
}

/**
 * Exact sums in rows keyed by three integers (a resource, a meter, a period; a customer, 0, 0…),
 * each row holding `width` amounts, in typed arrays: [whole, frac × 10^15] per amount, exact
 * while wholes stay below 2^52 (as in exact-sum.ts); a row that leaves that range moves to
 * ExactSums. An import sums tens of thousands of groups: as objects holding ExactSums they were
 * measured to spend most of their time in the garbage collector, which a few arrays avoid.
 */
export interface ExportedSums {
  readonly rows: number;
  readonly keys: Int32Array;
  readonly parts: Float64Array;
  /** Rows outside the fast form, as decimal text per amount. */
  readonly slow: { readonly row: number; readonly text: string[] }[];
}

export class SumTable {
  readonly width: number;
  #keys = new Int32Array(KEY * 1024);
  #slots = new Int32Array(2048); // row + 1; 0 = empty; at most half full
  #parts: Float64Array;
  #slow = new Map<number, ExactSum[]>();
  #isSlow = new Uint8Array(1024);
  #rows = 0;
  // The last row found: lines of one group often follow each other.
  #last = -1;

  constructor(width: number) {
    this.width = width;
    this.#parts = new Float64Array(1024 * 2 * width);
  }

  get rows(): number {
    return this.#rows;
  }

  /** Rows summed outside the fast form (exactly, as objects on the heap). */
  get slowRows(): number {
    return this.#slow.size;
  }

  /** Key i (0–2) of a row. */
  key(row: number, i: number): number {
    return this.#keys[KEY * row + i]!;
  }

  /** The row of (a, b, c), added when new. */
  row(a: number, b: number, c = 0): number {
    const keys = this.#keys;
    const last = this.#last;
    if (last >= 0 && keys[KEY * last] === a && keys[KEY * last + 1] === b && keys[KEY * last + 2] === c) return last;
    const mask = this.#slots.length - 1;
    for (let i = hashKey(a, b, c) & mask; ; i = (i + 1) & mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) {
        this.#last = this.#add(a, b, c, i);
        return this.#last;
      }
      const r = slot - 1;
      if (keys[KEY * r] === a && keys[KEY * r + 1] === b && keys[KEY * r + 2] === c) {
        this.#last = r;
        return r;
      }
    }
  }

  /**
   * Adds `parts[at] + parts[at + 1] / 10^15` (integers of one sign, as readDecimal writes them)
   * to amount k of a row. Read from an array: doubles passed as arguments would be boxed.
   */
  add(row: number, k: number, parts: Float64Array, at: number): void {
    if (this.#isSlow[row]) {
      this.#slow.get(row)![k]!.addParts(parts[at]!, parts[at + 1]!);
      return;
    }
    if (!addFastParts(this.#parts, 2 * (row * this.width + k), parts[at]!, parts[at + 1]!)) this.#toSlow(row);
  }

  /** Adds decimal text (any decimal, e.g. with an exponent) to amount k of a row. */
  addText(row: number, k: number, text: string): void {
    (this.#isSlow[row] ? this.#slow.get(row)! : this.#toSlow(row))[k]!.add(text);
  }

  /** Adds amount `fromK` of another table's row to amount k of a row. */
  addFrom(row: number, k: number, from: SumTable, fromRow: number, fromK: number): void {
    if (from.#isSlow[fromRow]) this.addText(row, k, from.#slow.get(fromRow)![fromK]!.toText());
    else this.add(row, k, from.#parts, 2 * (fromRow * from.width + fromK));
  }

  /** Amount k of a row as exact decimal text ("12.5", "-0.003", "0"). */
  text(row: number, k: number): string {
    if (this.#isSlow[row]) return this.#slow.get(row)![k]!.toText();
    const i = 2 * (row * this.width + k);
    return ExactSum.format(this.#parts[i]!, this.#parts[i + 1]!);
  }

  /**
   * Amount k of a row as an exact decimal: what text() says, without writing its digits (for a
   * reader that computes with it: the anomaly rule, docs/benchmarks.md).
   */
  decimal(row: number, k: number): Decimal {
    if (this.#isSlow[row]) return this.#slow.get(row)![k]!.toDecimal();
    const i = 2 * (row * this.width + k);
    return { units: BigInt(this.#parts[i]!) * FRAC_ONE + BigInt(this.#parts[i + 1]!), scale: FRAC_DIGITS };
  }

  /** The rows in a form to post to another thread: keys, parts, and the rows held as text. */
  export(): ExportedSums {
    const n = this.#rows;
    return {
      rows: n,
      keys: this.#keys.slice(0, KEY * n),
      parts: this.#parts.slice(0, 2 * this.width * n),
      slow: [...this.#slow].map(([row, sums]) => ({ row, text: sums.map((s) => s.toText()) })),
    };
  }

  #toSlow(row: number): ExactSum[] {
    const sums = Array.from({ length: this.width }, (_, k) => {
      const sum = new ExactSum();
      const i = 2 * (row * this.width + k);
      sum.addParts(this.#parts[i]!, this.#parts[i + 1]!);
      return sum;
    });
    this.#slow.set(row, sums);
    this.#isSlow[row] = 1;
    return sums;
  }

  #add(a: number, b: number, c: number, slot: number): number {
    const row = this.#rows++;
    if (row === this.#isSlow.length) this.#grow();
    this.#keys[KEY * row] = a;
    this.#keys[KEY * row + 1] = b;
    this.#keys[KEY * row + 2] = c;
    this.#slots[slot] = row + 1;
    if (this.#rows * 2 > this.#slots.length) this.#rehash();
    return row;
  }

  #grow(): void {
    const capacity = this.#isSlow.length * 2;
    const keys = new Int32Array(KEY * capacity);
    keys.set(this.#keys);
    this.#keys = keys;
    const parts = new Float64Array(2 * this.width * capacity);
    parts.set(this.#parts);
    this.#parts = parts;
    const isSlow = new Uint8Array(capacity);
    isSlow.set(this.#isSlow);
    this.#isSlow = isSlow;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    const keys = this.#keys;
    for (let r = 0; r < this.#rows; r++) {
      let i = hashKey(keys[KEY * r]!, keys[KEY * r + 1]!, keys[KEY * r + 2]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = r + 1;
    }
    this.#slots = slots;
  }
}
