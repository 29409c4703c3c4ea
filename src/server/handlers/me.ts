import { permits } from '../../contract/access.js';
import type { OperationHandler } from '../operation-routes.js';

/** GET /v1/partnerusage/me: who the token is and what it may do (the dashboard hides the rest). */
export const getMe: OperationHandler<'getMe'> = async ({ caller }) => ({
  resource: {
    tenantId: caller.partnerTenantId,
    user: caller.user ?? null,
    role: caller.role ?? null,
    may: {
      read: true,
      export: permits(caller.role, 'export'),
      change: permits(caller.role, 'change'),
    },
  },
  cache: false,
});
