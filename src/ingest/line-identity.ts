import xxhash from 'xxhash-wasm';
import type { ScannedRecord } from './csv-scanner.js';
import { dataViewOf } from './data-view-of.js';

/**
 * A line's identity: what was consumed, by whom, where and when — not what it cost. Two lines
 * with the same identity in two imports are the same line (a newer download replaces the older
 * one's values); two lines with the same identity in one file are told apart by their ordinal
 * (the first, second, … such line in that file). See docs/ingest.md.
 *
 * It is a 64-bit hash built in two steps, so that a line hashes a few words rather than the
 * ~350 bytes of its identity fields (measured: a tenth of a parse worker's time before):
 * - each dictionary entry (partner, customer, subscription, entitlement, resource, meter) gets
 *   an xxHash64 of its key's exact bytes, seeded with its parent entry's hash, once, when it is
 *   first seen: a resource's hash covers its partner, customer, subscription, entitlement and URI;
 * - a line mixes its resource's and meter's entry hashes, its usage day and the exact bytes of
 *   the line's own identity columns (`hashedIdentityColumns`
 *   of the line schema) in two 32-bit MurmurHash3 lanes.
 * Within one partner and billing period a collision of two different lines has a probability of
 * about n²/2^65 (3·10⁻⁶ at 10M lines a month).
 */

let h64: ((input: Uint8Array, seed: bigint) => bigint) | undefined;

/** Loads the entry hash function (WebAssembly) once per thread. */
export async function loadIdentityHasher(): Promise<void> {
  if (h64) return;
  const api = await xxhash();
  h64 = (input, seed) => api.h64Raw(input, seed);
}

const U64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/**
 * An entry's identity hash as [lo, hi] words into `out` at `at`: its key's bytes seeded with its
 * parent's hash (0, 0 for an entry without a parent).
 */
export function entryIdentity(
  buf: Uint8Array,
  start: number,
  end: number,
  parentLo: number,
  parentHi: number,
  out: Int32Array,
  at: number,
): void {
  if (!h64) throw new Error('loadIdentityHasher() must run first');
  const h = h64(buf.subarray(start, end), U64(parentLo, parentHi));
  out[at] = Number(h & 0xffffffffn) | 0;
  out[at + 1] = Number(h >> 32n) | 0;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED_LO = 0x9747b28c;
const SEED_HI = 0x5bd1e995;

const mixK = (k: number): number => Math.imul(rotl(Math.imul(k, C1), 15), C2);
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (h: number, k: number): number => (Math.imul(rotl(h ^ mixK(k), 13), 5) + 0xe6546b64) | 0;
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class LineIdentity {
  readonly #columns: Int32Array;

  /** `columns`: the file positions of the line's own identity columns (-1 for an absent column). */
  constructor(columns: readonly number[]) {
    this.#columns = Int32Array.from(columns);
  }

  /**
   * Writes the line's identity as [lo, hi] into `out` at `at`, from its resource's and meter's
   * entry hashes (as words), its usage day and its own identity columns.
   */
  of(
    rec: ScannedRecord,
    resource: Int32Array,
    r: number,
    meter: Int32Array,
    m: number,
    day: number,
    out: Int32Array,
    at: number,
  ): void {
    const { buf, starts, ends } = rec;
    const view = dataViewOf(buf);
    let a = round(
      round(round(round(round(SEED_LO, resource[2 * r]!), resource[2 * r + 1]!), meter[2 * m]!), meter[2 * m + 1]!),
      day,
    );
    let b = round(
      round(round(round(round(SEED_HI, resource[2 * r]!), resource[2 * r + 1]!), meter[2 * m]!), meter[2 * m + 1]!),
      day,
    );
    const columns = this.#columns;
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      let s = 0;
      let e = 0;
      if (col >= 0) {
        s = starts[col]!;
        e = ends[col]!;
      }
      // The field's length first: the words read back one way only, so fields cannot shift.
      a = round(a, e - s);
      b = round(b, e - s);
      for (; s + 4 <= e; s += 4) {
        const k = view.getInt32(s, true);
        a = round(a, k);
        b = round(b, k);
      }
      if (s < e) {
        let k = 0;
        for (let shift = 0; s < e; s++, shift += 8) k |= buf[s]! << shift;
        a = round(a, k);
        b = round(b, k);
      }
    }
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = fmix(a);
    b = fmix(b);
    a = (a + b) | 0;
    b = (b + a) | 0;
    out[at] = a;
    out[at + 1] = b;
  }
}
