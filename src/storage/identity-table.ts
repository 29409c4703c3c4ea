/**
 * An exact hash table from 64-bit line identities (as two 32-bit words, so no BigInt is made per
 * line) to a number: a count, or a stored line's place. Typed arrays, at most half full: about
 * 34 bytes per identity held. It is the one part of an import whose memory grows with the file
 * (docs/ingest.md); a Map keyed by BigInt was measured at five times the memory and time.
 */
export class IdentityTable {
  #words: Int32Array; // [lo, hi] per slot
  #used: Uint8Array;
  #values: Float64Array;
  #mask: number;
  #size = 0;

  constructor() {
    const capacity = 1024;
    this.#words = new Int32Array(capacity * 2);
    this.#used = new Uint8Array(capacity);
    this.#values = new Float64Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  get(lo: number, hi: number): number | undefined {
    const i = this.#slot(lo, hi);
    return this.#used[i] ? this.#values[i] : undefined;
  }

  set(lo: number, hi: number, value: number): void {
    const i = this.#slot(lo, hi);
    this.#values[i] = value;
    if (!this.#used[i]) this.#claim(i, lo, hi);
  }

  /** Adds one to the identity's value (absent = 0) and returns the value it had. */
  increment(lo: number, hi: number): number {
    const i = this.#slot(lo, hi);
    if (this.#used[i]) {
      const before = this.#values[i]!;
      this.#values[i] = before + 1;
      return before;
    }
    this.#values[i] = 1;
    this.#claim(i, lo, hi);
    return 0;
  }

  // The slot holding the identity, or the empty slot where it would go.
  #slot(lo: number, hi: number): number {
    const words = this.#words;
    const used = this.#used;
    const mask = this.#mask;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (used[i] && (words[2 * i] !== lo || words[2 * i + 1] !== hi)) i = (i + 1) & mask;
    return i;
  }

  #claim(i: number, lo: number, hi: number): void {
    this.#used[i] = 1;
    this.#words[2 * i] = lo;
    this.#words[2 * i + 1] = hi;
    if (++this.#size * 2 > this.#used.length) this.#grow();
  }

  #grow(): void {
    const words = this.#words;
    const used = this.#used;
    const values = this.#values;
    const capacity = used.length * 2;
    this.#words = new Int32Array(capacity * 2);
    this.#used = new Uint8Array(capacity);
    this.#values = new Float64Array(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.set(words[2 * i]!, words[2 * i + 1]!, values[i]!);
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
