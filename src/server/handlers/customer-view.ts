import { JsonDecimal } from '../../contract/exact-json.js';
import type { ViewFilter, ViewSort } from '../../contract/parameters.js';
import { viewCustomers, type ViewRow } from '../../domain/customer-view.js';
import { percentUsed } from '../../domain/percent-used.js';
import { addDays, periodDays, periodOf } from '../../domain/usage-day.js';
import { formatDecimal } from '../../money/decimal.js';
import { resolvePeriod } from '../collection-query.js';
import type { OperationHandler } from '../operation-routes.js';
import type { ServerDeps } from '../server-deps.js';
import { customerStandings } from './customer-forecasts.js';

/** The dashboard's routes under /v1/partnerusage/customers (issue #14), our extension. */

/**
 * Each partner's rows for a period, kept while the store's data version stays: a view of 100k
 * customers is sorted and filtered again for each request (tens of ms), not recomputed from the
 * store (seconds). A few entries: one per partner and period being looked at.
 */
const rowsCache = new Map<string, Promise<ViewRow[]>>();
const ROWS_CACHE_ENTRIES = 8;

async function viewRows(deps: ServerDeps, partner: string, period: string): Promise<ViewRow[]> {
  const customers = await deps.store.customerUsage(partner, period);
  const standings = await customerStandings(deps, partner, period, customers);
  return customers.map((c) => {
    const s = standings.get(c.tenantId)!;
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
    };
  });
}

function cachedRows(deps: ServerDeps, partner: string, period: string): Promise<ViewRow[]> {
  const key = `${deps.store.dataVersion()}|${partner}|${period}`;
  let rows = rowsCache.get(key);
  if (!rows) {
    if (rowsCache.size >= ROWS_CACHE_ENTRIES) rowsCache.delete(rowsCache.keys().next().value!);
    rows = viewRows(deps, partner, period);
    rows.catch(() => rowsCache.delete(key));
    rowsCache.set(key, rows);
  }
  return rows;
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
});

const dayText = (day: number) => {
  const s = String(day);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
};

/** GET /v1/partnerusage/customers: a sorted, filtered, searched page, with the header's counts. */
export const getCustomerView: OperationHandler = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const period = resolvePeriod(values.period as string | undefined);
  const [rows, periods, lastImportAt, lastDay] = await Promise.all([
    cachedRows(deps, partner, period),
    deps.store.periods(partner),
    deps.store.lastImportAt(partner),
    deps.store.lastUsageDay(partner, period),
  ]);
  const page = viewCustomers(rows, {
    sort: (values.sort as ViewSort | undefined) ?? 'percentUsed',
    order: (values.order as 'asc' | 'desc' | undefined) ?? 'desc',
    filters: (values.filter as ViewFilter[] | undefined) ?? [],
    plan: values.plan as 'azure-plan' | 'legacy' | undefined,
    currency: values.currency as string | undefined,
    search: values.search as string | undefined,
    offset: (values.offset as number | undefined) ?? 0,
    size: (values.size as number | undefined) ?? 50,
  });
  return {
    resource: {
      period,
      totalCount: page.totalCount,
      offset: (values.offset as number | undefined) ?? 0,
      items: page.items.map(wire),
      periods,
      counts: {
        customers: rows.length,
        overBudget: rows.filter((r) => r.overBudget).length,
        trendingOver: rows.filter((r) => r.trendingOver).length,
        noBudget: rows.filter((r) => r.budget === null).length,
        anomaly: rows.filter((r) => r.anomalies > 0).length,
      },
      currencies: [...new Set(rows.map((r) => r.currency))].sort(),
      freshness: { lastImportAt, lastUsageDay: lastDay === undefined ? null : dayText(lastDay) },
    },
  };
};

/** GET /v1/partnerusage/customers/{id}/days: the customer's spend per day, the last `days` up to the period's latest day. */
export const getCustomerDays: OperationHandler = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const customer = values['customer-tenant-id'] as string;
  const period = resolvePeriod(values.period as string | undefined);
  const { first, end: periodEnd } = periodDays(period);
  // Up to the partner's latest usage day: the current month's days so far and the month before.
  const last = await deps.store.lastUsageDay(partner, period);
  const end = last === undefined ? periodEnd : Math.min(periodEnd, addDays(last, 1));
  const from = addDays(end, -((values.days as number | undefined) ?? 30));
  // The periods the days fall in (a month is at least 28 days long: none is stepped over).
  const periods = new Set([period]);
  for (let d = from; d < first; d = addDays(d, 28)) periods.add(periodOf(d));
  const rows = (await Promise.all([...periods].map((p) => deps.store.customerDays(partner, p, customer)))).flat();
  const items = rows
    .filter((r) => r.day >= from && r.day < end)
    .sort((a, b) => a.day - b.day)
    .map((r) => ({ day: dayText(r.day), totalCost: new JsonDecimal(r.billingTotal) }));
  return { resource: { totalCount: items.length, items } };
};
