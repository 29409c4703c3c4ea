import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * Every column of every line as the file wrote it (issue #27): a line block's `fields`, encoded by
 * src/domain/line-fields.ts, and the dictionaries they number values in, one per parser of an
 * import (`line_dictionaries`, in parts: the values each block brought first). Null for blocks
 * stored before: their lines keep what was kept then (the dimensions and the three amounts), and
 * exports fill the rest as before; importing their files again stores them whole. On PostgreSQL
 * stored uncompressed, like the other block columns (migration 0003): the dictionaries already
 * remove the repetition pglz would find.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { bytes } = columnTypes(db);
  await db.schema.alterTable('line_blocks').addColumn('fields', bytes).execute();
  // A resource's id as the file spelled it, for display (its key, \`uri\`, is lower-cased); resources
  // stored before keep their key's spelling until a file names them again.
  await db.schema
    .alterTable('resources')
    .addColumn('display_uri', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await sql`UPDATE resources SET display_uri = uri`.execute(db);
  await db.schema
    .createTable('line_dictionaries')
    .addColumn('batch_id', 'integer', (c) => c.notNull().references('import_batches.batch_id'))
    .addColumn('parser', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('delta', bytes, (c) => c.notNull())
    .addPrimaryKeyConstraint('line_dictionaries_key', ['batch_id', 'parser', 'seq'])
    .execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`ALTER TABLE line_blocks ALTER COLUMN fields SET STORAGE EXTERNAL`.execute(db);
    await sql`ALTER TABLE line_dictionaries ALTER COLUMN delta SET STORAGE EXTERNAL`.execute(db);
  }
}
