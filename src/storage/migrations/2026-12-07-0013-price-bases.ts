import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Price bases (issue #29): a period's lines summed per what chooses their price rule (customer,
 * subscription, reseller, meter category, publisher) — the cost and the retail price of the lines
 * no reservation or savings plan covers, the partner-earned credit, in USD too. A line's price is
 * its base × its rule's factor, so a group's price is the factor × its summed base, exactly: margins
 * read these rows, not the lines. Computed from the stored lines when asked for and kept with the
 * period's snapshot tag (line-reader.ts), so new lines make them be computed again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { money } = columnTypes(db);
  await db.schema
    .createTable('price_base_versions')
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('price_base_versions_key', ['partner_key', 'period'])
    .execute();
  let table = db.schema.createTable('price_bases').addColumn('partner_key', 'integer', (c) => c.notNull());
  for (const column of [
    'period',
    'customer_tenant_id',
    'customer_name',
    'currency',
    'subscription_id',
    'subscription_name',
    'reseller',
    'category',
    'publisher',
  ])
    table = table.addColumn(column, 'text', (c) => c.notNull());
  table = table.addColumn('lines', 'integer', (c) => c.notNull());
  for (const column of [
    'cost',
    'cost_uncovered',
    'retail_uncovered',
    'pec',
    'usd',
    'usd_uncovered',
    'usd_retail_uncovered',
  ])
    table = table.addColumn(column, money, (c) => c.notNull());
  await table.execute();
  await db.schema.createIndex('price_bases_by_period').on('price_bases').columns(['partner_key', 'period']).execute();
}
