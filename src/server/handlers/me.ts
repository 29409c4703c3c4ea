import { permits } from '../../contract/access.js';
import { scopeFields } from '../../domain/access-grant.js';
import type { OperationHandler } from '../operation-routes.js';

/** GET /v1/partnerusage/me: who the token is and what it may do (the dashboard hides the rest). */
export const getMe: OperationHandler<'getMe'> = async ({ caller }) => ({
  resource: {
    tenantId: caller.grant?.tenantId ?? caller.partnerTenantId,
    partnerTenantId: caller.partnerTenantId,
    grant: caller.grant ? scopeFields(caller.grant) : null,
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
