import xxhash from 'xxhash-wasm';
import type { ScannedRecord } from './csv-scanner.js';

/**
 * A line's identity: what was consumed, by whom, where and when — not what it cost. Two lines
 * with the same identity in two imports are the same line (a newer download replaces the older
 * one's values); two lines with the same identity in one file are told apart by their ordinal
 * (the first, second, … such line in that file). See docs/ingest.md.
 *
 * The identity is stored as a 64-bit xxHash of the identity columns' exact bytes, separated so
 * that no two column lists hash alike by shifting a boundary. Within one partner and billing
 * period a collision of two different lines has a probability of about n²/2^65 (3·10⁻⁶ at 10M
 * lines a month).
 */
export const DAILY_RATED_IDENTITY = [
  'PartnerId',
  'CustomerId',
  'SubscriptionId',
  'EntitlementId',
  'ProductId',
  'SkuId',
  'AvailabilityId',
  'MeterId',
  'ResourceURI',
  'UsageDate',
  'ChargeType',
  'BenefitOrderId',
  'BenefitId',
  'BenefitType',
  'CreditType',
] as const;

export const LEGACY_IDENTITY = [
  'PartnerId',
  'CustomerId',
  'SubscriptionId',
  'ResourceGuid',
  'UsageDate',
  'ChargeType',
  'MeteredRegion',
  'MeteredService',
  'MeteredServiceType',
  'Project',
  'ServiceInfo',
  'Sku',
] as const;

const SEPARATOR = 0x1f; // ASCII unit separator; never part of a field's bytes we hash raw

let hasher: ((input: Uint8Array) => bigint) | undefined;

/** Loads the hash function (WebAssembly) once per thread. */
export async function loadIdentityHasher(): Promise<void> {
  if (hasher) return;
  const api = await xxhash();
  hasher = (input) => api.h64Raw(input);
}

export class LineIdentity {
  readonly #columns: Int32Array;
  #scratch: Buffer = Buffer.alloc(4096);

  /** `columns`: the file positions of the identity columns (-1 for an absent column). */
  constructor(columns: readonly number[]) {
    if (!hasher) throw new Error('loadIdentityHasher() must run first');
    this.#columns = Int32Array.from(columns);
  }

  of(rec: ScannedRecord): bigint {
    const { buf, starts, ends } = rec;
    const columns = this.#columns;
    let scratch = this.#scratch;
    let len = 0;
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      if (col >= 0) {
        const s = starts[col]!;
        const e = ends[col]!;
        if (len + (e - s) + 1 > scratch.length) scratch = this.#grow(len + (e - s) + 1);
        // A JS loop: Buffer.copy's native call costs more than copying a field this short.
        for (let i = s; i < e; i++) scratch[len++] = buf[i]!;
      }
      scratch[len++] = SEPARATOR;
    }
    return hasher!(scratch.subarray(0, len));
  }

  #grow(min: number): Buffer {
    const next = Buffer.alloc(Math.max(min, this.#scratch.length * 2));
    this.#scratch.copy(next);
    this.#scratch = next;
    return next;
  }
}
