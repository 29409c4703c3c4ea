import type { Kysely } from 'kysely';

/**
 * Access grants (issue #30): a tenant other than the partner's — a customer's or a tier-2
 * reseller's — whose users see that scope of the partner's data. One grant per grantee tenant
 * (its users' tokens name only the tenant); adding it again replaces it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('access_grants')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_key', 'integer', (c) => c.notNull());
  for (const column of ['scope', 'scope_id', 'role', 'created_at'])
    table = table.addColumn(column, 'text', (c) => c.notNull());
  await table.execute();
  await db.schema.createIndex('access_grants_partner').on('access_grants').column('partner_key').execute();
}
