import type { Kysely } from 'kysely';

/**
 * The periods each synced snapshot stored lines in. A snapshot's lines may fall outside the month
 * it was asked for (usage dates in another month); the next snapshot of the same scope replaces
 * the lines of every one of these periods, so none of its lines is left behind (issue #26).
 * A space-separated list of YYYY-MM; empty for snapshots synced before this migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sync_snapshots')
    .addColumn('periods', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}
