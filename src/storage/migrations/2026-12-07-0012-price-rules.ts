import type { CreateTableBuilder, Kysely } from 'kysely';

/**
 * Price rules (issue #29): what a partner charges its customers, per partner, optionally per
 * customer or tier-2 reseller and narrowed to a meter category or a publisher, from a billing period
 * on. One rule per (partner, scope, narrowing, first period): setting it again replaces it. The
 * adjustment is decimal text (exact); empty text stands for "none" in the scope columns, so the
 * unique key holds on both databases (a NULL is never equal to another).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let table: CreateTableBuilder<'price_rules', string> = db.schema
    .createTable('price_rules')
    .addColumn('rule_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_key', 'integer', (c) => c.notNull());
  // The rest is text, never null.
  for (const column of [
    'basis',
    'adjust',
    'customer_tenant_id',
    'reseller',
    'category',
    'publisher',
    'from_period',
    'created_at',
  ])
    table = table.addColumn(column, 'text', (c) => c.notNull());
  await table
    .addUniqueConstraint('price_rules_scope', [
      'partner_key',
      'customer_tenant_id',
      'reseller',
      'category',
      'publisher',
      'from_period',
    ])
    .execute();
}
