import type { Kysely, Selectable } from 'kysely';
import {
  accessGrantProblem,
  describeGrant,
  type AccessGrant,
  type GrantRole,
  type GrantScope,
} from '../domain/access-grant.js';
import type { AccessGrantsTable, Database } from './schema.js';
import { auditedChange, NotFound, type Actor } from './partner-scope.js';

const grantOf = (r: Selectable<AccessGrantsTable>): AccessGrant => ({
  tenantId: r.tenant_id,
  scope: r.scope as GrantScope,
  id: r.scope_id,
  role: r.role as GrantRole,
  createdAt: r.created_at,
});

/** A grant with the partner that gave it: what a grantee's token is resolved to. */
export interface PartnerGrant extends AccessGrant {
  readonly partnerTenantId: string;
}

/**
 * A partner's access grants (src/domain/access-grant.ts): listed, added (a grant of the same
 * tenant is replaced) and removed, each change audited in its transaction.
 */
export class AccessGrantStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly noteChange: () => Promise<void>,
  ) {}

  /** The partner's grants by tenant; none for a partner the database does not hold. */
  async list(partnerTenantId: string): Promise<AccessGrant[]> {
    const rows = await this.db
      .selectFrom('access_grants as g')
      .innerJoin('partners as p', 'p.partner_key', 'g.partner_key')
      .selectAll('g')
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .orderBy('g.tenant_id')
      .execute();
    return rows.map(grantOf);
  }

  /** Every partner's grants: what the server resolves grantees' tokens with. */
  async all(): Promise<PartnerGrant[]> {
    const rows = await this.db
      .selectFrom('access_grants as g')
      .innerJoin('partners as p', 'p.partner_key', 'g.partner_key')
      .selectAll('g')
      .select('p.tenant_id as partner_tenant_id')
      .execute();
    return rows.map((r) => ({ ...grantOf(r), partnerTenantId: r.partner_tenant_id }));
  }

  /**
   * Gives a tenant a view of a customer or reseller: RangeError saying what is wrong with the
   * grant (a partner's own tenant, another partner's grantee), NotFound for a customer the partner
   * does not have. Ids in lower case; an MPN id as given.
   */
  async add(
    partnerTenantId: string,
    given: { tenantId: string; scope: GrantScope; id: string; role: GrantRole },
    actor: Actor,
  ): Promise<AccessGrant> {
    const grant: AccessGrant = {
      tenantId: given.tenantId.trim().toLowerCase(),
      scope: given.scope,
      id: given.scope === 'customer' ? given.id.trim().toLowerCase() : given.id.trim(),
      role: given.role,
      createdAt: new Date().toISOString(),
    };
    const problem = accessGrantProblem(grant);
    if (problem) throw new RangeError(`The grant ${problem}.`);
    await auditedChange(this.db, partnerTenantId, actor, async (trx, partnerKey) => {
      const partner = await trx
        .selectFrom('partners')
        .select('partner_key')
        .where('tenant_id', '=', grant.tenantId)
        .executeTakeFirst();
      // A partner's own users see the partner's data: its tenant cannot be narrowed to a scope.
      if (partner) throw new RangeError(`The grant names tenant ${grant.tenantId}, a partner's own tenant.`);
      if (grant.scope === 'customer') {
        const customer = await trx
          .selectFrom('customers')
          .select('customer_key')
          .where('partner_key', '=', partnerKey)
          .where('tenant_id', '=', grant.id)
          .executeTakeFirst();
        if (!customer) throw new NotFound(`no customer ${grant.id} for this partner`);
      }
      const old = await trx
        .selectFrom('access_grants')
        .selectAll()
        .where('tenant_id', '=', grant.tenantId)
        .executeTakeFirst();
      if (old && old.partner_key !== partnerKey)
        throw new RangeError(`The grant names tenant ${grant.tenantId}, which another partner has given access.`);
      await trx.deleteFrom('access_grants').where('tenant_id', '=', grant.tenantId).execute();
      await trx
        .insertInto('access_grants')
        .values({
          tenant_id: grant.tenantId,
          partner_key: partnerKey,
          scope: grant.scope,
          scope_id: grant.id,
          role: grant.role,
          created_at: grant.createdAt,
        })
        .execute();
      return {
        result: grant,
        audit: {
          action: 'access.add',
          subject: grant.tenantId,
          oldValue: old ? describeGrant(grantOf(old)) : null,
          newValue: describeGrant(grant),
        },
      };
    });
    await this.noteChange();
    return grant;
  }

  /** Removes a tenant's grant (returned as it was); NotFound when the partner gave it none. */
  async remove(partnerTenantId: string, tenantId: string, actor: Actor): Promise<AccessGrant> {
    const removed = await auditedChange(this.db, partnerTenantId, actor, async (trx, partnerKey) => {
      const row = await trx
        .deleteFrom('access_grants')
        .where('partner_key', '=', partnerKey)
        .where('tenant_id', '=', tenantId.trim().toLowerCase())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NotFound(`no access grant for tenant ${tenantId} from this partner`);
      const grant = grantOf(row);
      return {
        result: grant,
        audit: { action: 'access.remove', subject: grant.tenantId, oldValue: describeGrant(grant), newValue: null },
      };
    });
    await this.noteChange();
    return removed;
  }
}
