import { DecimalRead, readDecimal } from '../money/decimal-bytes.js';
import { SumTable } from '../money/sum-table.js';
import type { MeterInfoRow, ResourceInfoRow, UsageLines } from '../domain/usage-rows.js';

const COMMA = 0x2c;

/** One stored line block's columns, as both dialects read them. */
export interface BlockColumns {
  readonly count: number;
  readonly resources: Uint8Array;
  readonly meters: Uint8Array;
  readonly days: Uint8Array;
  readonly amounts: Uint8Array;
  readonly replaced: Uint8Array | null;
}

export function int32s(blob: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(blob.subarray(0, count * 4));
  return out;
}

export const isReplaced = (bitmap: Uint8Array | null, i: number): boolean =>
  bitmap !== null && (bitmap[i >>> 3]! & (1 << (i & 7))) !== 0;

/** Each of a line's amounts (quantity, billing, USD) summed into this column of the table, or −1: not summed. */
export type AmountColumns = readonly [number, number, number];
const ALL_AMOUNTS: AmountColumns = [0, 1, 2];

/**
 * Adds a block's lines that are not replaced to `sums`, at the row `rowOf` names (−1: the line is
 * skipped). Amounts are read from the block's text without making strings where they fit the
 * fast path (decimal-bytes.ts).
 */
export function sumBlock(
  block: BlockColumns,
  sums: SumTable,
  columns: AmountColumns,
  rowOf: (resource: number, meter: number, day: number) => number,
): void {
  const resources = int32s(block.resources, block.count);
  const meters = int32s(block.meters, block.count);
  const days = int32s(block.days, block.count);
  const bytes = block.amounts;
  const parts = new Float64Array(2);
  let at = 0; // each line's three amounts are "q,b,u," in order
  for (let i = 0; i < block.count; i++) {
    const row = isReplaced(block.replaced, i) ? -1 : rowOf(resources[i]!, meters[i]!, days[i]!);
    for (let k = 0; k < 3; k++) {
      const end = bytes.indexOf(COMMA, at);
      const column = columns[k]!;
      if (row >= 0 && column >= 0) {
        if (readDecimal(bytes, at, end, parts, 0) === DecimalRead.Fast) sums.add(row, column, parts, 0);
        else sums.addText(row, column, Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString('latin1'));
      }
      at = end + 1;
    }
  }
}

/**
 * A subscription's lines summed per (resource, meter, day), in (day, resource, meter) order:
 * what utilization pages through. Sums are a SumTable (typed arrays, exact), so a subscription
 * with a million lines costs tens of MB, not a million objects.
 */
export class SummedLines implements UsageLines {
  readonly #sums = new SumTable(3);
  #order = new Int32Array(0);
  resource = new Int32Array(0);
  meter = new Int32Array(0);
  day = new Int32Array(0);

  constructor(
    readonly resources: ReadonlyMap<number, ResourceInfoRow>,
    readonly meters: ReadonlyMap<number, MeterInfoRow>,
  ) {}

  /** Adds a block's lines of the subscription's resources. */
  add(block: BlockColumns): void {
    sumBlock(block, this.#sums, ALL_AMOUNTS, (resource, meter, day) =>
      this.resources.has(resource) ? this.#sums.row(resource, meter, day) : -1,
    );
  }

  /** Orders the groups; called once, after the last add. */
  finish(): this {
    const sums = this.#sums;
    const n = sums.rows;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort(
      (a, b) => sums.key(a, 2) - sums.key(b, 2) || sums.key(a, 0) - sums.key(b, 0) || sums.key(a, 1) - sums.key(b, 1),
    );
    this.#order = order;
    this.resource = Int32Array.from(order, (r) => sums.key(r, 0));
    this.meter = Int32Array.from(order, (r) => sums.key(r, 1));
    this.day = Int32Array.from(order, (r) => sums.key(r, 2));
    return this;
  }

  get count(): number {
    return this.#order.length;
  }

  amount(i: number, k: number): string {
    return this.#sums.text(this.#order[i]!, k);
  }

  get bytes(): number {
    // keys 12 B, sums 48 B, order and copies 16 B a group, and the dimension text.
    return this.count * 76 + (this.resources.size + this.meters.size) * 200;
  }
}
