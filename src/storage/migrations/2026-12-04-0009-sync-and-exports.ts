import type { Kysely } from 'kysely';

/**
 * Data in without hands (issue #15). `export_operations`: Microsoft Graph's billing exports this
 * server emulates, shared by every node on the database (a poll may reach any of them).
 * `sync_snapshots`: the eTag of each (partner, source, period, currency) snapshot a sync imported,
 * so an unchanged one is skipped. `sync_pages`: the pages of an older line-item download so far,
 * so a failed one resumes from the last page it stored. `sync_credentials`: what `sync` and
 * `serve`'s schedule sign in with, the secret encrypted (AES-256-GCM) with a key kept outside
 * the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('export_operations')
    .addColumn('operation_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_tenant_id', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull()) // JSON: kind, period, currency, attributeSet, invoiceId
    .addColumn('polls', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('manifest_id', 'text')
    .addColumn('result', 'text') // JSON: the manifest (or the error) once the operation has ended
    .execute();
  await db.schema.createIndex('export_operations_by_manifest').on('export_operations').column('manifest_id').execute();
  await db.schema
    .createTable('sync_snapshots')
    .addColumn('scope', 'text', (c) => c.primaryKey()) // "partner|source|period|currency"
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('lines', 'integer', (c) => c.notNull())
    .addColumn('synced_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('sync_pages')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('page', 'integer', (c) => c.notNull())
    .addColumn('next_token', 'text') // null on the last page
    .addColumn('items', 'text', (c) => c.notNull()) // the page's line items, NDJSON
    .addPrimaryKeyConstraint('sync_pages_key', ['scope', 'page'])
    .execute();
  await db.schema
    .createTable('sync_credentials')
    .addColumn('partner_tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull()) // JSON: source, client id, authority, URLs, currencies
    .addColumn('secret', 'text', (c) => c.notNull()) // iv.tag.ciphertext, base64url
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
