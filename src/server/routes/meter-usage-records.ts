import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';
import type { MeterUsageRecord } from '../../contract/resources.js';
import { meterUsageRecord } from '../../domain/usage-records.js';
import { authorizeAppUser } from '../auth/authorize.js';
import { guidParam } from '../collection-query.js';
import type { ServerDeps } from '../server-deps.js';
import { answerCollection } from './usage-collection.js';
import { rejectOtherMethods } from './reject-other-methods.js';

const PATH = '/v1/customers/:customerId/subscriptions/:subscriptionId/meterusagerecords';

/**
 * GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/meterusagerecords —
 * MeterUsageRecord per meter of one subscription (for an Azure plan, the plan id). A customer or
 * subscription that does not exist and one of another partner get the same 404.
 */
export function meterUsageRecordsRoute(app: FastifyInstance, deps: ServerDeps): void {
  app.get(PATH, async (req, reply) => {
    const caller = await authorizeAppUser(deps.verifier, req);
    const params = req.params as { customerId: string; subscriptionId: string };
    const customer = guidParam('customer-tenant-id', params.customerId);
    const subscription = guidParam('subscription-id', params.subscriptionId);
    const path = `/customers/${customer}/subscriptions/${subscription}/meterusagerecords`;
    return answerCollection<MeterUsageRecord>(deps, caller, req, reply, {
      route: path,
      selfUri: path,
      path: `/v1${path}`,
      fetch: async (period, page) => {
        const result = await deps.store.meterUsage({
          partnerTenantId: caller.partnerTenantId,
          customerTenantId: customer,
          subscriptionId: subscription,
          period,
          ...(page ? { page: { ...page, limit: page.limit + 1 } } : {}),
        });
        if (result.found === 'customer-missing') throw apiErrors.customerNotFound(customer);
        if (result.found === 'subscription-missing') throw apiErrors.subscriptionNotFound(subscription);
        const rows = page ? result.meters.slice(0, page.limit) : result.meters;
        return {
          items: rows.map((m) => meterUsageRecord(m, result)),
          lastKey: rows.at(-1)?.meterId,
          more: page !== undefined && result.meters.length > page.limit,
        };
      },
    });
  });
  rejectOtherMethods(app, PATH);
}
