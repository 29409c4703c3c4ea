import { SumTable } from '../money/sum-table.js';
import { AMOUNTS, DAY_AMOUNTS } from '../domain/line-batch.js';
import type { AggregateRows, ImportScope, PeriodAggregates, StoredLine } from '../storage/store.js';

// Amount columns of the tables below (line-batch.ts's order).
const QUANTITY = 0;
const BILLING = 1;
const USD = 2;

/**
 * Exact sums of one partner's billing period. Lines are summed once, into the finest group
 * (resource × meter); customer, subscription, meter-in-subscription and resource totals are
 * rolled up from the groups at the end. Parse workers sum with their own numbering; the
 * importer merges their groups in storage keys. All sums are SumTables (typed arrays).
 */
export class UsageAggregator {
  /** (resource, meter) → quantity, billing, USD. */
  readonly #groups = new SumTable(AMOUNTS);
  /** resource → its subscription and customer, for the roll-up. */
  readonly #subscriptionOf = new Map<number, number>();
  readonly #customerOf = new Map<number, number>();
  /** (customer, yyyymmdd) → billing, USD. */
  readonly #days = new SumTable(DAY_AMOUNTS);

  add(resource: number, meter: number, quantity: string, billing: string, usd: string): void {
    const g = this.#groups.row(resource, meter);
    this.#groups.addText(g, QUANTITY, quantity);
    this.#groups.addText(g, BILLING, billing);
    this.#groups.addText(g, USD, usd);
  }

  /** Adds a group's sums as [whole, frac × 10^15] pairs for quantity, billing and USD from `parts[at]` (sum-table.ts). */
  addParts(resource: number, meter: number, parts: Float64Array, at: number): void {
    const g = this.#groups.row(resource, meter);
    for (let k = 0; k < AMOUNTS; k++) this.#groups.add(g, k, parts, at + 2 * k);
  }

  addDay(customer: number, day: number, billing: string, usd: string): void {
    const r = this.#days.row(customer, day);
    this.#days.addText(r, 0, billing);
    this.#days.addText(r, 1, usd);
  }

  /** Adds a (customer, day) row's billing and USD sums as pairs from `parts[at]`. */
  addDayParts(customer: number, day: number, parts: Float64Array, at: number): void {
    const r = this.#days.row(customer, day);
    for (let k = 0; k < DAY_AMOUNTS; k++) this.#days.add(r, k, parts, at + 2 * k);
  }

  /** Records which subscription and customer a resource belongs to. */
  own(resource: number, subscription: number, customer: number): void {
    this.#subscriptionOf.set(resource, subscription);
    this.#customerOf.set(resource, customer);
  }

  get customers(): ReadonlySet<number> {
    return new Set(this.#customerOf.values());
  }

  static async fromLines(lines: AsyncIterable<StoredLine>): Promise<UsageAggregator> {
    const agg = new UsageAggregator();
    for await (const l of lines) {
      agg.add(l.resource, l.meter, l.quantity, l.billing, l.usd);
      agg.own(l.resource, l.subscription, l.customer);
      agg.addDay(l.customer, l.day, l.billing, l.usd);
    }
    return agg;
  }

  rollUp(scope: ImportScope): PeriodAggregates {
    const groups = this.#groups;
    // Keyed (customer), (subscription), (subscription, meter), (resource); amounts as in #groups.
    const customers = new SumTable(AMOUNTS);
    const subscriptions = new SumTable(AMOUNTS);
    const meters = new SumTable(AMOUNTS);
    const resources = new SumTable(AMOUNTS);
    for (let g = 0; g < groups.rows; g++) {
      const resource = groups.key(g, 0);
      const subscription = this.#subscriptionOf.get(resource);
      const customer = this.#customerOf.get(resource);
      if (subscription === undefined || customer === undefined) {
        throw new Error(`resource ${resource} has no recorded owner`);
      }
      const rows: [SumTable, number][] = [
        [customers, customers.row(customer, 0)],
        [subscriptions, subscriptions.row(subscription, 0)],
        [meters, meters.row(subscription, groups.key(g, 1))],
        [resources, resources.row(resource, subscription)],
      ];
      for (const [table, row] of rows) {
        for (let k = QUANTITY; k <= USD; k++) table.addFrom(row, k, groups, g, k);
      }
    }
    const rowsOf = (table: SumTable, keys: readonly number[], values: readonly number[]): AggregateRows => ({
      count: table.rows,
      key: (i, c) => table.key(i, keys[c]!),
      row: (i) => [...keys.map((c) => table.key(i, c)), ...values.map((k) => table.text(i, k))],
    });
    const money = [BILLING, USD];
    return {
      scope,
      table: (name) => {
        switch (name) {
          case 'customers':
            return rowsOf(customers, [0], money);
          case 'subscriptions':
            return rowsOf(subscriptions, [0], money);
          case 'meters':
            return rowsOf(meters, [0, 1], [QUANTITY, ...money]);
          case 'resources':
            // Keyed (resource, subscription) above; stored as (subscription, resource), the table's order.
            return rowsOf(resources, [1, 0], money);
          case 'customerDays':
            return rowsOf(this.#days, [0, 1], [0, 1]);
        }
      },
    };
  }
}
