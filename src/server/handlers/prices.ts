import { apiErrors } from '../../contract/api-errors.js';
import { JsonDecimal } from '../../contract/exact-json.js';
import { margins, sortMargins, type MarginRow } from '../../pricing/margins.js';
import { statementOf } from '../../pricing/statement.js';
import { statementCsv, writeStatementPdf } from '../../pricing/statement-pdf.js';
import { NotFound } from '../../storage/partner-scope.js';
import { resolvePeriod } from '../collection-query.js';
import type { OperationHandler } from '../operation-routes.js';
import { actorOf, changed } from './changes.js';

// Our extension routes for what the partner charges and keeps (issue #29). Rules, lines and kept
// price bases change only through the store, which moves the data version: the reads are cached
// as any other.

export const listPriceRules: OperationHandler<'listPriceRules'> = async ({ caller }, deps) => {
  // Rules change only through the store, which moves the data version: cached as any read.
  const items = await deps.store.prices.rules(caller.partnerTenantId);
  return { resource: { totalCount: items.length, items } };
};

export const createPriceRule: OperationHandler<'createPriceRule'> = (request, deps) =>
  changed(deps.store.prices.set(request.caller.partnerTenantId, request.body, actorOf(request.caller)), true);

export const deletePriceRule: OperationHandler<'deletePriceRule'> = (request, deps) =>
  changed(deps.store.prices.remove(request.caller.partnerTenantId, request.values['rule-id'], actorOf(request.caller)));

/** Each kept list of rows sorted once per order asked (its pages are then slices): gone with the rows. */
const sortings = new WeakMap<readonly MarginRow[], Map<string, MarginRow[]>>();
function sortedOnce(rows: readonly MarginRow[], order: string, sort: () => MarginRow[]): MarginRow[] {
  let orders = sortings.get(rows);
  if (!orders) sortings.set(rows, (orders = new Map()));
  let sorted = orders.get(order);
  if (!sorted) orders.set(order, (sorted = sort()));
  return sorted;
}

/**
 * GET /v1/partnerusage/margins: a sorted page, figures as exact JSON numbers. The rows are kept for
 * the lines and rules they were computed from (pricing/margins.ts): the pages of 100k customers are
 * then only sorted.
 */
export const getMargins: OperationHandler<'getMargins'> = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const period = resolvePeriod(values.period);
  const customer = values.customer;
  if (customer !== undefined && (await deps.store.subscriptionIds(partner, customer)) === undefined) {
    throw apiErrors.customerNotFound(customer);
  }
  const rows = await margins(deps.store, partner, period, values.groupBy, customer);
  const sorted = sortedOnce(rows, `${values.sort}|${values.order}`, () => sortMargins(rows, values.sort, values.order));
  // One currency's rows: amounts of different currencies are not compared by their numbers.
  const kept = values.currency === undefined ? sorted : sorted.filter((r) => r.currency === values.currency);
  const items = kept.slice(values.offset, values.offset + values.size).map((r) => ({
    ...r,
    cost: new JsonDecimal(r.cost),
    price: new JsonDecimal(r.price),
    margin: new JsonDecimal(r.margin),
    marginPercent: r.marginPercent === null ? null : new JsonDecimal(r.marginPercent),
    pecEarned: new JsonDecimal(r.pecEarned),
    usdCost: new JsonDecimal(r.usdCost),
    usdPrice: new JsonDecimal(r.usdPrice),
  }));
  return { resource: { totalCount: kept.length, items } };
};

/** GET /v1/partnerusage/customers/{c}/statement.{pdf|csv}: a customer the partner does not have is 404. */
export const getCustomerStatement: OperationHandler<'getCustomerStatement'> = async ({ caller, values }, deps) => {
  const period = resolvePeriod(values.period);
  const customer = values['customer-tenant-id'];
  let statement;
  try {
    statement = await statementOf(deps.store, caller.partnerTenantId, customer, period);
  } catch (error) {
    if (error instanceof NotFound) throw apiErrors.customerNotFound(customer);
    throw error;
  }
  const pdf = values.format === 'pdf';
  return {
    download: {
      contentType: pdf ? 'application/pdf' : 'text/csv; charset=utf-8',
      filename: `statement-${customer}-${period}.${values.format}`,
      write: async (out) => {
        if (pdf) await writeStatementPdf(statement, out);
        else out.end(statementCsv(statement));
      },
    },
  };
};
