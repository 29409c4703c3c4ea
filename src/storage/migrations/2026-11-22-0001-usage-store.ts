import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/** The usage store: dimensions, rated line items, monthly aggregates and import batches. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { money, bytes, autoKey } = columnTypes(db);

  await db.schema
    .createTable('partners')
    .addColumn('partner_key', 'integer', autoKey)
    .addColumn('tenant_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('customer_key', 'integer', autoKey)
    .addColumn('partner_key', 'integer', (c) => c.notNull().references('partners.partner_key'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('currency_locale', 'text')
    .addColumn('plan', 'text', (c) => c.notNull().check(sql`plan in ('azure-plan', 'legacy')`))
    .addColumn('budget', money)
    .addUniqueConstraint('customers_partner_tenant', ['partner_key', 'tenant_id'])
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('subscription_key', 'integer', autoKey)
    .addColumn('customer_key', 'integer', (c) => c.notNull().references('customers.customer_key'))
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('offer_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addUniqueConstraint('subscriptions_customer_id', ['customer_key', 'subscription_id'])
    .execute();

  await db.schema
    .createTable('entitlements')
    .addColumn('entitlement_key', 'integer', autoKey)
    .addColumn('subscription_key', 'integer', (c) => c.notNull().references('subscriptions.subscription_key'))
    .addColumn('entitlement_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addUniqueConstraint('entitlements_subscription_id', ['subscription_key', 'entitlement_id'])
    .execute();

  await db.schema
    .createTable('meters')
    .addColumn('meter_key', 'integer', autoKey)
    .addColumn('meter_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('subcategory', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('resource_key', 'integer', autoKey)
    .addColumn('entitlement_key', 'integer', (c) => c.notNull().references('entitlements.entitlement_key'))
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('resource_group', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addUniqueConstraint('resources_entitlement_uri', ['entitlement_key', 'uri'])
    .execute();

  await db.schema
    .createTable('import_batches')
    .addColumn('batch_id', 'integer', autoKey)
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('lines', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('replaced', 'integer', (c) => c.notNull())
    .execute();

  // Rated line items, in columnar blocks of up to a parse batch (~8k lines) of one partner's
  // period: integer columns as little-endian arrays, amounts as comma-separated decimal text.
  // Measured: ten times cheaper to write than a row per line (docs/storage.md).
  await db.schema
    .createTable('line_blocks')
    .addColumn('block_key', 'integer', autoKey)
    .addColumn('partner_key', 'integer', (c) => c.notNull().references('partners.partner_key'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'integer', (c) => c.notNull().references('import_batches.batch_id'))
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('identities', bytes, (c) => c.notNull()) // int64 line identity hashes
    .addColumn('ordinals', bytes, (c) => c.notNull()) // int32
    .addColumn('resources', bytes, (c) => c.notNull()) // int32 resource_key
    .addColumn('meters', bytes, (c) => c.notNull()) // int32 meter_key
    .addColumn('days', bytes, (c) => c.notNull()) // int32 yyyymmdd
    .addColumn('amounts', bytes, (c) => c.notNull()) // "quantity,billing total,USD total," per line, ASCII
    .addColumn('replaced', bytes) // bitmap of lines a later import replaced; null = none
    .execute();
  await db.schema.createIndex('line_blocks_period').on('line_blocks').columns(['partner_key', 'period']).execute();

  const usage = (table: string) =>
    db.schema
      .createTable(table)
      .addColumn('partner_key', 'integer', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('billing_total', money, (c) => c.notNull())
      .addColumn('usd_total', money, (c) => c.notNull())
      .addColumn('last_modified', 'text', (c) => c.notNull());

  await usage('customer_usage')
    .addColumn('customer_key', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_usage_key', ['partner_key', 'period', 'customer_key'])
    .execute();
  await usage('subscription_usage')
    .addColumn('subscription_key', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscription_usage_key', ['partner_key', 'period', 'subscription_key'])
    .execute();
  await usage('meter_usage')
    .addColumn('subscription_key', 'integer', (c) => c.notNull())
    .addColumn('meter_key', 'integer', (c) => c.notNull())
    .addColumn('quantity', money, (c) => c.notNull())
    .addPrimaryKeyConstraint('meter_usage_key', ['partner_key', 'period', 'subscription_key', 'meter_key'])
    .execute();
  await usage('resource_usage')
    .addColumn('subscription_key', 'integer', (c) => c.notNull())
    .addColumn('resource_key', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_usage_key', ['partner_key', 'period', 'subscription_key', 'resource_key'])
    .execute();
}
