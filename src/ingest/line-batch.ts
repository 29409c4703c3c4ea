import type {
  CustomerInfo,
  EntitlementInfo,
  MeterInfo,
  PartnerInfo,
  ResourceInfo,
  SubscriptionInfo,
} from '../domain/usage-model.js';

/**
 * Parsed line items in columns, with the dimension entries first seen in them. Dimension
 * references are indexes local to one import (the order entries were first seen); storage maps
 * them to its keys. Plain arrays and typed arrays only, so a batch can cross a worker boundary.
 */
export interface LineBatch {
  readonly partners: PartnerInfo[];
  readonly customers: CustomerInfo[];
  readonly subscriptions: SubscriptionInfo[];
  readonly entitlements: EntitlementInfo[];
  readonly meters: MeterInfo[];
  readonly resources: ResourceInfo[];
  /** `YYYY-MM` values first seen in this batch. */
  readonly periods: string[];
  count: number;
  /** Physical line number in the file, for messages. */
  readonly line: Int32Array;
  readonly resource: Int32Array;
  readonly meter: Int32Array;
  readonly period: Int32Array;
  /** The usage day as yyyymmdd. */
  readonly day: Int32Array;
  /** The line identity's 64-bit hash (see line-identity.ts). */
  readonly identity: BigInt64Array;
  /**
   * The lines' amounts as ASCII decimal text, three a line, each followed by a comma: quantity,
   * pre-tax total in the billing currency, pre-tax total in USD. Bytes, not strings: they go from
   * the file to the database without a string made for each (docs/ingest.md).
   */
  amounts: Uint8Array;
  amountsLength: number;
  /** Per line, where its amounts end in `amounts`. */
  readonly amountEnds: Int32Array;
}

export const BATCH_LINES = 8192;

/** The amounts a line carries, in this order: quantity, pre-tax total in the billing currency, in USD. */
export const AMOUNTS = 3;

// Room for the lines of the chunk that fills a batch (posted after that chunk), so it need not grow.
const CAPACITY = BATCH_LINES + BATCH_LINES / 4;

/**
 * An empty batch: over `recycled`, the buffers of a batch the importer has written and sent back
 * (transferables() order), or over new ones. Reusing them keeps a worker from allocating ~1 MB a
 * batch, which was measured to keep the garbage collector's threads busy.
 */
export function newLineBatch(recycled?: readonly ArrayBuffer[]): LineBatch {
  if (recycled) {
    const [line, resource, meter, period, day, identity, amountEnds, amounts] = recycled as ArrayBuffer[];
    return {
      ...emptyEntries(),
      count: 0,
      line: new Int32Array(line!),
      resource: new Int32Array(resource!),
      meter: new Int32Array(meter!),
      period: new Int32Array(period!),
      day: new Int32Array(day!),
      identity: new BigInt64Array(identity!),
      amounts: new Uint8Array(amounts!),
      amountsLength: 0,
      amountEnds: new Int32Array(amountEnds!),
    };
  }
  const capacity = CAPACITY;
  return {
    ...emptyEntries(),
    count: 0,
    line: new Int32Array(capacity),
    resource: new Int32Array(capacity),
    meter: new Int32Array(capacity),
    period: new Int32Array(capacity),
    day: new Int32Array(capacity),
    identity: new BigInt64Array(capacity),
    amounts: new Uint8Array(capacity * 48),
    amountsLength: 0,
    amountEnds: new Int32Array(capacity),
  };
}

function emptyEntries() {
  return {
    partners: [],
    customers: [],
    subscriptions: [],
    entitlements: [],
    meters: [],
    resources: [],
    periods: [],
  } satisfies Partial<LineBatch>;
}

/** A copy of `batch` with room for twice as many lines. */
export function growLineBatch(batch: LineBatch): LineBatch {
  const capacity = batch.line.length * 2;
  const grow = <T extends Int32Array | BigInt64Array>(a: T, make: (n: number) => T): T => {
    const next = make(capacity);
    next.set(a as never);
    return next;
  };
  return {
    ...batch,
    line: grow(batch.line, (n) => new Int32Array(n)),
    resource: grow(batch.resource, (n) => new Int32Array(n)),
    meter: grow(batch.meter, (n) => new Int32Array(n)),
    period: grow(batch.period, (n) => new Int32Array(n)),
    day: grow(batch.day, (n) => new Int32Array(n)),
    identity: grow(batch.identity, (n) => new BigInt64Array(n)),
    amountEnds: grow(batch.amountEnds, (n) => new Int32Array(n)),
  };
}

/** Appends ASCII text (a decimal) and a comma to the batch's amounts. */
export function appendAmount(batch: LineBatch, bytes: Uint8Array, start: number, end: number): void {
  const need = batch.amountsLength + (end - start) + 1;
  if (need > batch.amounts.length) {
    const next = new Uint8Array(Math.max(need, batch.amounts.length * 2));
    next.set(batch.amounts.subarray(0, batch.amountsLength));
    batch.amounts = next;
  }
  const amounts = batch.amounts;
  let at = batch.amountsLength;
  for (let i = start; i < end; i++) amounts[at++] = bytes[i]!;
  amounts[at++] = 0x2c;
  batch.amountsLength = at;
}

/** The typed arrays of a batch, to transfer rather than copy. */
export function transferables(batch: LineBatch): ArrayBuffer[] {
  return [
    batch.line,
    batch.resource,
    batch.meter,
    batch.period,
    batch.day,
    batch.identity,
    batch.amountEnds,
    batch.amounts,
  ].map((a) => a.buffer as ArrayBuffer);
}

/** The amounts of lines [from, to) of a batch, as bytes. */
export function amountsOf(batch: LineBatch, from: number, to: number): Buffer {
  const start = from === 0 ? 0 : batch.amountEnds[from - 1]!;
  const end = to === 0 ? 0 : batch.amountEnds[to - 1]!;
  return Buffer.from(batch.amounts.buffer, batch.amounts.byteOffset + start, end - start);
}
