import { ExactSum } from '../money/exact-sum.js';
import type { ImportScope, PeriodAggregates, StoredLine } from '../storage/store.js';

interface Group {
  readonly resource: number;
  readonly meter: number;
  readonly quantity: ExactSum;
  readonly billing: ExactSum;
  readonly usd: ExactSum;
}

// Meter numbers stay below 2^21, so (resource, meter) packs into one exact double below 2^53.
const METER_SPAN = 2 ** 21;
const text = (s: ExactSum) => s.toText();

/**
 * Exact sums of one partner's billing period. Lines are summed once, into the finest group
 * (resource × meter); customer, subscription, meter-in-subscription and resource totals are
 * rolled up from the groups at the end. Parse workers sum with their own numbering; the
 * importer merges their groups in storage keys.
 */
export class UsageAggregator {
  readonly #groups = new Map<number, Group>();
  /** resource → [subscription, customer], for the roll-up. */
  readonly #owners = new Map<number, [number, number]>();
  #last: Group | undefined;

  add(resource: number, meter: number, quantity: string, billing: string, usd: string): void {
    const g = this.#group(resource, meter);
    g.quantity.add(quantity);
    g.billing.add(billing);
    g.usd.add(usd);
  }

  /** Adds a group's sums as [whole, frac × 10^15] pairs for quantity, billing and USD from `parts[at]` (line-sums.ts). */
  addParts(resource: number, meter: number, parts: Float64Array, at: number): void {
    const g = this.#group(resource, meter);
    g.quantity.addParts(parts[at]!, parts[at + 1]!);
    g.billing.addParts(parts[at + 2]!, parts[at + 3]!);
    g.usd.addParts(parts[at + 4]!, parts[at + 5]!);
  }

  #group(resource: number, meter: number): Group {
    let g = this.#last;
    if (!g || g.resource !== resource || g.meter !== meter) {
      if (meter >= METER_SPAN) throw new RangeError(`meter number ${meter} is beyond the aggregator's range`);
      const key = resource * METER_SPAN + meter;
      g = this.#groups.get(key);
      if (!g) {
        g = { resource, meter, quantity: new ExactSum(), billing: new ExactSum(), usd: new ExactSum() };
        this.#groups.set(key, g);
      }
      this.#last = g;
    }
    return g;
  }

  /** Records which subscription and customer a resource belongs to. */
  own(resource: number, subscription: number, customer: number): void {
    this.#owners.set(resource, [subscription, customer]);
  }

  get customers(): ReadonlySet<number> {
    return new Set([...this.#owners.values()].map(([, customer]) => customer));
  }

  static async fromLines(lines: AsyncIterable<StoredLine>): Promise<UsageAggregator> {
    const agg = new UsageAggregator();
    for await (const l of lines) {
      agg.add(l.resource, l.meter, l.quantity, l.billing, l.usd);
      agg.own(l.resource, l.subscription, l.customer);
    }
    return agg;
  }

  rollUp(scope: ImportScope): PeriodAggregates {
    const sums = () => ({ billing: new ExactSum(), usd: new ExactSum() });
    const customers = new Map<number, { billing: ExactSum; usd: ExactSum }>();
    const subscriptions = new Map<number, { billing: ExactSum; usd: ExactSum }>();
    const meters = new Map<
      number,
      { subscription: number; meter: number; quantity: ExactSum; billing: ExactSum; usd: ExactSum }
    >();
    const resources = new Map<number, { subscription: number; billing: ExactSum; usd: ExactSum }>();
    for (const g of this.#groups.values()) {
      const owner = this.#owners.get(g.resource);
      if (!owner) throw new Error(`resource ${g.resource} has no recorded owner`);
      const [subscription, customer] = owner;
      let c = customers.get(customer);
      if (!c) customers.set(customer, (c = sums()));
      let s = subscriptions.get(subscription);
      if (!s) subscriptions.set(subscription, (s = sums()));
      const meterKey = subscription * METER_SPAN + g.meter;
      let m = meters.get(meterKey);
      if (!m) meters.set(meterKey, (m = { subscription, meter: g.meter, quantity: new ExactSum(), ...sums() }));
      let r = resources.get(g.resource);
      if (!r) resources.set(g.resource, (r = { subscription, ...sums() }));
      for (const t of [c, s, m, r]) {
        t.billing.addSum(g.billing);
        t.usd.addSum(g.usd);
      }
      m.quantity.addSum(g.quantity);
    }
    return {
      scope,
      customers: [...customers].map(([customer, t]) => ({ customer, billing: text(t.billing), usd: text(t.usd) })),
      subscriptions: [...subscriptions].map(([subscription, t]) => ({
        subscription,
        billing: text(t.billing),
        usd: text(t.usd),
      })),
      meters: [...meters.values()].map((t) => ({
        subscription: t.subscription,
        meter: t.meter,
        quantity: text(t.quantity),
        billing: text(t.billing),
        usd: text(t.usd),
      })),
      resources: [...resources].map(([resource, t]) => ({
        subscription: t.subscription,
        resource,
        billing: text(t.billing),
        usd: text(t.usd),
      })),
    };
  }
}
