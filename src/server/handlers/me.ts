import { permits } from '../../contract/access.js';
import type { OperationHandler } from '../operation-routes.js';

/** GET /v1/partnerusage/me: who the token is and what it may do (the dashboard hides the rest). */
export const getMe: OperationHandler<'getMe'> = async ({ caller }) => ({
  resource: {
    tenantId: caller.grant?.tenantId ?? caller.partnerTenantId,
    partnerTenantId: caller.partnerTenantId,
    grant: caller.grant
      ? {
          customer: caller.grant.scope === 'customer' ? caller.grant.id : null,
          reseller: caller.grant.scope === 'reseller' ? caller.grant.id : null,
        }
      : null,
    user: caller.user ?? null,
    role: caller.role ?? null,
    may: {
      read: true,
      export: permits(caller.role, 'export'),
      // A grantee changes only its own customers' budgets, with the analyst role.
      change: caller.grant ? caller.grant.role === 'analyst' : permits(caller.role, 'change'),
    },
  },
  cache: false,
});
