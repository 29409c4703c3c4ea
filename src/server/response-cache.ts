/**
 * Serialized responses by request, valid while the store's data version is the one they were
 * made at. Serving a page from memory is what lets the API keep up with a bare route returning
 * the same bytes (docs/benchmarks.md); any import or budget change invalidates every entry.
 */
export class ResponseCache {
  readonly #entries = new Map<string, string>();
  #version = '';

  constructor(readonly limit = 5000) {}

  get(key: string, version: string): string | undefined {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
      return undefined;
    }
    return this.#entries.get(key);
  }

  set(key: string, version: string, body: string): void {
    if (version !== this.#version) return;
    if (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, body);
  }
}
