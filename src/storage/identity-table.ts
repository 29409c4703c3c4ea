/**
 * An exact hash table from 64-bit line identities (as two 32-bit words, so no BigInt is made per
 * line) to a non-zero number: a count, or a stored line's place; a value of 0 marks an empty
 * slot. Typed arrays, at most 70% full: sized by reserve() when the count is known, else growing
 * by half (47–70% full; doubling left tables as little as 35% full). With 32-bit values (counts)
 * it holds an identity in 17–26 bytes. It is the one part of an import whose memory grows with
 * the file (docs/ingest.md); a Map keyed by BigInt was measured at five times the memory and time.
 */
export class IdentityTable {
  #words: Int32Array; // [lo, hi] per slot
  #values: Int32Array | Float64Array;
  #capacity: number;
  #size = 0;
  readonly #wide: boolean;

  /** `wide`: values beyond 32 bits (Float64Array), else 32-bit integers (Int32Array). */
  constructor({ wide }: { wide: boolean }) {
    const capacity = 1024;
    this.#wide = wide;
    this.#words = new Int32Array(capacity * 2);
    this.#values = wide ? new Float64Array(capacity) : new Int32Array(capacity);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** Makes room for `count` identities in all, so that filling it up to there never rehashes. */
  reserve(count: number): void {
    const capacity = Math.ceil((count * 10) / 7) + 1;
    if (capacity > this.#capacity) this.#rehash(capacity);
  }

  get(lo: number, hi: number): number | undefined {
    const v = this.#values[this.#slot(lo, hi)]!;
    return v === 0 ? undefined : v;
  }

  /** Sets a value other than 0. */
  set(lo: number, hi: number, value: number): void {
    if (value === 0) throw new RangeError('0 marks an empty slot');
    const i = this.#slot(lo, hi);
    if (this.#values[i] === 0) this.#claim(i, lo, hi, value);
    else this.#values[i] = value;
  }

  /** Adds one to the identity's count (absent = 0) and returns the count it had. */
  increment(lo: number, hi: number): number {
    const i = this.#slot(lo, hi);
    const before = this.#values[i]!;
    if (before === 0) this.#claim(i, lo, hi, 1);
    else this.#values[i] = before + 1;
    return before;
  }

  // The slot holding the identity, or the empty slot where it would go.
  #slot(lo: number, hi: number): number {
    const words = this.#words;
    const values = this.#values;
    const capacity = this.#capacity;
    // The hash scaled to [0, capacity): capacities grow by half, not doubling (memory).
    let i = Math.floor((((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) * capacity) / 4294967296);
    while (values[i] !== 0 && (words[2 * i] !== lo || words[2 * i + 1] !== hi)) if (++i === capacity) i = 0;
    return i;
  }

  #claim(i: number, lo: number, hi: number, value: number): void {
    this.#values[i] = value;
    this.#words[2 * i] = lo;
    this.#words[2 * i + 1] = hi;
    if (++this.#size * 10 > this.#values.length * 7) this.#grow();
  }

  #grow(): void {
    this.#rehash(Math.ceil(this.#capacity * 1.5));
  }

  #rehash(capacity: number): void {
    const words = this.#words;
    const values = this.#values;
    this.#words = new Int32Array(capacity * 2);
    this.#values = this.#wide ? new Float64Array(capacity) : new Int32Array(capacity);
    this.#capacity = capacity;
    this.#size = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) this.set(words[2 * i]!, words[2 * i + 1]!, values[i]!);
  }
}

/**
 * The key of the n-th line of an identity in one file: the identity itself for the first, a
 * mix of it with n for the others. Written into `out` as [lo, hi].
 */
export function occurrenceKey(lo: number, hi: number, ordinal: number, out: Int32Array): void {
  if (ordinal === 0) {
    out[0] = lo;
    out[1] = hi;
    return;
  }
  out[0] = lo ^ Math.imul(ordinal, 0x9e3779b1);
  out[1] = hi ^ Math.imul(ordinal + 0x7f4a7c15, 0x85ebca6b);
}
