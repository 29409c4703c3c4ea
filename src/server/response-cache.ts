import { BoundedCache, stringBytes } from './bounded-cache.js';

/** The response cache's default bound: PARTNER_USAGE_CACHE_MB overrides it. */
const DEFAULT_CACHE_BYTES = 64 * 2 ** 20;

/**
 * Serialized responses by request, valid while the store's data version is the one they were
 * made at. Serving a page from memory is what lets the API keep up with a bare route returning
 * the same bytes (docs/benchmarks.md); any import or budget change invalidates every entry.
 * Bounded in bytes (one client asking for many periods grew a cache bounded in entries past 3 GB).
 */
export class ResponseCache {
  // Kept as the bytes sent: a hit is then written as it is, not encoded again (a 600 KB page took
  // a millisecond a request to encode, a third of what a bare route spends on it).
  readonly #entries: BoundedCache<Buffer>;
  #version = '';
  /** Lookups answered from memory, and not (for /metrics). */
  hits = 0;
  misses = 0;

  constructor(maxBytes = DEFAULT_CACHE_BYTES) {
    this.#entries = new BoundedCache(maxBytes, (key, body) => stringBytes(key) + body.length);
  }

  /** What the entries hold now, in bytes. */
  get bytes(): number {
    return this.#entries.bytes;
  }

  get(key: string, version: string): Buffer | undefined {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
      this.misses++;
      return undefined;
    }
    const body = this.#entries.get(key);
    if (body === undefined) this.misses++;
    else this.hits++;
    return body;
  }

  /** Keeps a response's body (while `version` is the data's) and gives it back as the bytes to send. */
  set(key: string, version: string, body: string): Buffer {
    const bytes = Buffer.from(body);
    if (version === this.#version) this.#entries.set(key, bytes);
    return bytes;
  }
}

/** PARTNER_USAGE_CACHE_MB as bytes (0 turns the cache off); the default when unset. */
export function cacheBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.PARTNER_USAGE_CACHE_MB;
  if (value === undefined || value === '') return DEFAULT_CACHE_BYTES;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb < 0) {
    throw new Error(`PARTNER_USAGE_CACHE_MB must be a number of MiB, got ${JSON.stringify(value)}`);
  }
  return Math.floor(mb * 2 ** 20);
}
