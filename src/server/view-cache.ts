import { BoundedCache } from './bounded-cache.js';

/**
 * Values computed from the store (the dashboard's customers view), kept while its data version
 * stays: any import or budget change drops them all, as the response cache does. Per server, so
 * that two servers in one process (tests, benchmarks) never answer from each other's data.
 * Bounded in entries: one per partner and period being looked at.
 */
export class ViewCache<V> {
  readonly #entries: BoundedCache<Promise<V>>;
  #version = '';

  constructor(maxEntries = 8) {
    this.#entries = new BoundedCache(maxEntries, () => 1);
  }

  /** The value for `key` at `version`, computed once (a failed computation is not kept). */
  get(key: string, version: string, compute: () => Promise<V>): Promise<V> {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    let value = this.#entries.get(key);
    if (!value) {
      value = compute();
      value.catch(() => this.#entries.delete(key));
      this.#entries.set(key, value);
    }
    return value;
  }
}
