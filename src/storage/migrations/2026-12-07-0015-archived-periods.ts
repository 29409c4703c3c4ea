import type { Kysely } from 'kysely';

/**
 * Archived periods (issue #31): a partner's month whose lines were written to a file and removed
 * from the line blocks, its totals kept. `lines` is null while the archive is being written (the
 * period already refuses imports then); `tag` is what the period's lines were tagged as (their
 * snapshot tag), so the price bases kept for them stay in use.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('archived_periods')
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull());
  for (const column of ['archived_at', 'file']) table = table.addColumn(column, 'text', (c) => c.notNull());
  await table
    .addColumn('tag', 'text')
    .addColumn('lines', 'integer')
    .addPrimaryKeyConstraint('archived_periods_key', ['partner_key', 'period'])
    .execute();
}
