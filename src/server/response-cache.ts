import type { CachedState } from '../contract/operations.js';
import { currentBillingPeriod } from '../domain/usage-model.js';
import { BoundedCache, stringBytes } from './bounded-cache.js';

/** The response cache's default bound: PARTNER_USAGE_CACHE_MB overrides it. */
const DEFAULT_CACHE_BYTES = 64 * 2 ** 20;

/**
 * Serialized responses by request, valid while the store's version of what they were made of is
 * the one they were made at. Serving a page from memory is what lets the API keep up with a bare
 * route returning the same bytes (docs/benchmarks.md). Two generations, each dropped whole when
 * its version moves: the usage data's (any import or budget change) and the alert tables' (which
 * the delivery sender writes in the background: its own, so a delivery leaves usage answers
 * cached). Bounded in bytes (one client asking for many periods grew a cache bounded in entries
 * past 3 GB); the alerts' generation gets an eighth of the bound, its answers being few and small.
 */
export class ResponseCache {
  // Kept as the bytes sent: a hit is then written as it is, not encoded again (a 600 KB page took
  // a millisecond a request to encode, a third of what a bare route spends on it).
  readonly #generations: Record<CachedState, Generation>;
  /** Lookups answered from memory, and not (for /metrics). */
  hits = 0;
  misses = 0;

  constructor(maxBytes = DEFAULT_CACHE_BYTES) {
    this.#generations = { usage: new Generation(maxBytes), alerts: new Generation(Math.floor(maxBytes / 8)) };
  }

  /** What the entries hold now, in bytes. */
  get bytes(): number {
    return this.#generations.usage.entries.bytes + this.#generations.alerts.entries.bytes;
  }

  get(key: string, version: string, state: CachedState = 'usage'): Buffer | undefined {
    const generation = this.#generations[state];
    if (version !== generation.version) {
      generation.entries.clear();
      generation.version = version;
      this.misses++;
      return undefined;
    }
    const body = generation.entries.get(key);
    if (body === undefined) this.misses++;
    else this.hits++;
    return body;
  }

  /** Keeps a response's body (while `version` is the current one) and gives it back as the bytes to send. */
  set(key: string, version: string, body: string, state: CachedState = 'usage'): Buffer {
    const bytes = Buffer.from(body);
    const generation = this.#generations[state];
    if (version === generation.version) generation.entries.set(key, bytes);
    return bytes;
  }
}

/** One generation of answers: those made at `version`. */
class Generation {
  readonly entries: BoundedCache<Buffer>;
  // Stryker disable next-line StringLiteral: any first version differs from the store's, whose first lookup starts it.
  version = '';

  constructor(maxBytes: number) {
    this.entries = new BoundedCache(maxBytes, (key, body) => stringBytes(key) + body.length);
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

// The month of the last call and its bounds, and the last answer, given again while nothing changed:
// the same string, which the cache compares by identity (a new one each request, made and compared
// whole, measured at ~3 % of a small cached answer's rate). The first call works all of them out.
// Stryker disable next-line StringLiteral: the first call works it out whatever it starts as.
let month = '';
let monthStarts = 0;
let monthEnds = 0;
// Stryker disable next-line StringLiteral: as month.
let lastStore = '';
// Stryker disable next-line StringLiteral: as month.
let lastVersion = '|';

/**
 * The version an answer is cached at: the store's, and the billing month — an answer that names
 * no period is the current month's, which the first of the next changes without any write.
 */
export function cachedAt(storeVersion: string, now = Date.now()): string {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: working the month out more often gives the same month.
  if (now >= monthEnds || now < monthStarts) {
    const date = new Date(now);
    month = currentBillingPeriod(date);
    monthStarts = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    // Stryker disable next-line ArithmeticOperator: an end in the past only makes the next call work the month out again.
    monthEnds = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    // Stryker disable next-line StringLiteral: any text no store version is makes the next answer anew.
    lastStore = '';
  }
  // Stryker disable next-line ConditionalExpression: making the answer anew each call gives an equal string.
  if (storeVersion !== lastStore) {
    lastStore = storeVersion;
    lastVersion = `${storeVersion}|${month}`;
  }
  return lastVersion;
}
