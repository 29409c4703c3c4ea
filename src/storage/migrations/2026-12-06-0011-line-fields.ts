import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Every column of every line as the file wrote it (issue #27): a line block's `fields`, encoded by
 * src/domain/line-fields.ts. Null for blocks stored before: their lines keep what was kept then
 * (the dimensions and the three amounts), and exports fill the rest as before; importing their
 * files again stores them whole. On PostgreSQL stored uncompressed, like the other block columns
 * (migration 0003): the dictionary encoding already removes the repetition pglz would find.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { bytes } = columnTypes(db);
  await db.schema.alterTable('line_blocks').addColumn('fields', bytes).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`ALTER TABLE line_blocks ALTER COLUMN fields SET STORAGE EXTERNAL`.execute(db);
  }
}
