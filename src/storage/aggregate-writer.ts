import type { ImportWriter } from './import-writer.js';
import type { AggregateTable, PeriodAggregates } from './store.js';

/**
 * The import's aggregate tables: each period's monthly totals (customer, subscription, meter,
 * resource) and per-day customer totals, replaced whole, keeping each row's lastModified where its
 * values did not change (a re-import changes nothing).
 */
const AGGREGATE_TABLES: readonly {
  readonly aggregate: AggregateTable;
  readonly table: string;
  readonly keys: readonly string[];
  readonly values: readonly string[];
}[] = [
  { aggregate: 'customers', table: 'customer_usage', keys: ['customer_key'], values: ['billing_total', 'usd_total'] },
  {
    aggregate: 'subscriptions',
    table: 'subscription_usage',
    keys: ['subscription_key'],
    values: ['billing_total', 'usd_total'],
  },
  {
    aggregate: 'meters',
    table: 'meter_usage',
    keys: ['subscription_key', 'meter_key'],
    values: ['quantity', 'billing_total', 'usd_total'],
  },
  {
    aggregate: 'resources',
    table: 'resource_usage',
    keys: ['subscription_key', 'resource_key'],
    values: ['billing_total', 'usd_total'],
  },
  {
    aggregate: 'customerDays',
    table: 'customer_daily_usage',
    keys: ['customer_key', 'day'],
    values: ['billing_total', 'usd_total'],
  },
];

const AGGREGATES_PER_WRITE = 4096;

export async function writeAggregates(writer: ImportWriter, aggregates: PeriodAggregates, now: string): Promise<void> {
  const { partnerKey, period, preexisting } = aggregates.scope;
  // One table at a time: its rows are made here and gone once written.
  for (const { aggregate, table, keys, values } of AGGREGATE_TABLES) {
    // Keep lastModified where the values did not change (a re-import changes nothing).
    const previous = new Map<string, { values: string; modified: string }>();
    if (preexisting) {
      for (const row of await writer.aggregateRows(table, [...keys, ...values, 'last_modified'], partnerKey, period)) {
        previous.set(row.slice(0, keys.length).join('|'), {
          values: row
            .slice(keys.length, keys.length + values.length)
            .map(String)
            .join('|'),
          modified: String(row[keys.length + values.length]),
        });
      }
      await writer.deleteAggregates(table, partnerKey, period);
    }
    const rows = aggregates.table(aggregate);
    // In key order: SQLite appends to its B-trees instead of splitting pages (measured 1.8× faster).
    const order = new Int32Array(rows.count).map((_, i) => i);
    order.sort((a, b) => {
      for (let c = 0; c < keys.length; c++) {
        const d = rows.key(a, c) - rows.key(b, c);
        if (d !== 0) return d;
      }
      return 0;
    });
    // In chunks made as they are written: rows made all at once lived long enough to be promoted,
    // and the main thread's heap grew by ~60 MB for the 130k rows of a million-line file.
    for (let start = 0; start < order.length; start += AGGREGATES_PER_WRITE) {
      const chunk: unknown[][] = [];
      for (const i of order.subarray(start, start + AGGREGATES_PER_WRITE)) {
        const row = rows.row(i);
        const before = previous.size === 0 ? undefined : previous.get(row.slice(0, keys.length).join('|'));
        const unchanged = before !== undefined && before.values === row.slice(keys.length).join('|');
        chunk.push([partnerKey, period, ...row, unchanged ? before.modified : now]);
      }
      await writer.insertAggregates(table, ['partner_key', 'period', ...keys, ...values, 'last_modified'], chunk);
    }
  }
}
