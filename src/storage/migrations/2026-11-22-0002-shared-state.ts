import { sql, type Kysely } from 'kysely';

/**
 * State that several server processes on one database share: a version that moves on every
 * write (response caches), and the server's secrets (token signing keys, the continuation-token
 * HMAC key), so that any node verifies what another issued.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('store_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO store_state (id, version) VALUES (1, 0)`.execute(db);
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
