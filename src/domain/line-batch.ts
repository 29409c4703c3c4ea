import type { DimensionInfo } from './usage-model.js';

/**
 * Parsed line items in columns, with the dimension entries first seen in them. Dimension
 * references are indexes local to one import (the order entries were first seen); storage maps
 * them to its keys. Plain arrays and typed arrays only, so a batch can cross a worker boundary.
 */
export interface LineBatch {
  /** With the line each was first seen on (a file holds one partner: see the importer). */
  readonly partners: (DimensionInfo['partner'] & { readonly line: number })[];
  readonly customers: DimensionInfo['customer'][];
  readonly subscriptions: DimensionInfo['subscription'][];
  readonly entitlements: DimensionInfo['entitlement'][];
  readonly meters: DimensionInfo['meter'][];
  readonly resources: DimensionInfo['resource'][];
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
  /** Every column of the lines as the file wrote them (line-fields.ts); set when the batch is taken. */
  fields: Uint8Array;
  /** The values of the parser's import dictionary first seen in this batch (line-fields.ts); may be empty. */
  fieldsDelta: Uint8Array;
  /** Where `fields` is written: shared memory, handed back with the batch's other buffers. */
  fieldsSpace: Uint8Array;
}

export const BATCH_LINES = 8192;

const NO_FIELDS = new Uint8Array(0);

/** The amounts a line carries, in this order: quantity, pre-tax total in the billing currency, in USD. */
export const AMOUNTS = 3;

/** The amounts of a per-day sum: billing and USD (a quantity summed across meters means nothing). */
export const DAY_AMOUNTS = 2;

// Room for the lines of the chunk that fills a batch (posted after that chunk), so it need not grow.
const CAPACITY = BATCH_LINES + BATCH_LINES / 4;

/**
 * Batches live in SharedArrayBuffers: a worker posts a batch and the importer hands its buffers
 * back when written, with no copy and no transfer. Transferring (like growing WebAssembly
 * memory) detaches an ArrayBuffer, after which V8 checks for detachment on every typed-array
 * access in that thread: measured 11–17% slower parsing for the rest of the import.
 */
const shared = <T>(make: (buffer: SharedArrayBuffer) => T, bytes: number): T => make(new SharedArrayBuffer(bytes));

/**
 * An empty batch: over `recycled`, the buffers of a batch the importer has written and handed
 * back (bufferOf() order), or over new ones. Reusing them keeps a worker from allocating ~1 MB a
 * batch, which was measured to keep the garbage collector's threads busy.
 */
export function newLineBatch(recycled?: readonly ArrayBufferLike[]): LineBatch {
  const [line, resource, meter, period, day, identity, amountEnds, amounts, fieldsSpace] = recycled ?? [];
  const int32s = (buffer: ArrayBufferLike | undefined) =>
    buffer ? new Int32Array(buffer) : shared((b) => new Int32Array(b), CAPACITY * 4);
  // One object literal, no spread: an object made by spreading got a new hidden class each time,
  // which deoptimized the parser's compiled code at every batch (seen with --trace-deopt).
  return {
    partners: [],
    customers: [],
    subscriptions: [],
    entitlements: [],
    meters: [],
    resources: [],
    periods: [],
    count: 0,
    line: int32s(line),
    resource: int32s(resource),
    meter: int32s(meter),
    period: int32s(period),
    day: int32s(day),
    identity: identity ? new BigInt64Array(identity) : shared((b) => new BigInt64Array(b), CAPACITY * 8),
    amounts: amounts ? new Uint8Array(amounts) : shared((b) => new Uint8Array(b), CAPACITY * 48),
    amountsLength: 0,
    amountEnds: int32s(amountEnds),
    fields: NO_FIELDS,
    fieldsDelta: NO_FIELDS,
    fieldsSpace: fieldsSpace ? new Uint8Array(fieldsSpace) : NO_FIELDS,
  };
}

/** A copy of `batch` with room for twice as many lines. */
export function growLineBatch(batch: LineBatch): LineBatch {
  const capacity = batch.line.length * 2;
  const grown = newLineBatch([
    ...[batch.line, batch.resource, batch.meter, batch.period, batch.day].map(
      () => new SharedArrayBuffer(capacity * 4),
    ),
    new SharedArrayBuffer(capacity * 8),
    new SharedArrayBuffer(capacity * 4),
    batch.amounts.buffer,
  ]);
  for (const key of ['line', 'resource', 'meter', 'period', 'day', 'identity', 'amountEnds'] as const) {
    (grown[key] as Int32Array | BigInt64Array).set(batch[key] as never);
  }
  for (const key of [
    'partners',
    'customers',
    'subscriptions',
    'entitlements',
    'meters',
    'resources',
    'periods',
  ] as const) {
    (grown[key] as unknown[]).push(...batch[key]);
  }
  grown.count = batch.count;
  grown.amountsLength = batch.amountsLength;
  return grown;
}

/** Appends ASCII text (a decimal) and a comma to the batch's amounts. */
export function appendAmount(batch: LineBatch, bytes: Uint8Array, start: number, end: number): void {
  const need = batch.amountsLength + (end - start) + 1;
  if (need > batch.amounts.length) {
    const next = shared((b) => new Uint8Array(b), Math.max(need, batch.amounts.length * 2));
    next.set(batch.amounts.subarray(0, batch.amountsLength));
    batch.amounts = next;
  }
  const amounts = batch.amounts;
  let at = batch.amountsLength;
  for (let i = start; i < end; i++) amounts[at++] = bytes[i]!;
  amounts[at++] = 0x2c;
  batch.amountsLength = at;
}

/** The buffers of a batch, for the importer to hand back to its worker (newLineBatch). */
export function bufferOf(batch: LineBatch): ArrayBufferLike[] {
  return [
    batch.line,
    batch.resource,
    batch.meter,
    batch.period,
    batch.day,
    batch.identity,
    batch.amountEnds,
    batch.amounts,
    batch.fieldsSpace,
  ].map((a) => a.buffer);
}

/** The amounts of lines [from, to) of a batch, as bytes. */
export function amountsOf(batch: LineBatch, from: number, to: number): Buffer {
  const start = from === 0 ? 0 : batch.amountEnds[from - 1]!;
  const end = to === 0 ? 0 : batch.amountEnds[to - 1]!;
  return Buffer.from(batch.amounts.buffer, batch.amounts.byteOffset + start, end - start);
}
