import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Budgets that act (issue #13): alert rules per partner and customer, what has fired, the alerts
 * raised, where they go (webhook endpoints, e-mail recipients), the delivery queue that survives
 * restarts, and the audit log of budget and rule changes. Times are epoch milliseconds where a
 * query compares them (the queue), ISO-8601 text where they are only shown.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { autoKey } = columnTypes(db);
  // Thresholds in percent of the budget, "80,100"; customer_key 0 is the partner's default.
  await db.schema
    .createTable('alert_rules')
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('customer_key', 'integer', (c) => c.notNull())
    .addColumn('thresholds', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_rules_key', ['partner_key', 'customer_key'])
    .execute();
  // What has fired: a threshold ("80"), the forecast ("over") or an anomaly's day ("20261105").
  await db.schema
    .createTable('alert_marks')
    .addColumn('customer_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mark', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_marks_key', ['customer_key', 'period', 'kind', 'mark'])
    .execute();
  await db.schema
    .createTable('alerts')
    .addColumn('alert_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('customer_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_by_partner').on('alerts').columns(['partner_key', 'created_at']).execute();
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('endpoint_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull()) // comma-separated event types; '' = all
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull()) // consecutive failed attempts
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('email_recipients')
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_recipients_key', ['partner_key', 'address'])
    .execute();
  // One row per alert and destination; for a webhook, delivery_id is the webhook-id of every attempt.
  await db.schema
    .createTable('deliveries')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull()) // webhook | email
    .addColumn('target', 'text', (c) => c.notNull()) // endpoint id | address
    .addColumn('status', 'text', (c) => c.notNull()) // pending | delivered | failed
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('audit_log')
    .addColumn('audit_key', 'integer', autoKey)
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text')
    .execute();
}
