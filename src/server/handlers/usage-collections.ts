import { apiErrors } from '../../contract/api-errors.js';
import {
  azureResourceMonthlyUsageRecord,
  customerMonthlyUsageRecord,
  meterUsageRecord,
  resourceUsageRecord,
  subscriptionDailyUsageRecord,
  subscriptionMonthlyUsageRecord,
} from '../../domain/usage-records.js';
import type { KeysetPage, MissingOwner, SubscriptionQuery } from '../../storage/store.js';
import type { Answer, OperationHandler, RequestBase } from '../operation-routes.js';
import type { CollectionPage, UsageCollectionRoute } from '../routes/usage-collection.js';

/** One page from rows fetched one more than asked: `more` when the extra one came. */
function pageOf<R, T>(
  rows: readonly R[],
  page: { limit: number } | undefined,
  map: (row: R) => T,
  key: (row: R) => string,
): CollectionPage<T> {
  const kept = page ? rows.slice(0, page.limit) : rows;
  return {
    items: kept.map(map),
    lastKey: kept.length > 0 ? key(kept.at(-1)!) : undefined,
    more: page !== undefined && rows.length > page.limit,
  };
}

const plusOne = (page: { after?: string; limit: number } | undefined) => page && { ...page, limit: page.limit + 1 };

/** The query of a subscription route, and its 404s. */
function subscriptionQuery(
  {
    caller,
    values,
  }: RequestBase & { readonly values: { readonly 'customer-tenant-id': string; readonly 'subscription-id': string } },
  period: string,
): SubscriptionQuery {
  return {
    partnerTenantId: caller.partnerTenantId,
    customerTenantId: values['customer-tenant-id'],
    subscriptionId: values['subscription-id'],
    period,
  };
}

function check<T extends { found: string }>(result: T, q: SubscriptionQuery): Exclude<T, MissingOwner> {
  if (result.found === 'customer-missing') throw apiErrors.customerNotFound(q.customerTenantId);
  if (result.found === 'subscription-missing') throw apiErrors.subscriptionNotFound(q.subscriptionId);
  return result as Exclude<T, MissingOwner>;
}

/** A collection answer whose links and token binding are the request's own path. */
function collectionAt(request: RequestBase, route: Pick<UsageCollectionRoute<unknown>, 'fetch' | 'count'>): Answer {
  return { collection: { route: request.selfPath, selfUri: request.selfPath, path: request.selfPath, ...route } };
}

/** GET /v1/customers/usagerecords. */
export const getCustomerUsageRecords: OperationHandler<'getCustomerUsageRecords'> = async (request, deps) => {
  const partner = request.caller.partnerTenantId;
  return collectionAt(request, {
    fetch: async (period, page) =>
      pageOf(
        await deps.store.customerUsage(partner, period, plusOne(page)),
        page,
        (row) => customerMonthlyUsageRecord(row, period),
        (row) => row.tenantId,
      ),
    count: () => deps.store.customerCount(partner),
  });
};

/** GET /v1/customers/{c}/subscriptions/usagerecords: one row per Azure plan (or legacy subscription). */
export const getSubscriptionUsageRecords: OperationHandler<'getSubscriptionUsageRecords'> = async (request, deps) => {
  const customer = request.values['customer-tenant-id'];
  return collectionAt(request, {
    fetch: async (period, page) => {
      const result = await deps.store.subscriptionUsage({
        partnerTenantId: request.caller.partnerTenantId,
        customerTenantId: customer,
        period,
      });
      if (result.found !== 'ok') throw apiErrors.customerNotFound(customer);
      const after = page?.after;
      const rows = result.subscriptions.filter((s) => after === undefined || s.subscriptionId > after);
      return pageOf(
        page ? rows.slice(0, page.limit + 1) : rows,
        page,
        (row) => subscriptionMonthlyUsageRecord(row, result.customer, period),
        (row) => row.subscriptionId,
      );
    },
  });
};

type SubscriptionRequest = Parameters<typeof subscriptionQuery>[0];
type PagedQuery = SubscriptionQuery & { readonly page?: KeysetPage };

/**
 * A subscription's keyset-paged collection: the store's page (one row more than asked, to know
 * whether another follows), its 404s, then `rowsOf` (which may refuse the subscription's plan
 * kind) mapped to records.
 */
function subscriptionCollection<T extends { found: string }, R>(
  request: SubscriptionRequest,
  read: (q: PagedQuery) => Promise<T>,
  rowsOf: (result: Exclude<T, MissingOwner>, q: SubscriptionQuery) => readonly R[],
  map: (row: R, result: Exclude<T, MissingOwner>) => unknown,
  key: (row: R) => string,
): Answer {
  return collectionAt(request, {
    fetch: async (period, page) => {
      const q = subscriptionQuery(request, period);
      const result = check(await read({ ...q, ...(page ? { page: plusOne(page)! } : {}) }), q);
      return pageOf(rowsOf(result, q), page, (row) => map(row, result), key);
    },
  });
}

/** GET …/{s}/meterusagerecords. */
export const getSubscriptionUsageRecordsByMeter: OperationHandler<'getSubscriptionUsageRecordsByMeter'> = async (
  request,
  deps,
) =>
  subscriptionCollection(
    request,
    (q: PagedQuery) => deps.store.meterUsage(q),
    (r) => r.meters,
    meterUsageRecord,
    (m) => m.meterId,
  );

/** GET …/{s}/resourceusagerecords: Azure plans only. */
export const getSubscriptionUsageRecordsByResource: OperationHandler<'getSubscriptionUsageRecordsByResource'> = async (
  request,
  deps,
) =>
  subscriptionCollection(
    request,
    (q: PagedQuery) => deps.store.resourceUsage(q),
    (r, q) => {
      if (r.plan !== 'azure-plan') throw apiErrors.wrongPlanKind(q.subscriptionId, 'an Azure plan');
      return r.resources;
    },
    resourceUsageRecord,
    (r) => r.key,
  );

/** GET …/{s}/usagerecords/resources: legacy (0145P) subscriptions only, one record per meter. */
export const getSubscriptionResourceUsageRecords: OperationHandler<'getSubscriptionResourceUsageRecords'> = async (
  request,
  deps,
) =>
  subscriptionCollection(
    request,
    (q: PagedQuery) => deps.store.meterUsage(q),
    (r, q) => {
      if (r.plan !== 'legacy') throw apiErrors.wrongPlanKind(q.subscriptionId, 'a legacy (MS-AZR-0145P) subscription');
      return r.meters;
    },
    azureResourceMonthlyUsageRecord,
    (m) => m.meterId,
  );

/** GET …/{s}/usagerecords/daily. */
export const getSubscriptionDailyUsageRecords: OperationHandler<'getSubscriptionDailyUsageRecords'> = async (
  request,
  deps,
) =>
  subscriptionCollection(
    request,
    (q: PagedQuery) => deps.store.subscriptionDays(q),
    (r) => r.days,
    subscriptionDailyUsageRecord,
    (d) => String(d.day),
  );
