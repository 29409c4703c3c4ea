import { JsonDecimal } from '../contract/exact-json.js';
import type {
  CustomerMonthlyUsageRecord,
  Link,
  MeterUsageRecord,
  RecordCurrency,
  ResourceCollection,
  SpendingBudget,
} from '../contract/resources.js';
import { formatDecimal } from '../money/decimal.js';
import type { PlanKind } from './usage-model.js';
import type { CustomerUsageRow, MeterUsageRow } from '../storage/store.js';
import { percentUsed } from './percent-used.js';

/** Stored totals → Partner Center records. The one place the wire presence rules are applied. */

/** ISO-8601 with an explicit offset, as Partner Center writes dates. */
export function wireDate(iso: string): string {
  return iso.endsWith('Z') ? `${iso.slice(0, -1)}+00:00` : iso;
}

/** A customer without usage in a period: its lastModifiedDate is the period's start. */
export function periodStart(period: string): string {
  return `${period}-01T00:00:00+00:00`;
}

function currencyOf(plan: PlanKind, currency: string, locale: string | null, usd: string): RecordCurrency {
  // Partner Center gives legacy (0145P) customers no USD figure: usdTotalCost is 0 there.
  return plan === 'legacy'
    ? { currencyLocale: locale ?? 'en-US', usdTotalCost: new JsonDecimal('0') }
    : { currencyCode: currency, usdTotalCost: new JsonDecimal(usd) };
}

function spendingBudget(amount: string | null): SpendingBudget {
  return amount === null
    ? { attributes: { objectType: 'SpendingBudget' } }
    : { amount: new JsonDecimal(amount), attributes: { objectType: 'SpendingBudget' } };
}

export function customerMonthlyUsageRecord(row: CustomerUsageRow, period: string): CustomerMonthlyUsageRecord {
  const budget = spendingBudget(row.budget);
  return {
    budget,
    ...(row.plan === 'legacy' ? { customerSpendingBudget: budget } : {}),
    percentUsed: new JsonDecimal(formatDecimal(percentUsed(row.billingTotal, row.budget))),
    isUpgraded: row.plan === 'azure-plan',
    resourceId: row.tenantId,
    id: row.tenantId,
    resourceName: row.name,
    name: row.name,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(row.plan, row.currency, row.currencyLocale, row.usdTotal),
    lastModifiedDate: row.lastModified === null ? periodStart(period) : wireDate(row.lastModified),
    attributes: { objectType: 'CustomerMonthlyUsageRecord' },
  };
}

export interface MeterOwner {
  readonly subscriptionId: string;
  readonly plan: PlanKind;
  readonly currency: string;
  readonly currencyLocale: string | null;
}

export function meterUsageRecord(row: MeterUsageRow, owner: MeterOwner): MeterUsageRecord {
  return {
    subscriptionId: owner.subscriptionId,
    meterId: row.meterId,
    meterName: row.meterName,
    category: row.category,
    subcategory: row.subcategory,
    quantityUsed: new JsonDecimal(row.quantity),
    unit: row.unit,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(owner.plan, owner.currency, owner.currencyLocale, row.usdTotal),
    lastModifiedDate: wireDate(row.lastModified),
    attributes: { objectType: 'MeterUsageRecord' },
  };
}

export function collection<T>(items: readonly T[], selfUri: string, next?: Link): ResourceCollection<T> {
  return {
    totalCount: items.length,
    items,
    links: { self: { uri: selfUri, method: 'GET', headers: [] }, ...(next ? { next } : {}) },
    attributes: { objectType: 'Collection' },
  };
}
