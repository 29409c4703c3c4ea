import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Something a partner's change names that it does not have (a customer, an endpoint, a rule…). */
export class NotFound extends Error {}

/** Who changed something, for the audit log: the token's user, or `cli`. */
export type Actor = string;

/** The partner's key, or NotFound when the database holds no such partner. */
export async function partnerKeyOf(db: Kysely<Database>, partnerTenantId: string): Promise<number> {
  const row = await db
    .selectFrom('partners')
    .select('partner_key')
    .where('tenant_id', '=', partnerTenantId.toLowerCase())
    .executeTakeFirst();
  if (!row) throw new NotFound(`no partner ${partnerTenantId} in this database`);
  return row.partner_key;
}

/** What a change writes in the partner's audit log (with its actor). */
export interface AuditLine {
  readonly action: string;
  readonly subject: string;
  readonly oldValue: string | null;
  readonly newValue: string | null;
}

/** One line of the partner's audit log, in the transaction of the change it records. */
export async function writeAudit(
  trx: Transaction<Database>,
  partnerKey: number,
  change: AuditLine & { readonly actor: Actor },
): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      partner_key: partnerKey,
      at: new Date().toISOString(),
      actor: change.actor,
      action: change.action,
      subject: change.subject,
      old_value: change.oldValue,
      new_value: change.newValue,
    })
    .execute();
}

/**
 * A partner's change and its audit line in one transaction: `work` gets the partner's key
 * (NotFound when there is no such partner), makes the change and says what to record.
 */
export function auditedChange<T>(
  db: Kysely<Database>,
  partnerTenantId: string,
  actor: Actor,
  work: (trx: Transaction<Database>, partnerKey: number) => Promise<{ readonly result: T; readonly audit: AuditLine }>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const partnerKey = await partnerKeyOf(trx, partnerTenantId);
    const { result, audit } = await work(trx, partnerKey);
    await writeAudit(trx, partnerKey, { actor, ...audit });
    return result;
  });
}
