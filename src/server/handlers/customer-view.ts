import { apiErrors } from '../../contract/api-errors.js';
import { JsonDecimal } from '../../contract/exact-json.js';
import { countRows, presort, viewCustomers, type CustomerViewData, type ViewRow } from '../../domain/customer-view.js';
import { VIEW_SORTS, type ViewSort } from '../../contract/view-options.js';
import { percentUsed } from '../../domain/percent-used.js';
import { addDays, dayDate, periodDays, periodOf } from '../../domain/usage-day.js';
import { formatDecimal } from '../../money/decimal.js';
import { resolvePeriod } from '../collection-query.js';
import type { OperationHandler } from '../operation-routes.js';
import type { ServerDeps } from '../server-deps.js';
import { customerStandings } from './customer-forecasts.js';
import { keptMargins } from '../../pricing/margins.js';

/** The dashboard's routes under /v1/partnerusage/customers (issue #14), our extension. */

/**
 * A partner's rows for a period with the header's figures, computed once per data version
 * (deps.views): a view of 100k customers is then only sorted and filtered for each request (tens
 * of ms), not recomputed from the store (seconds).
 */
async function viewData(deps: ServerDeps, partner: string, period: string): Promise<CustomerViewData> {
  const [customers, periods, lastImportAt, lastDay] = await Promise.all([
    deps.store.customerUsage(partner, period),
    deps.store.periods(partner),
    deps.store.lastImportAt(partner),
    deps.store.lastUsageDay(partner, period),
  ]);
  const standings = await customerStandings(deps, partner, period, customers);
  // Price and margin where the period's price bases are kept (serve keeps them current): one currency a customer.
  const priced = new Map((await keptMargins(deps.store, partner, period, 'customer'))?.map((m) => [m.group, m]));
  const rows: ViewRow[] = customers.map((c) => {
    const s = standings.get(c.tenantId)!;
    const m = priced.get(c.tenantId);
    // A customer without lines the bases cover has price and margin 0 once they are kept.
    const none = priced.size > 0 ? '0' : null;
    return {
      id: c.tenantId,
      name: c.name,
      plan: c.plan,
      currency: c.currency,
      currencyLocale: c.currencyLocale,
      totalCost: c.billingTotal,
      usdTotalCost: c.usdTotal,
      budget: c.budget,
      percentUsed: formatDecimal(percentUsed(c.billingTotal, c.budget)),
      forecast: s.forecast,
      overBudget: s.overBudget,
      trendingOver: s.trendingOver,
      anomalies: s.extension.anomalies,
      lastModified: c.lastModified,
      price: m?.price ?? none,
      margin: m?.margin ?? none,
      marginPercent: m?.marginPercent ?? null,
    };
  });
  return {
    rows,
    ...countRows(rows),
    periods,
    lastImportAt,
    lastUsageDay: lastDay === undefined ? null : dayDate(lastDay),
  };
}

/**
 * The order a click on each column header asks first (name ascending, the others descending),
 * sorted in the background one at a time once a view's rows are computed, so that the first click
 * after an import or a budget change finds its order sorted (~50 ms each at 100k customers).
 */
function presortLater(rows: readonly ViewRow[]): void {
  // The likeliest first: spend and name, then the other money columns.
  const likely = ['totalCost', 'name', 'budget', 'forecast', 'price', 'margin', 'marginPercent', 'usdTotalCost'];
  const orders = [...likely, ...VIEW_SORTS.filter((s) => !likely.includes(s))].map(
    (sort) => [sort as ViewSort, sort === 'name' ? 'asc' : 'desc'] as const,
  );
  const next = (i: number) => {
    if (i < orders.length)
      setImmediate(() => {
        presort(rows, ...orders[i]!);
        next(i + 1);
      });
  };
  next(0);
}

const wire = (r: ViewRow) => ({
  id: r.id,
  name: r.name,
  plan: r.plan,
  currencyCode: r.currency,
  ...(r.currencyLocale ? { currencyLocale: r.currencyLocale } : {}),
  totalCost: new JsonDecimal(r.totalCost),
  usdTotalCost: new JsonDecimal(r.usdTotalCost),
  budget: r.budget === null ? null : new JsonDecimal(r.budget),
  percentUsed: new JsonDecimal(r.percentUsed),
  forecastTotalCost: new JsonDecimal(r.forecast),
  overBudget: r.overBudget,
  trendingOver: r.trendingOver,
  anomalies: r.anomalies,
  lastModifiedDate: r.lastModified,
  price: r.price === null ? null : new JsonDecimal(r.price),
  margin: r.margin === null ? null : new JsonDecimal(r.margin),
  marginPercent: r.marginPercent === null ? null : new JsonDecimal(r.marginPercent),
});

/** GET /v1/partnerusage/customers: a sorted, filtered, searched page, with the header's counts. */
export const getCustomerView: OperationHandler<'getCustomerView'> = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const period = resolvePeriod(values.period);
  const offset = values.offset;
  const data = await deps.views.get(`${partner}|${period}`, deps.store.dataVersion(), async () => {
    const computed = await viewData(deps, partner, period);
    presortLater(computed.rows);
    return computed;
  });
  const page = viewCustomers(data.rows, {
    sort: values.sort,
    order: values.order,
    filters: values.filter,
    plan: values.plan,
    currency: values.currency,
    search: values.search,
    offset,
    size: values.size,
  });
  return {
    resource: {
      period,
      totalCount: page.totalCount,
      offset,
      items: page.items.map(wire),
      periods: data.periods,
      counts: data.counts,
      currencies: data.currencies,
      freshness: { lastImportAt: data.lastImportAt, lastUsageDay: data.lastUsageDay },
    },
  };
};

/** GET /v1/partnerusage/customers/{id}/days: the customer's spend per day, the last `days` up to the period's latest day. */
export const getCustomerDays: OperationHandler<'getCustomerDays'> = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const customer = values['customer-tenant-id'];
  const period = resolvePeriod(values.period);
  // A customer the partner does not have is 404, as on every route (another partner's too).
  if ((await deps.store.subscriptionIds(partner, customer)) === undefined) throw apiErrors.customerNotFound(customer);
  const { first, end: periodEnd } = periodDays(period);
  // Up to the partner's latest usage day: the current month's days so far and the month before.
  const last = await deps.store.lastUsageDay(partner, period);
  const end = last === undefined ? periodEnd : Math.min(periodEnd, addDays(last, 1));
  const from = addDays(end, -values.days);
  // The periods the days fall in (a month is at least 28 days long: none is stepped over).
  const periods = new Set([period]);
  for (let d = from; d < first; d = addDays(d, 28)) periods.add(periodOf(d));
  const rows = (await Promise.all([...periods].map((p) => deps.store.customerDays(partner, p, customer)))).flat();
  const items = rows
    .filter((r) => r.day >= from && r.day < end)
    .sort((a, b) => a.day - b.day)
    .map((r) => ({ day: dayDate(r.day), totalCost: new JsonDecimal(r.billingTotal) }));
  return { resource: { totalCount: items.length, items } };
};
