import { apiErrors } from '../../contract/api-errors.js';
import { JsonDecimal, parseExact } from '../../contract/exact-json.js';
import { currentBillingPeriod } from '../../domain/usage-model.js';
import { usageBudget } from '../../domain/usage-records.js';
import { readBudgetAmount } from '../../domain/budget.js';
import type { OperationHandler } from '../operation-routes.js';

/** A budget body is a few dozen bytes; anything far larger is not one. */
export const BUDGET_BODY_BYTES = 1024;
/** Beyond any customer's monthly Azure budget: a typo, not a budget. */

/** The property of `body` named `name` in any case (the .NET SDK writes PascalCase). */
function property(body: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  const keys = Object.keys(body).filter((k) => k.toLowerCase() === name);
  if (keys.length > 1) throw apiErrors.invalidBody(`The body names ${name} more than once (${keys.join(', ')}).`);
  return keys.length === 0 ? { found: false, value: undefined } : { found: true, value: body[keys[0]!] };
}

/** The new amount (null: no budget) of a PATCH body, or a 400 naming what is wrong. */
export function readBudgetBody(contentType: string | undefined, text: unknown): string | null {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    throw apiErrors.invalidBody('The body must be application/json: {"amount": 100} (null removes the budget).');
  }
  if (typeof text !== 'string' || Buffer.byteLength(text) > BUDGET_BODY_BYTES) {
    throw apiErrors.invalidBody(`The body must be a SpendingBudget of at most ${BUDGET_BODY_BYTES} bytes.`);
  }
  let body: unknown;
  try {
    body = parseExact(text);
  } catch {
    throw apiErrors.invalidBody('The body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw apiErrors.invalidBody('The body must be a SpendingBudget object, e.g. {"amount": 100}.');
  }
  const record = body as Record<string, unknown>;
  const attributes = property(record, 'attributes').value;
  if (attributes !== undefined && attributes !== null && typeof attributes === 'object') {
    const objectType = property(attributes as Record<string, unknown>, 'objecttype').value;
    if (objectType !== undefined && objectType !== 'SpendingBudget') {
      throw apiErrors.invalidBody(`The body's objectType must be SpendingBudget, not ${JSON.stringify(objectType)}.`);
    }
  }
  const amount = property(record, 'amount');
  if (!amount.found) throw apiErrors.invalidBody('The body has no amount (null removes the budget).');
  if (amount.value === null) return null;
  const given =
    amount.value instanceof JsonDecimal
      ? amount.value.text
      : typeof amount.value === 'number'
        ? String(amount.value)
        : undefined;
  if (given === undefined) throw apiErrors.invalidBody(`The amount ${JSON.stringify(amount.value)} is not a number.`);
  const read = readBudgetAmount(given);
  if ('problem' in read) throw apiErrors.invalidBody(`The amount ${given} ${read.problem}.`);
  return read.amount;
}

/** GET /v1/customers/{c}/usagebudget. */
export const getCustomerUsageSpendingBudget: OperationHandler = async ({ caller, values, req }, deps) => {
  const customer = values['customer-tenant-id'] as string;
  const row = (await deps.store.customerUsage(caller.partnerTenantId, currentBillingPeriod(), undefined, customer))[0];
  if (!row) throw apiErrors.customerNotFound(customer);
  return { resource: usageBudget(row.budget, versionedPath(req.url), 'GET') };
};

/** PATCH /v1/customers/{c}/usagebudget: the new budget shows in every record at once (the cache moves with the data). */
export const patchCustomerUsageSpendingBudget: OperationHandler = async ({ caller, values, req }, deps) => {
  const customer = values['customer-tenant-id'] as string;
  const amount = readBudgetBody(req.headers['content-type'], req.body);
  if (!(await deps.store.setBudget(caller.partnerTenantId, customer, amount, caller.user ?? 'application')))
    throw apiErrors.customerNotFound(customer);
  return { resource: usageBudget(amount, versionedPath(req.url), 'PATCH'), cache: false };
};

/** The budget's self link as Partner Center's example writes it: with /v1. */
const versionedPath = (url: string) => url.split('?')[0]!.replace(/\/+$/, '');
