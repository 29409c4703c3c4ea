import { currentBillingPeriod, previousBillingPeriod } from '../domain/usage-model.js';
import type { Store } from '../storage/store.js';
import { pollEvery } from '../domain/poll-every.js';
import { margins } from './margins.js';
import { ensurePriceBases } from './price-bases.js';

/**
 * Keeps the price bases of the open periods (the current and the previous one) current in the
 * background (`serve`), and their customers' margins: after an import, a sync or a rule change, the
 * pass over the lines and the pricing of 100k customers run here rather than in the first request.
 * Looks every `intervalMs`; works only when the data version moved.
 */
export class PriceBasesWarmer {
  #version: string | undefined;

  constructor(private readonly store: Store) {}

  /**
   * One look: the open periods whose lines changed get their bases computed; how many were. (Keeping
   * bases moves the data version, so the look after one that computed some finds nothing to do.)
   */
  async runOnce(now = new Date()): Promise<number> {
    const version = this.store.dataVersion();
    if (version === this.#version) return 0;
    const current = currentBillingPeriod(now);
    let computed = 0;
    for (const partner of await this.store.partners()) {
      for (const period of [current, previousBillingPeriod(current)]) {
        if (await ensurePriceBases(this.store, partner.tenantId, period)) computed++;
        // The customers' figures too (kept per lines and rules): the customers view's next answer reads them.
        await margins(this.store, partner.tenantId, period, 'customer');
      }
    }
    this.#version = version;
    return computed;
  }

  /** Looks every `intervalMs` until stopped (the first look after one interval: serve starts first). */
  start(intervalMs = 5000): { stop: () => Promise<void> } {
    return pollEvery(
      () => this.runOnce(),
      intervalMs,
      (error) => console.error(`partner-usage: pricing the latest lines: ${String(error)}`),
      intervalMs,
    );
  }
}
