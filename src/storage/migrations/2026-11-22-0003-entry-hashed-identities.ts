import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Line identities are now hashed from the dictionary entries' hashes (src/ingest/line-identity.ts),
 * not from the identity columns' bytes directly: lines stored before cannot be matched by a new
 * import, which would count them twice. No release stored any; a development database that did
 * is refused with a clear message rather than silently double-counted.
 *
 * On PostgreSQL, line blocks' byte columns are stored uncompressed (STORAGE EXTERNAL): pglz
 * compression of ~600 KB a block was measured at most of an import's time in the server
 * (1M lines: 2.5 s of block inserts, 0.6–1.0 s without).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const stored = await sql<{ n: number }>`SELECT count(*) AS n FROM line_blocks`.execute(db);
  if (Number(stored.rows[0]?.n ?? 0) > 0) {
    throw new Error(
      'this database holds line items imported with an earlier line identity (a development build); ' +
        'create a new database and import the files again',
    );
  }
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const column of ['identities', 'ordinals', 'resources', 'meters', 'days', 'amounts', 'replaced']) {
      await sql`ALTER TABLE line_blocks ALTER COLUMN ${sql.ref(column)} SET STORAGE EXTERNAL`.execute(db);
    }
  }
}
