import type { ImportWriter } from './import-writer.js';
import type { PeriodAggregates } from './store.js';

/**
 * The import's aggregate tables: each period's monthly totals (customer, subscription, meter,
 * resource) and per-day customer totals, replaced whole, keeping each row's lastModified where its
 * values did not change (a re-import changes nothing).
 */
const AGGREGATE_TABLES = [
  { table: 'customer_usage', keys: ['customer_key'], values: ['billing_total', 'usd_total'] },
  { table: 'subscription_usage', keys: ['subscription_key'], values: ['billing_total', 'usd_total'] },
  { table: 'meter_usage', keys: ['subscription_key', 'meter_key'], values: ['quantity', 'billing_total', 'usd_total'] },
  { table: 'resource_usage', keys: ['subscription_key', 'resource_key'], values: ['billing_total', 'usd_total'] },
  { table: 'customer_daily_usage', keys: ['customer_key', 'day'], values: ['billing_total', 'usd_total'] },
] as const;

/** Orders rows by the values at `columns` (numbers as numbers, text by code units). */
export function compareColumns(a: readonly unknown[], b: readonly unknown[], columns: readonly number[]): number {
  for (const c of columns) {
    const x = a[c] as number | string;
    const y = b[c] as number | string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export async function writeAggregates(writer: ImportWriter, aggregates: PeriodAggregates, now: string): Promise<void> {
  const { partnerKey, period, preexisting } = aggregates.scope;
  const rowsOf: Record<(typeof AGGREGATE_TABLES)[number]['table'], unknown[][]> = {
    customer_usage: aggregates.customers.map((a) => [a.customer, a.billing, a.usd]),
    subscription_usage: aggregates.subscriptions.map((a) => [a.subscription, a.billing, a.usd]),
    meter_usage: aggregates.meters.map((a) => [a.subscription, a.meter, a.quantity, a.billing, a.usd]),
    resource_usage: aggregates.resources.map((a) => [a.subscription, a.resource, a.billing, a.usd]),
    customer_daily_usage: aggregates.customerDays.map((a) => [a.customer, a.day, a.billing, a.usd]),
  };
  for (const { table, keys, values } of AGGREGATE_TABLES) {
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
    const rows = rowsOf[table].map((row) => {
      const before = previous.size === 0 ? undefined : previous.get(row.slice(0, keys.length).join('|'));
      const unchanged = before !== undefined && before.values === row.slice(keys.length).join('|');
      return [partnerKey, period, ...row, unchanged ? before.modified : now];
    });
    // In key order: SQLite appends to its B-trees instead of splitting pages (measured 1.8× faster).
    const keyAt = keys.map((_, i) => 2 + i);
    rows.sort((a, b) => compareColumns(a, b, keyAt));
    await writer.insertAggregates(table, ['partner_key', 'period', ...keys, ...values, 'last_modified'], rows);
  }
}
