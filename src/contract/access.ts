// Who may do what (issue #30): three roles, from the token's `roles` claim (Entra ID app roles) or
// mapped from its groups by setting, and what each operation of the table does. A token without
// any of these roles keeps Partner Center's rules — what a partner's App+User token could do before
// roles existed — so Partner Center's clients keep working.

/** What an operation does, as the roles see it. */
export type Access = 'read' | 'export' | 'change' | 'ingest';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The app role (Entra ID) that gives each role. */
export const ROLE_CLAIMS: Readonly<Record<Role, string>> = {
  admin: 'PartnerUsage.Admin',
  analyst: 'PartnerUsage.Analyst',
  viewer: 'PartnerUsage.Viewer',
};

/** The role a set of app roles or mapped groups gives: the highest of them; undefined without any. */
export function roleOf(names: Iterable<string>): Role | undefined {
  let best = -1;
  for (const name of names) {
    const i = ROLES.findIndex((r) => ROLE_CLAIMS[r] === name || r === name);
    if (i > best) best = i;
  }
  return best < 0 ? undefined : ROLES[best];
}

/**
 * What an operation does: a read (GET), an export (a GET that answers a file), a change (any other
 * method) — unless the table says otherwise (sending line items: its own PartnerUsage.Ingest permission).
 */
export const accessOf = (o: {
  readonly method: string;
  readonly download?: boolean;
  readonly access?: Access;
}): Access => o.access ?? (o.method === 'GET' ? (o.download ? 'export' : 'read') : 'change');

/** Whether a caller with `role` may do what `access` is: viewers read, analysts also export, admins also change. */
export function permits(role: Role | undefined, access: Access): boolean {
  if (role === undefined || access === 'ingest' || access === 'read') return true;
  return access === 'export' ? role !== 'viewer' : role === 'admin';
}

/** The least role that may do `access`. */
export const roleFor = (access: Access): Role =>
  access === 'change' ? 'admin' : access === 'export' ? 'analyst' : 'viewer';

/**
 * What a grantee — a customer's or a reseller's tenant with an access grant — gets of an
 * operation: `view`, the operation answered from its scope's priced view (pricing/priced-view.ts);
 * `own`, a change it may make on its own scope with the analyst role (its customers' budgets);
 * `none`, nothing (the partner's own: its webhooks, rules, margins, grants): 404, as a path that
 * does not exist. Unless the table says otherwise, reads and exports are `view`, changes `none`.
 */
export type GrantedUse = 'view' | 'own' | 'none';

export const grantedOf = (o: Parameters<typeof accessOf>[0] & { readonly granted?: GrantedUse }): GrantedUse =>
  o.granted ?? (accessOf(o) === 'read' || accessOf(o) === 'export' ? 'view' : 'none');
