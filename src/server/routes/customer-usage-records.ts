import type { FastifyInstance } from 'fastify';
import type { CustomerMonthlyUsageRecord } from '../../contract/resources.js';
import { customerMonthlyUsageRecord } from '../../domain/usage-records.js';
import { authorizeAppUser } from '../auth/authorize.js';
import type { ServerDeps } from '../server-deps.js';
import { answerCollection } from './usage-collection.js';
import { rejectOtherMethods } from './reject-other-methods.js';

const PATH = '/v1/customers/usagerecords';

/** GET /v1/customers/usagerecords — CustomerMonthlyUsageRecord for every customer of the caller. */
export function customerUsageRecordsRoute(app: FastifyInstance, deps: ServerDeps): void {
  app.get(PATH, async (req, reply) => {
    const caller = await authorizeAppUser(deps.verifier, req);
    const partner = caller.partnerTenantId;
    return answerCollection<CustomerMonthlyUsageRecord>(deps, caller, req, reply, {
      route: 'customers/usagerecords',
      selfUri: '/customers/usagerecords',
      path: PATH,
      fetch: async (period, page) => {
        const rows = await deps.store.customerUsage(partner, period, page && { ...page, limit: page.limit + 1 });
        const items = (page ? rows.slice(0, page.limit) : rows).map((row) => customerMonthlyUsageRecord(row, period));
        return { items, lastKey: items.at(-1)?.id, more: page !== undefined && rows.length > page.limit };
      },
      count: () => deps.store.customerCount(partner),
    });
  });
  rejectOtherMethods(app, PATH);
}
