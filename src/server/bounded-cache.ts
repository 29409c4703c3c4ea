/**
 * A least-recently-used map bounded by the bytes of what it holds, as `sizeOf` counts them: what a
 * request can make the server remember is bounded in memory, not in entries (docs/api.md, "Limits").
 * An entry larger than a quarter of the bound is not kept.
 */
export class BoundedCache<V> {
  // A Map keeps insertion order: a hit moves to the end, so the first entry is the least recent.
  readonly #entries = new Map<string, V>();
  readonly #sizeOf: (key: string, value: V) => number;
  #bytes = 0;
  // The most recent key: a hit on it stays where it is. Under load the same token and the same
  // page are asked again and again, and moving an entry is a Map delete and insert (measured at 4 %
  // of a small cached answer's time). Only set() adds an entry, and it makes it the newest, so a
  // deleted key left here is never taken for a present one.
  #newest: string | undefined;

  constructor(
    readonly maxBytes: number,
    sizeOf: (key: string, value: V) => number,
  ) {
    this.#sizeOf = sizeOf;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined && key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  set(key: string, value: V): void {
    this.delete(key);
    const size = this.#sizeOf(key, value);
    if (size > this.maxBytes / 4) return;
    while (this.#bytes + size > this.maxBytes) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(oldestKey);
      this.#bytes -= this.#sizeOf(oldestKey, oldest);
    }
    this.#entries.set(key, value);
    this.#bytes += size;
    this.#newest = key;
  }

  delete(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= this.#sizeOf(key, old);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/** A string's size in memory, as V8 holds most: two bytes a UTF-16 code unit. */
export const stringBytes = (s: string): number => 2 * s.length;
