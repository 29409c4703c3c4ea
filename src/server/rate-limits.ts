import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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
 * Request budgets per partner and per partner and customer (`serve --rate-limit`), kept in this
 * process's memory: behind a balancer each node counts its own requests (docs/deployment.md).
 * A spent budget is 429 with Retry-After and Partner Center's throttling body.
 */
export class RateLimits {
  readonly #partner: RateLimiterMemory;
  readonly #customer: RateLimiterMemory;

  constructor(settings: RateLimitSettings) {
    this.#partner = new RateLimiterMemory({ points: settings.partner.requests, duration: settings.partner.seconds });
    this.#customer = new RateLimiterMemory({ points: settings.customer.requests, duration: settings.customer.seconds });
  }

  /** Counts a request of `partner` (about `customer`, if any); throws the 429 when a budget is spent. */
  async consume(partner: string, customer: string | undefined): Promise<void> {
    try {
      await this.#partner.consume(partner);
      if (customer !== undefined) await this.#customer.consume(`${partner}/${customer.toLowerCase()}`);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw apiErrors.throttled(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
  }
}
