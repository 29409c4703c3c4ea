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
  // The most recent key and its value: a hit on it stays where it is and skips the Map. Under load
  // the same token and the same page are asked again and again; moving an entry is a Map delete and
  // insert (measured at 4 % of a small cached answer's time), and a Map look-up hashes the request's
  // new string. delete() and clear() forget it; set() evicts only before making its key the newest.
  #newest: string | undefined;
  #newestValue: V | undefined;

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
    // The newest key again: its value without the Map's hashing of a new string (a token is KBs).
    // Stryker disable next-line ConditionalExpression: a shortcut; without it the Map answers the same.
    if (key === this.#newest) return this.#newestValue;
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
      this.#newest = key;
      this.#newestValue = value;
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
    this.#newestValue = value;
  }

  delete(key: string): void {
    // Stryker disable next-line ConditionalExpression: forgetting the shortcut more often changes no answer.
    if (key === this.#newest) this.#newest = this.#newestValue = undefined;
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= this.#sizeOf(key, old);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#newest = this.#newestValue = undefined;
  }
}

/** A string's size in memory, as V8 holds most: two bytes a UTF-16 code unit. */
export const stringBytes = (s: string): number => 2 * s.length;
