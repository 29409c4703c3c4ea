import { apiErrors } from '../contract/api-errors.js';

/** A budget: so many requests in so many seconds. */
export interface RequestBudget {
  readonly requests: number;
  readonly seconds: number;
}

export interface RateLimitSettings {
  /** Every request of a partner's users and applications. */
  readonly partner: RequestBudget;
  /** The requests of one partner about one customer (routes under /customers/{id}). */
  readonly customer: RequestBudget;
}

/**
 * Partner Center throttles per partner and per partner and customer, and publishes no figures
 * for the usage routes (partner-center-api.md §7.3): these defaults are ours, generous for a
 * dashboard or a nightly job, tight for a loop gone wrong.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  partner: { requests: 600, seconds: 60 },
  customer: { requests: 120, seconds: 60 },
};

/** PARTNER_USAGE_RATE_LIMITS, e.g. `partner=600/60,customer=120/60` (requests/seconds); unset: the defaults. */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const text = env.PARTNER_USAGE_RATE_LIMITS?.trim();
  if (!text) return DEFAULT_RATE_LIMITS;
  let { partner, customer } = DEFAULT_RATE_LIMITS;
  for (const part of text.split(',')) {
    const m = /^\s*(partner|customer)\s*=\s*(\d{1,9})\s*\/\s*(\d{1,7})\s*$/.exec(part);
    if (!m || Number(m[2]) < 1 || Number(m[3]) < 1) {
      throw new Error(
        `PARTNER_USAGE_RATE_LIMITS is scope=requests/seconds, comma-separated (partner=600/60,customer=120/60); got ${JSON.stringify(part)}`,
      );
    }
    const budget = { requests: Number(m[2]), seconds: Number(m[3]) };
    if (m[1] === 'partner') partner = budget;
    else customer = budget;
  }
  return { partner, customer };
}

/**
 * One budget's counts: each key's window opens at its first request and lasts `seconds`; past
 * `requests` in it, the seconds until it closes. Written here rather than taken from
 * rate-limiter-flexible, which this replaced: its promise per budget consumed cost the smallest
 * cached answer ~10 % of its throughput, this none measurable (docs/benchmarks.md,
 * bench:operations); it is a map lookup. Windows that closed are swept once a window, so the map
 * holds at most the keys of the last two windows, however many customer ids a caller makes up.
 */
class FixedWindows {
  readonly #windows = new Map<string, { count: number; closesAt: number }>();
  readonly #ms: number;
  #nextSweep = 0;

  constructor(private readonly budget: RequestBudget) {
    this.#ms = budget.seconds * 1000;
  }

  /** Seconds to wait when `key` has spent its budget; undefined while it has not. */
  spend(key: string, now: number): number | undefined {
    if (now >= this.#nextSweep) {
      for (const [k, w] of this.#windows) if (w.closesAt <= now) this.#windows.delete(k);
      this.#nextSweep = now + this.#ms;
    }
    let window = this.#windows.get(key);
    if (window === undefined || window.closesAt <= now) {
      window = { count: 0, closesAt: now + this.#ms };
      this.#windows.set(key, window);
    }
    window.count++;
    return window.count > this.budget.requests ? Math.max(1, Math.ceil((window.closesAt - now) / 1000)) : undefined;
  }

  get size(): number {
    return this.#windows.size;
  }
}

/**
 * Request budgets per partner and per partner and customer (`serve --rate-limit`), kept in this
 * process's memory: behind a balancer each node counts its own requests (docs/deployment.md).
 * A spent budget is 429 with Retry-After and Partner Center's throttling body.
 */
export class RateLimits {
  readonly #partner: FixedWindows;
  readonly #customer: FixedWindows;

  constructor(
    settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#partner = new FixedWindows(settings.partner);
    this.#customer = new FixedWindows(settings.customer);
  }

  /** Counts a request of `partner` (about `customer`, if any); throws the 429 when a budget is spent. */
  consume(partner: string, customer: string | undefined): void {
    const now = this.now();
    const wait =
      this.#partner.spend(partner, now) ??
      (customer === undefined ? undefined : this.#customer.spend(`${partner}/${customer.toLowerCase()}`, now));
    if (wait !== undefined) throw apiErrors.throttled(wait);
  }

  /** The keys counted now (partners, and partner/customer pairs): bounded by the sweep. */
  get keys(): number {
    return this.#partner.size + this.#customer.size;
  }
}
