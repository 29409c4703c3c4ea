import { forecastMonthEnd, FORECAST_METHOD } from '../../domain/forecast.js';
import type { UsageExtension } from '../../contract/resources.js';
import { JsonDecimal } from '../../contract/exact-json.js';
import { compare, parseDecimal, ZERO } from '../../money/decimal.js';
import type { CustomerUsageRow } from '../../storage/store.js';
import type { ServerDeps } from '../server-deps.js';

export interface CustomerStanding {
  readonly forecast: string;
  readonly overBudget: boolean;
  /** Not over budget yet, but forecast to be by month end. */
  readonly trendingOver: boolean;
  readonly extension: UsageExtension;
}

const above = (a: string, b: string | null): boolean =>
  b !== null && compare(parseDecimal(a) ?? ZERO, parseDecimal(b) ?? ZERO) > 0;

/**
 * Each customer's month-end forecast and standing against its budget, from the per-day totals:
 * the one computation the partner summary, the customer summary, the SDK and the CLI read.
 */
export async function customerStandings(
  deps: ServerDeps,
  partnerTenantId: string,
  period: string,
  customers: readonly CustomerUsageRow[],
  customerTenantId?: string,
): Promise<Map<string, CustomerStanding>> {
  const [days, lastDay, anomalies] = await Promise.all([
    deps.store.customerDays(partnerTenantId, period, customerTenantId),
    deps.store.lastUsageDay(partnerTenantId, period),
    deps.store.anomalyCounts(partnerTenantId, period),
  ]);
  const byCustomer = new Map<string, { day: number; billingTotal: string }[]>();
  for (const d of days) {
    let list = byCustomer.get(d.customerTenantId);
    if (!list) byCustomer.set(d.customerTenantId, (list = []));
    list.push(d);
  }
  const out = new Map<string, CustomerStanding>();
  for (const c of customers) {
    const customerDays = byCustomer.get(c.tenantId) ?? [];
    const f = forecastMonthEnd(period, customerDays, lastDay);
    const overBudget = above(c.billingTotal, c.budget);
    const trendingOver = !overBudget && above(f.total, c.budget);
    out.set(c.tenantId, {
      forecast: f.total,
      overBudget,
      trendingOver,
      extension: {
        forecastTotalCost: new JsonDecimal(f.total),
        forecastMethod: FORECAST_METHOD,
        trendingOver,
        daysWithUsage: f.daysWithUsage,
        anomalies: anomalies.get(c.tenantId) ?? 0,
      },
    });
  }
  return out;
}
