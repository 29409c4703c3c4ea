import type { Kysely } from 'kysely';

/**
 * The partner of record of a subscription (the file's MpnId), which Partner Center writes on an
 * Azure plan's subscription records as `partnerOnRecord`. Empty until a file naming it is imported
 * again: the stored lines do not hold it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('subscriptions')
    .addColumn('partner_on_record', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}
