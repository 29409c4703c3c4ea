import { apiErrors } from '../../contract/api-errors.js';
import {
  customerUsageSummary,
  partnerUsageSummary,
  subscriptionUsageSummary,
  type PartnerFigures,
} from '../../domain/usage-records.js';
import { add, formatDecimal, parseDecimal, ZERO, type Decimal } from '../../money/decimal.js';
import { resolvePeriod } from '../collection-query.js';
import type { OperationHandler } from '../operation-routes.js';
import { customerStandings } from './customer-forecasts.js';

const periodOf = (values: { readonly period: string | undefined }) => resolvePeriod(values.period);
const sum = (a: Decimal, text: string): Decimal => add(a, parseDecimal(text) ?? ZERO);

/** GET /v1/usagesummary: totals per currency (never summed across them), counts by standing. */
export const getPartnerUsageSummary: OperationHandler<'getPartnerUsageSummary'> = async ({ caller, values }, deps) => {
  const partner = caller.partnerTenantId;
  const period = periodOf(values);
  const customers = await deps.store.customerUsage(partner, period);
  const standings = await customerStandings(deps, partner, period, customers);
  const totals = new Map<
    string,
    { billing: Decimal; usd: Decimal; customers: number; first: (typeof customers)[number] }
  >();
  let usd: Decimal = ZERO;
  let lastModified: string | null = null;
  for (const c of customers) {
    const t = totals.get(c.currency) ?? { billing: ZERO, usd: ZERO, customers: 0, first: c };
    totals.set(c.currency, {
      ...t,
      billing: sum(t.billing, c.billingTotal),
      usd: sum(t.usd, c.usdTotal),
      customers: t.customers + 1,
    });
    usd = sum(usd, c.usdTotal);
    if (c.lastModified !== null && (lastModified === null || c.lastModified > lastModified))
      lastModified = c.lastModified;
  }
  const name = (await deps.store.partners()).find((p) => p.tenantId === partner)?.name ?? '';
  const figures: PartnerFigures = {
    tenantId: partner,
    name,
    customersOverBudget: [...standings.values()].filter((s) => s.overBudget).length,
    customersTrendingOver: [...standings.values()].filter((s) => s.trendingOver).length,
    customersWithUsageBasedSubscription: customers.length,
    lastModified,
    usdTotal: formatDecimal(usd),
    totals: [...totals.entries()]
      .sort(([a, x], [b, y]) => y.customers - x.customers || (a < b ? -1 : 1))
      .map(([currency, t]) => ({
        currency,
        locale: t.first.currencyLocale,
        plan: t.first.plan,
        billing: formatDecimal(t.billing),
        usd: formatDecimal(t.usd),
        customers: t.customers,
      })),
  };
  return { resource: partnerUsageSummary(figures, period) };
};

/** GET /v1/customers/{c}/usagesummary, with our forecast beside Partner Center's fields. */
export const getCustomerUsageSummary: OperationHandler<'getCustomerUsageSummary'> = async (
  { caller, values, selfPath },
  deps,
) => {
  const partner = caller.partnerTenantId;
  const customer = values['customer-tenant-id'];
  const period = periodOf(values);
  const row = (await deps.store.customerUsage(partner, period, undefined, customer))[0];
  if (!row) throw apiErrors.customerNotFound(customer);
  if (row.lastModified === null) throw apiErrors.noUsageData();
  const standing = (await customerStandings(deps, partner, period, [row], customer)).get(row.tenantId)!;
  return { resource: customerUsageSummary(row, period, selfPath, standing.extension) };
};

/** GET /v1/customers/{c}/subscriptions/{s}/usagesummary. */
export const getSubscriptionUsageSummary: OperationHandler<'getSubscriptionUsageSummary'> = async (
  { caller, values, selfPath },
  deps,
) => {
  const customer = values['customer-tenant-id'];
  const subscription = values['subscription-id'];
  const period = periodOf(values);
  const result = await deps.store.subscriptionSummary({
    partnerTenantId: caller.partnerTenantId,
    customerTenantId: customer,
    subscriptionId: subscription,
    period,
  });
  if (result.found === 'customer-missing') throw apiErrors.customerNotFound(customer);
  if (result.found === 'subscription-missing') throw apiErrors.subscriptionNotFound(subscription);
  return { resource: subscriptionUsageSummary(result, period, selfPath) };
};
