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

/** One line of the partner's audit log, in the transaction of the change it records. */
export async function writeAudit(
  trx: Transaction<Database>,
  partnerKey: number,
  change: {
    readonly actor: Actor;
    readonly action: string;
    readonly subject: string;
    readonly oldValue: string | null;
    readonly newValue: string | null;
  },
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
