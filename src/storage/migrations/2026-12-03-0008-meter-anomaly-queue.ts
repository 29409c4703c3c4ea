import type { Kysely } from 'kysely';

/**
 * Meter anomalies (issue #13) are looked for after an import commits, from its stored lines:
 * summing every meter's days inside the import would cost as much as storing the lines again.
 * The import queues its (partner, period) here in its own transaction — so no committed import is
 * ever missed and a rolled-back one queues nothing — and a sender (serve, `deliver --once`) takes
 * the row, evaluates, and deletes it with the alerts it raised. `token` changes with each queuing:
 * an evaluation whose token is no longer the row's read data an import has since replaced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('anomaly_queue')
    .addColumn('scope', 'text', (c) => c.primaryKey()) // "partner_key/period"
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .execute();
}
