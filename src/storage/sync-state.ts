import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ExportOperationRow {
  readonly operationId: string;
  readonly partnerTenantId: string;
  /** The export's request as the server recorded it (JSON). */
  readonly request: string;
  /** Polls so far, this one included. */
  readonly polls: number;
  readonly createdAt: string;
  readonly manifestId: string | null;
  /** The ended operation's outcome (JSON): its manifest or its error. */
  readonly result: string | null;
}

export interface StagedPage {
  readonly page: number;
  readonly nextToken: string | null;
  readonly items: string;
}

export interface StoredCredential {
  readonly partnerTenantId: string;
  readonly settings: string;
  readonly secret: string;
  readonly updatedAt: string;
}

/**
 * What syncing and the emulated export flow keep between requests and runs (migration 0009): in
 * the database, so that every server node and every `sync` process sees the same.
 */
export class SyncState {
  constructor(private readonly db: Kysely<Database>) {}

  async createOperation(row: Omit<ExportOperationRow, 'polls' | 'manifestId' | 'result'>): Promise<void> {
    await this.db
      .insertInto('export_operations')
      .values({
        operation_id: row.operationId,
        partner_tenant_id: row.partnerTenantId,
        request: row.request,
        polls: 0,
        created_at: row.createdAt,
        manifest_id: null,
        result: null,
      })
      .execute();
  }

  /** Counts a poll of the partner's operation and returns it; undefined when it has no such one. */
  async pollOperation(operationId: string, partnerTenantId: string): Promise<ExportOperationRow | undefined> {
    const row = await this.db
      .updateTable('export_operations')
      .set({ polls: sql<number>`polls + 1` })
      .where('operation_id', '=', operationId)
      .where('partner_tenant_id', '=', partnerTenantId)
      .returningAll()
      .executeTakeFirst();
    return row && toOperation(row);
  }

  /** Records an operation's outcome once: a later call (another node's poll) keeps the first. */
  async endOperation(operationId: string, manifestId: string | null, result: string): Promise<ExportOperationRow> {
    await this.db
      .updateTable('export_operations')
      .set({ manifest_id: manifestId, result })
      .where('operation_id', '=', operationId)
      .where('result', 'is', null)
      .execute();
    const row = await this.db
      .selectFrom('export_operations')
      .selectAll()
      .where('operation_id', '=', operationId)
      .executeTakeFirstOrThrow();
    return toOperation(row);
  }

  async operationOfManifest(manifestId: string, partnerTenantId: string): Promise<ExportOperationRow | undefined> {
    const row = await this.db
      .selectFrom('export_operations')
      .selectAll()
      .where('manifest_id', '=', manifestId)
      .where('partner_tenant_id', '=', partnerTenantId)
      .executeTakeFirst();
    return row && toOperation(row);
  }

  /** Operations older than `before` (ISO-8601) are forgotten, as Microsoft's expire. */
  async forgetOperations(before: string): Promise<void> {
    await this.db.deleteFrom('export_operations').where('created_at', '<', before).execute();
  }

  /** The stored snapshot of a scope: its eTag and the periods its lines are in. */
  async snapshot(scope: string): Promise<{ etag: string; periods: string[] } | undefined> {
    const row = await this.db
      .selectFrom('sync_snapshots')
      .select(['etag', 'periods'])
      .where('scope', '=', scope)
      .executeTakeFirst();
    return row && { etag: row.etag, periods: row.periods.split(' ').filter((p) => p !== '') };
  }

  async stagedPages(scope: string): Promise<StagedPage[]> {
    const rows = await this.db
      .selectFrom('sync_pages')
      .select(['page', 'next_token', 'items'])
      .where('scope', '=', scope)
      .orderBy('page')
      .execute();
    return rows.map((r) => ({ page: Number(r.page), nextToken: r.next_token, items: r.items }));
  }

  async stagePage(scope: string, page: StagedPage): Promise<void> {
    await this.db
      .insertInto('sync_pages')
      .values({ scope, page: page.page, next_token: page.nextToken, items: page.items })
      .execute();
  }

  async clearPages(scope: string): Promise<void> {
    await clearPages(this.db, scope);
  }

  async saveCredential(c: StoredCredential): Promise<void> {
    await this.db
      .insertInto('sync_credentials')
      .values({
        partner_tenant_id: c.partnerTenantId,
        settings: c.settings,
        secret: c.secret,
        updated_at: c.updatedAt,
      })
      .onConflict((oc) =>
        oc.column('partner_tenant_id').doUpdateSet({ settings: c.settings, secret: c.secret, updated_at: c.updatedAt }),
      )
      .execute();
  }

  async credentials(): Promise<StoredCredential[]> {
    const rows = await this.db.selectFrom('sync_credentials').selectAll().orderBy('partner_tenant_id').execute();
    return rows.map((r) => ({
      partnerTenantId: r.partner_tenant_id,
      settings: r.settings,
      secret: r.secret,
      updatedAt: r.updated_at,
    }));
  }

  async removeCredential(partnerTenantId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sync_credentials')
      .where('partner_tenant_id', '=', partnerTenantId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/**
 * Records a synced snapshot's eTag and drops its staged pages: called inside the import's
 * transaction (the importer's beforeCommit), so the eTag is stored exactly when its lines are.
 */
export async function recordSnapshot(
  db: Kysely<Database>,
  snapshot: { scope: string; etag: string; lines: number; syncedAt: string; periods: readonly string[] },
): Promise<void> {
  const values = {
    etag: snapshot.etag,
    lines: snapshot.lines,
    synced_at: snapshot.syncedAt,
    periods: snapshot.periods.join(' '),
  };
  await db
    .insertInto('sync_snapshots')
    .values({ scope: snapshot.scope, ...values })
    .onConflict((oc) => oc.column('scope').doUpdateSet(values))
    .execute();
  await clearPages(db, snapshot.scope);
}

async function clearPages(db: Kysely<Database>, scope: string): Promise<void> {
  await db.deleteFrom('sync_pages').where('scope', '=', scope).execute();
}

function toOperation(row: Database['export_operations']): ExportOperationRow {
  return {
    operationId: row.operation_id,
    partnerTenantId: row.partner_tenant_id,
    request: row.request,
    polls: Number(row.polls),
    createdAt: row.created_at,
    manifestId: row.manifest_id,
    result: row.result,
  };
}
