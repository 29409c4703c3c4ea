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
  readonly quantity: string[];
  /** Pre-tax total in the customer's billing currency. */
  readonly billing: string[];
  /** Pre-tax total in USD. */
  readonly usd: string[];
}

export const BATCH_LINES = 8192;

export function newLineBatch(capacity = BATCH_LINES): LineBatch {
  return {
    partners: [],
    customers: [],
    subscriptions: [],
    entitlements: [],
    meters: [],
    resources: [],
    periods: [],
    count: 0,
    line: new Int32Array(capacity),
    resource: new Int32Array(capacity),
    meter: new Int32Array(capacity),
    period: new Int32Array(capacity),
    day: new Int32Array(capacity),
    identity: new BigInt64Array(capacity),
    quantity: [],
    billing: [],
    usd: [],
  };
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
  };
}

/** A batch as it crosses to storage: money columns joined by commas (one string, not thousands). */
export type PackedBatch = Omit<LineBatch, 'quantity' | 'billing' | 'usd'> & {
  readonly quantity: string;
  readonly billing: string;
  readonly usd: string;
};

export function packBatch(batch: LineBatch): PackedBatch {
  return { ...batch, quantity: batch.quantity.join(','), billing: batch.billing.join(','), usd: batch.usd.join(',') };
}

/** The typed arrays of a batch, to transfer rather than copy. */
export function transferables(batch: LineBatch | PackedBatch): ArrayBuffer[] {
  return [batch.line, batch.resource, batch.meter, batch.period, batch.day, batch.identity].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
