import { apiErrors } from '../../contract/api-errors.js';
import { actorOf } from './changes.js';
import { currentBillingPeriod } from '../../domain/usage-model.js';
import { usageBudget } from '../../domain/usage-records.js';
import type { OperationHandler } from '../operation-routes.js';

/** GET /v1/customers/{c}/usagebudget. */
export const getCustomerUsageSpendingBudget: OperationHandler<'getCustomerUsageSpendingBudget'> = async (
  { caller, values, req },
  deps,
) => {
  const customer = values['customer-tenant-id'];
  const row = (await deps.store.customerUsage(caller.partnerTenantId, currentBillingPeriod(), undefined, customer))[0];
  if (!row) throw apiErrors.customerNotFound(customer);
  return { resource: usageBudget(row.budget, versionedPath(req.url), 'GET') };
};

/** PATCH /v1/customers/{c}/usagebudget: the new budget shows in every record at once (the cache moves with the data). */
export const patchCustomerUsageSpendingBudget: OperationHandler<'patchCustomerUsageSpendingBudget'> = async (
  { caller, values, body: { amount }, req },
  deps,
) => {
  const customer = values['customer-tenant-id'];
  if (!(await deps.store.setBudget(caller.partnerTenantId, customer, amount, actorOf(caller))))
    throw apiErrors.customerNotFound(customer);
  return { resource: usageBudget(amount, versionedPath(req.url), 'PATCH'), cache: false };
};

/** The budget's self link as Partner Center's example writes it: with /v1. */
const versionedPath = (url: string) => url.split('?')[0]!.replace(/\/+$/, '');
