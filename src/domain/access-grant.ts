/**
 * An access grant (issue #30): a tenant that is not the partner's — one of its customers, or one
 * of its tier-2 resellers — whose users see that scope of the partner's data, at the customer's
 * prices, never the partner's cost. A customer's grant covers that customer's lines; a reseller's
 * the lines that name it as tier-2 reseller (ResellerMpnId), whichever customers they are of.
 */
export type GrantScope = 'customer' | 'reseller';

/** What a grantee's users may do: read (viewer), also export and change their budgets (analyst). */
export const GRANT_ROLES = ['viewer', 'analyst'] as const;
export type GrantRole = (typeof GRANT_ROLES)[number];

export interface AccessGrant {
  /** The grantee's tenant (lower case): its users' tokens carry it as `tid`. */
  readonly tenantId: string;
  readonly scope: GrantScope;
  /** The customer's tenant id (lower case) or the reseller's MPN id (as given). */
  readonly id: string;
  readonly role: GrantRole;
  /** ISO 8601. */
  readonly createdAt: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An MPN id (Partner Center's PartnerID): digits. */
const MPN_ID = /^\d{1,12}$/;

/** Why a grant as given is refused (a sentence completing "The grant …"), or undefined. */
export function accessGrantProblem(grant: Pick<AccessGrant, 'tenantId' | 'scope' | 'id' | 'role'>): string | undefined {
  if (!GUID.test(grant.tenantId)) return `names tenant "${grant.tenantId}": a tenant id (GUID)`;
  if (grant.scope === 'customer' && !GUID.test(grant.id))
    return `names customer "${grant.id}": a customer's tenant id (GUID)`;
  if (grant.scope === 'reseller' && !MPN_ID.test(grant.id)) return `names reseller "${grant.id}": an MPN id (digits)`;
  if (grant.scope !== 'customer' && grant.scope !== 'reseller') return 'has no scope: a customer or a reseller';
  if (!(GRANT_ROLES as readonly string[]).includes(grant.role))
    return `gives role "${grant.role}": ${GRANT_ROLES.join(' or ')}`;
  return undefined;
}

/** A grant's scope as the API and `--json` give it: `customer` or `reseller`, the other null. */
export const scopeFields = (g: Pick<AccessGrant, 'scope' | 'id'>) => ({
  customer: g.scope === 'customer' ? g.id : null,
  reseller: g.scope === 'reseller' ? g.id : null,
});

/** A grant as the API and `--json` give it. */
export const grantJson = (g: AccessGrant) => ({
  tenantId: g.tenantId,
  ...scopeFields(g),
  role: g.role,
  createdAt: g.createdAt,
});

/** A grant as the audit log and the CLI show it. */
export const describeGrant = (g: Pick<AccessGrant, 'scope' | 'id' | 'role'>): string =>
  `${g.scope} ${g.id} (${g.role})`;
